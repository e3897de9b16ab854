"""``mathocr recognize``: lines, pages of working, JSON shape, folders, failures, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from mathocr.cli import main
from mathocr.data.render import draw_strokes
from mathocr.result import RecognizedLine
from tests.web.strokes import render_page_png

KEYS = [
    "file",
    "latex",
    "text",
    "value",
    "error",
    "symbols",
    "ms",
    "solution_latex",
    "lines",
    "first_wrong",
]
#: What each line of working carries: the API's shape (RecognizedLine.to_dict).
LINE_KEYS = list(RecognizedLine(latex="", text="").to_dict())


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
    assert record["first_wrong"] is None and record["solution_latex"] is None
    (line,) = record["lines"]  # one line of working: itself, as the first step
    assert list(line) == LINE_KEYS
    assert (line["latex"], line["value"], line["step"]) == (record["latex"], "2", "start")
    assert line["symbols"] == [0, 1, 2]
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
    assert bad["lines"] == [] and bad["first_wrong"] is None
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
    from mathocr.data.inkml import read_inkml
    from mathocr.data.render import render_expression

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


@pytest.fixture()
def page(tmp_path: Path) -> Path:
    """Three lines of working, the last one wrong: 3 + 4 / = 7 / = 4."""
    path = tmp_path / "working.png"
    path.write_bytes(render_page_png(["3+4", "=7", "=4"]))
    return path


def test_a_page_prints_each_line_with_its_verdict(page, images, capsys):
    assert main(["recognize", str(images["good"]), str(page)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{images['good']}: 1 + 1 -> 2",  # one line reads as it always did
        f"{page}: 3 lines, line 3 is wrong",
        "  1. 3 + 4 -> 7",
        "  2. = 7  ✓",
        "  3. = 4  ✗ expected 7",
    ]


def test_a_page_in_json_has_its_lines_and_first_wrong(page, capsys):
    assert main(["recognize", "--json", str(page)]) == 0
    (record,) = _json_lines(capsys.readouterr().out)
    assert list(record) == KEYS
    lines = record["lines"]
    assert all(list(line) == LINE_KEYS for line in lines)
    assert [line["latex"] for line in lines] == ["3 + 4", "= 7", "= 4"]
    assert [line["step"] for line in lines] == ["start", "ok", "wrong"]
    assert [line["expected"] for line in lines] == [None, None, "7"]
    assert record["first_wrong"] == 2
    # every symbol belongs to exactly one line, and the lines index the symbols
    indices = sorted(i for line in lines for i in line["symbols"])
    assert indices == list(range(len(record["symbols"])))
    assert [record["symbols"][i]["label"] for i in lines[2]["symbols"]] == ["=", "4"]


def test_a_console_without_check_marks_gets_words(page):
    """On an ASCII-only console the verdicts are printed as words, not a crash."""
    done = subprocess.run(
        [sys.executable, "-m", "mathocr", "recognize", str(page)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out = done.stdout.decode("ascii").splitlines()
    assert out[2:] == ["  2. = 7  ok", "  3. = 4  wrong expected 7"]


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    """``mathocr recognize scans/ | head -1``: no BrokenPipeError traceback, exit 141.

    The second image is a named pipe, so the run waits there until the reader
    has read the first line and gone: the next line always finds no reader.
    """
    png = cv2.imencode(".png", _one_plus_one())[1].tobytes()
    files = [tmp_path / f"{k}.png" for k in range(5)]  # 5: with the progress bar
    for path in files[:1] + files[2:]:
        path.write_bytes(png)
    os.mkfifo(files[1])
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as err:
        reader = subprocess.Popen(
            [sys.executable, "-m", "mathocr", "recognize", *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=err,
        )
        assert reader.stdout is not None
        first = reader.stdout.readline()
        reader.stdout.close()  # as head -1 does
        deadline = time.monotonic() + 60
        while True:  # the run opens the pipe once it has written the first line
            try:
                fd = os.open(files[1], os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:  # ENXIO: nobody reading it yet
                assert reader.poll() is None and time.monotonic() < deadline, "never read"
                time.sleep(0.05)
        os.set_blocking(fd, True)
        os.write(fd, png)
        os.close(fd)
        code = reader.wait(timeout=120)
    stderr = errors.read_text(errors="replace")
    assert first.decode().endswith("-> 2\n")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert code == 141
