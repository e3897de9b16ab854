"""``mathocr evaluate``: expression kinds, symbol matching, scoring, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathocr.cli import main
from mathocr.commands.evaluate_images import select_expressions
from mathocr.data.evaluation import KINDS, evaluate_images, expression_kind, iou, match_symbols
from mathocr.data.scenes import EvalImage
from mathocr.result import Recognition, RecognizedSymbol

# 2 < X, its symbols spelt as CROHME spells them; a second file swaps X for \alpha.
INK = """<ink xmlns="http://www.w3.org/2003/InkML">
<annotation type="truth">$2 \\lt {truth}$</annotation>
<trace id="0">0 0, 0 10</trace>
<trace id="1">15 0, 5 5, 15 10</trace>
<trace id="2">20 0, 30 10</trace>
<trace id="3">30 0, 20 10</trace>
<traceGroup xml:id="9"><annotation type="truth">Segmentation</annotation>
 <traceGroup xml:id="10"><annotation type="truth">2</annotation><traceView traceDataRef="0"/></traceGroup>
 <traceGroup xml:id="11"><annotation type="truth">\\lt</annotation><traceView traceDataRef="1"/></traceGroup>
 <traceGroup xml:id="12"><annotation type="truth">{label}</annotation>
   <traceView traceDataRef="2"/><traceView traceDataRef="3"/></traceGroup>
</traceGroup>
</ink>"""


def write_ink(folder: Path, name: str, label: str = "X") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(INK.format(truth=label, label=label))
    return path


# ---------------------------------------------------------------- expression kinds


@pytest.mark.parametrize(
    "truth, kind",
    [
        ("2 + 3 = 5", "plain"),
        ("12 \\div 4 - ( 1 . 5 )", "plain"),
        ("2 \\times 3", "plain"),  # the x of \times is no x
        ("\\left( 2 \\right)", "plain"),  # \left is no \le
        ("3 x + 1 = 7", "x"),
        ("X - 1", "x"),
        ("2 ^ { 3 }", "structure"),
        ("\\frac { 1 } { 2 }", "structure"),
        ("\\sqrt { 9 }", "structure"),
        ("x ^ { 2 } = 4", "structure"),  # structure before x
        ("x < 3", "comparison"),
        ("4 > 3", "comparison"),
        ("x \\lt 3", "comparison"),
        ("x \\gt 3", "comparison"),
        ("x \\le 3", "comparison"),
        ("x \\leq 3", "comparison"),
        ("x \\ge 3", "comparison"),
        ("x \\geq 3", "comparison"),
        ("x \\ne 3", "comparison"),
        ("x \\neq 3", "comparison"),
        ("x ^ { 2 } > 1", "comparison"),  # comparison before structure
        ("\\sqrt { x } \\leq 2", "comparison"),
        ("x _ { 1 } = 5", "subscript"),
        ("x _ 1 < \\frac { 1 } { 2 }", "subscript"),  # subscript before everything
    ],
)
def test_expression_kind(truth, kind):
    assert expression_kind(truth) == kind


# ---------------------------------------------------------------- symbol matching


def test_iou_of_known_overlaps():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (10, 0, 10, 10)) == 0.0  # touching is not overlapping
    assert iou((0, 0, 0, 0), (0, 0, 10, 10)) == 0.0


def test_exact_boxes_match():
    truth = [("2", (0, 0, 10, 20)), ("+", (15, 5, 10, 10)), ("3", (30, 0, 10, 20))]
    assert match_symbols(truth, truth) == [(0, 0), (1, 1), (2, 2)]


def test_overlap_below_half_does_not_match():
    truth = [("7", (0, 0, 10, 10))]
    assert match_symbols([("7", (5, 0, 10, 10))], truth) == []  # IoU 1/3
    assert match_symbols([("7", (0, 0, 20, 10))], truth) == [(0, 0)]  # IoU exactly 1/2


def test_labels_must_agree():
    box = (0, 0, 10, 10)
    assert match_symbols([("x", box)], [("\\times", box)]) == []
    assert match_symbols([("\\times", box)], [("x", box)]) == []
    assert match_symbols([("1", box)], [("7", box)]) == []


def test_each_truth_is_used_once_best_overlap_first():
    truth = [("1", (0, 0, 10, 10))]
    found = [("1", (0, 0, 10, 14)), ("1", (0, 0, 10, 10))]  # IoU 0.71, then 1.0
    assert match_symbols(found, truth) == [(1, 0)]


def test_each_found_symbol_is_used_once():
    found = [("1", (0, 0, 10, 10))]
    truth = [("1", (0, 0, 10, 12)), ("1", (0, 0, 10, 10))]
    assert match_symbols(found, truth) == [(0, 1)]


def test_greedy_pairs_two_neighbours_with_their_own_boxes():
    found = [("5", (0, 0, 10, 10)), ("5", (12, 0, 10, 10))]
    truth = [("5", (11, 0, 10, 10)), ("5", (1, 0, 10, 10))]
    assert match_symbols(found, truth) == [(0, 1), (1, 0)]


# ---------------------------------------------------------------- scoring


class Scripted:
    """A recognizer that answers each image with a prepared reading."""

    def __init__(self, answers: dict[bytes, Recognition]) -> None:
        self.answers = answers
        self.calls = 0

    def recognize(self, image: bytes) -> Recognition:
        self.calls += 1
        return self.answers[image]


def symbol(label: str, box: tuple[int, int, int, int]) -> RecognizedSymbol:
    return RecognizedSymbol(label, 0.9, (), box)


def test_evaluate_images_scores_expressions_symbols_and_counts():
    box_a, box_b, box_c = (0, 0, 10, 10), (20, 0, 10, 10), (40, 0, 10, 10)
    images = [
        # plain, read right (another spelling) with both symbols right
        EvalImage("a", "canvas", "1 \\times 2", b"a", (("1", box_a), ("\\times", box_b))),
        # plain, read wrong: x for \times, so one of two symbols
        EvalImage("b", "canvas", "3 \\times 4", b"b", (("3", box_a), ("\\times", box_b))),
        # comparison spelt \leq in the truth's labels and \le by the reader; one symbol missed
        EvalImage(
            "c",
            "canvas",
            "x \\leq 2",
            b"c",
            (("x", box_a), ("\\leq", box_b), ("2", box_c)),
        ),
    ]
    reader = Scripted(
        {
            b"a": Recognition("1*2", "", symbols=(symbol("1", box_a), symbol("\\times", box_b))),
            b"b": Recognition("3x4", "", symbols=(symbol("3", box_a), symbol("x", box_b))),
            b"c": Recognition("x\\le", "", symbols=(symbol("x", box_a), symbol("\\le", box_b))),
        }
    )
    result = evaluate_images(images, reader)
    assert reader.calls == 3
    assert result["n"] == 3
    assert result["exprate"] == {
        "all": 33.33,
        "plain": 50.0,
        "x": None,
        "structure": None,
        "comparison": 0.0,
        "subscript": None,
    }
    # 5 found symbols right (2 + 1 + 2) of 6 found and 7 true
    assert result["symbols"] == {"precision": 83.33, "recall": 71.43, "f1": 76.92}
    assert result["count_right"] == 66.67
    assert result["median_ms"] is not None and result["median_ms"] >= 0


def test_a_comparison_read_right_counts():
    image = EvalImage("c", "canvas", "x \\lt 2", b"c", (("x", (0, 0, 5, 5)),))
    reader = Scripted({b"c": Recognition("x<2", "")})
    result = evaluate_images([image], reader)
    assert result["exprate"]["comparison"] == 100.0
    assert result["symbols"] == {"precision": None, "recall": 0.0, "f1": 0.0}
    assert result["count_right"] == 0.0


def test_nothing_to_score_is_null_not_zero():
    result = evaluate_images([], Scripted({}))
    assert result["n"] == 0
    assert set(result["exprate"]) == {"all", *KINDS}
    assert all(v is None for v in result["exprate"].values())
    assert all(v is None for v in result["symbols"].values())
    assert result["count_right"] is None and result["median_ms"] is None


# ---------------------------------------------------------------- the command


def test_only_expressions_of_detector_classes_are_chosen(tmp_path):
    write_ink(tmp_path / "a", "in.inkml", "X")
    write_ink(tmp_path / "a", "out.inkml", "\\alpha")
    (tmp_path / "a" / "broken.inkml").write_text("<ink")
    chosen = select_expressions(tmp_path)
    assert [Path(ink.path).name for ink in chosen] == ["in.inkml"]


def test_limit_spreads_over_the_selection(tmp_path):
    for i in range(10):
        write_ink(tmp_path, f"{i}.inkml")
    chosen = select_expressions(tmp_path, limit=3)
    assert [Path(ink.path).stem for ink in chosen] == ["0", "3", "6"]


def test_missing_inkml_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", "--inkml", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_folder_without_inkml_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("nothing here")
    assert main(["evaluate", "--inkml", str(tmp_path)]) == 2
    assert "no .inkml files" in capsys.readouterr().err


def test_a_model_that_cannot_load_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import mathocr.detect.model

    monkeypatch.setattr(mathocr.detect.model, "DEFAULT_DETECTOR", tmp_path / "none.onnx")
    write_ink(tmp_path, "a.inkml")
    assert main(["evaluate", "--inkml", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "recognizer cannot load its model" in err
    assert "Traceback" not in err


def test_limit_must_be_positive(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--inkml", str(tmp_path), "--limit", "0"])
    assert exit_.value.code == 2


def check_scores(result: dict) -> None:
    assert set(result) == {"n", "exprate", "symbols", "count_right", "median_ms"}
    assert set(result["exprate"]) == {"all", "plain", "x", "structure", "comparison", "subscript"}
    assert set(result["symbols"]) == {"precision", "recall", "f1"}
    rates = [*result["exprate"].values(), *result["symbols"].values(), result["count_right"]]
    assert result["exprate"]["all"] is not None
    for rate in rates:
        assert rate is None or 0.0 <= rate <= 100.0
    assert result["median_ms"] > 0


@pytest.mark.crohme
def test_evaluate_real_expressions_as_json(crohme_dir, capsys):
    code = main(
        [
            "evaluate",
            "--inkml",
            str(crohme_dir / "valid"),
            "--as",
            "canvas",
            "--json",
            "--limit",
            "3",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    check_scores(result)
    assert result["n"] == 3
    # Each expression lands in exactly one kind.
    kinds_present = [k for k in KINDS if result["exprate"][k] is not None]
    assert 1 <= len(kinds_present) <= 3


@pytest.mark.crohme
def test_evaluate_both_kinds_prints_a_table(crohme_dir, capsys):
    assert (
        main(["evaluate", "--inkml", str(crohme_dir / "valid"), "--as", "both", "--limit", "1"])
        == 0
    )
    out = capsys.readouterr().out
    assert "canvas" in out and "photo" in out
    assert "read right, all" in out


def test_dev_selects_only_the_dev_writers(crohme_dir):
    from mathocr.commands.evaluate_images import select_expressions
    from mathocr.data.splits import split_files

    held = {str(p) for p in split_files(crohme_dir)[1]}
    chosen = select_expressions(crohme_dir, dev=True)
    assert chosen and all(ink.path in held for ink in chosen)
    assert all("valid" not in ink.path for ink in chosen)
