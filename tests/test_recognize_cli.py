"""``mathocr recognize``: lines, JSON shape, folders, failures and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mathocr.cli import main
from mathocr.render import draw_strokes

KEYS = ["file", "latex", "text", "value", "error", "symbols", "ms"]


def _one_plus_one() -> np.ndarray:
    strokes = [
        np.array([[30, 40], [42, 28], [44, 110]], float),
        np.array([[80, 70], [140, 70]], float),
        np.array([[110, 40], [110, 100]], float),
        np.array([[180, 40], [192, 28], [194, 110]], float),
    ]
    return draw_strokes(strokes, scale=1.0, pen=6, padding=30, antialias=True)


@pytest.fixture()
def images(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "sum.png"
    cv2.imwrite(str(good), _one_plus_one())
    photo = tmp_path / "sum.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(_one_plus_one(), cv2.COLOR_GRAY2BGR))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return {"good": good, "photo": photo, "bad": bad}


def _json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_has_exactly_the_documented_shape(images, capsys):
    assert main(["recognize", "--json", str(images["good"])]) == 0
    (record,) = _json_lines(capsys.readouterr().out)
    assert list(record) == KEYS
    assert record["file"] == str(images["good"])
    assert record["latex"].replace(" ", "") == "1+1"
    assert record["text"] == "1+1"
    assert record["value"] == "2"
    assert record["error"] is None
    assert isinstance(record["ms"], float) and record["ms"] > 0
    assert [s["label"] for s in record["symbols"]] == ["1", "+", "1"]
    for s in record["symbols"]:
        assert list(s) == ["label", "confidence", "box"]
        assert isinstance(s["confidence"], float)
        assert len(s["box"]) == 4 and all(isinstance(v, int) for v in s["box"])


def test_plain_output_is_one_line_per_image(images, capsys):
    assert main(["recognize", str(images["good"]), str(images["photo"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{images['good']}: ")
    assert lines[0].endswith("-> 2")


def test_an_unreadable_file_among_good_ones_does_not_fail_the_run(images, capsys):
    args = ["recognize", "--json", str(images["good"]), str(images["bad"]), str(images["photo"])]
    assert main(args) == 0
    records = _json_lines(capsys.readouterr().out)
    assert [r["file"] for r in records] == [args[2], args[3], args[4]]
    bad = records[1]
    assert list(bad) == KEYS
    assert bad["error"] and bad["latex"] == "" and bad["symbols"] == [] and bad["value"] is None
    assert records[0]["error"] is None and records[2]["error"] is None


def test_exit_code_is_non_zero_only_when_every_file_failed(images, tmp_path, capsys):
    missing = tmp_path / "missing.png"
    assert main(["recognize", str(images["bad"]), str(missing)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("error" in line for line in lines)


def test_directories_are_walked_with_a_progress_bar(tmp_path, capsys):
    folder = tmp_path / "scans"
    (folder / "more").mkdir(parents=True)
    image = _one_plus_one()
    names = ["a.png", "b.jpg", "more/c.png", "more/d.bmp", "more/e.webp"]
    for name in names:
        cv2.imwrite(str(folder / name), image)
    (folder / "notes.txt").write_text("not an image")
    assert main(["recognize", "--json", str(folder)]) == 0
    captured = capsys.readouterr()
    records = _json_lines(captured.out)
    assert [Path(r["file"]).relative_to(folder).as_posix() for r in records] == sorted(names)
    assert all(r["value"] == "2" for r in records)
    assert "/5 [" in captured.err  # the progress bar, on stderr only


def test_an_empty_folder_is_an_error(tmp_path, capsys):
    assert main(["recognize", str(tmp_path)]) == 2
    assert "no image files" in capsys.readouterr().err


def test_debug_writes_the_intermediate_images(images, tmp_path, capsys):
    out = tmp_path / "steps"
    assert main(["recognize", "--debug", str(out), str(images["good"]), str(images["photo"])]) == 0
    written = sorted(p.name for p in out.iterdir())
    steps = ["binary", "boxes", "gray", "thinned"]
    assert written == sorted([f"sum.{s}.png" for s in steps] + [f"sum-2.{s}.png" for s in steps])
    boxes = cv2.imread(str(out / "sum.boxes.png"))
    assert boxes is not None and boxes.ndim == 3


def test_the_console_script_runs_in_a_real_process(images):
    done = subprocess.run(
        [sys.executable, "-m", "mathocr", "recognize", "--json", str(images["good"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (record,) = _json_lines(done.stdout)
    assert record["value"] == "2"


@pytest.mark.crohme
def test_an_equation_line_says_whether_it_holds(crohme_dir, tmp_path, capsys):
    from mathocr.inkml import read_inkml
    from mathocr.render import render_expression

    ink = read_inkml(crohme_dir / "valid" / "MfrDB" / "MfrDB0580.inkml")  # 2 + 4 = 6
    path = tmp_path / "eq.png"
    cv2.imwrite(str(path), render_expression(ink, symbol_px=60, pen=5))
    assert main(["recognize", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: 2 + 4 = 6 -> true (6 = 6)"


def test_a_blank_page_alone_fails_but_not_beside_a_good_one(images, tmp_path, capsys):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 600), 255, np.uint8))
    assert main(["recognize", "--json", str(blank)]) == 1
    record = json.loads(capsys.readouterr().out.strip())
    assert record["symbols"] == [] and "no handwriting" in record["error"]
    assert main(["recognize", "--json", str(blank), str(images["good"])]) == 0
