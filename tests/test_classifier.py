"""The ONNX symbol classifier: loading, shapes, probabilities, predictions."""

from __future__ import annotations

import sys
import threading

import cv2
import numpy as np
import pytest

from mathocr.classifier import Prediction, SymbolClassifier, default_classifier
from mathocr.errors import ModelError
from mathocr.symbols import BOX, CLASSES, normalize_symbol


def _drawn(kind: str) -> np.ndarray:
    """A symbol drawn the way a segmented one arrives: an ink mask, normalized."""
    m = np.zeros((120, 120), np.uint8)
    if kind == "-":
        cv2.line(m, (10, 60), (110, 62), 1, 6)
    elif kind == "+":
        cv2.line(m, (10, 60), (110, 60), 1, 6)
        cv2.line(m, (60, 10), (60, 110), 1, 6)
    elif kind == "0":
        cv2.ellipse(m, (60, 60), (30, 50), 0, 0, 360, 1, 6)
    elif kind == "=":
        cv2.line(m, (10, 45), (110, 45), 1, 6)
        cv2.line(m, (10, 75), (110, 75), 1, 6)
    return normalize_symbol(m)


@pytest.fixture(scope="module")
def clf() -> SymbolClassifier:
    return default_classifier()


def test_no_torch_in_the_serving_path(clf):
    import subprocess

    code = (
        "import sys, numpy as np\n"
        "from mathocr.classifier import default_classifier\n"
        "default_classifier().classify(np.zeros((1, 32, 32), np.uint8))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_probabilities_shape_and_sum(clf):
    batch = np.stack([_drawn(k) for k in ("-", "+", "0", "=")])
    probs = clf.probabilities(batch)
    assert probs.shape == (4, len(CLASSES))
    assert probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()


def test_empty_batch(clf):
    assert clf.probabilities(np.zeros((0, BOX, BOX), np.uint8)).shape == (0, len(CLASSES))
    assert clf.classify(np.zeros((0, BOX, BOX), np.uint8)) == []


def test_clear_drawings_are_read(clf):
    kinds = ["-", "+", "0", "="]
    predictions = clf.classify(np.stack([_drawn(k) for k in kinds]))
    assert [p.label for p in predictions] == kinds


def test_prediction_fields(clf):
    (p,) = clf.classify(_drawn("+")[None])
    assert isinstance(p, Prediction)
    assert p.label in CLASSES
    assert 0.0 < p.probability <= 1.0
    assert len(p.alternatives) == 2
    probs = [p.probability] + [q for _, q in p.alternatives]
    assert probs == sorted(probs, reverse=True)
    labels = [p.label] + [a for a, _ in p.alternatives]
    assert len(set(labels)) == 3 and all(a in CLASSES for a in labels)
    with pytest.raises(AttributeError):
        p.label = "x"  # type: ignore[misc]


def test_classify_agrees_with_probabilities(clf):
    batch = np.stack([_drawn(k) for k in ("-", "+", "0", "=")])
    probs = clf.probabilities(batch)
    for row, p in zip(probs, clf.classify(batch), strict=True):
        assert p.label == CLASSES[int(row.argmax())]
        assert p.probability == pytest.approx(float(row.max()))


def test_bad_batches_are_refused(clf):
    with pytest.raises(ValueError, match="batch"):
        clf.probabilities(np.zeros((BOX, BOX), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        clf.probabilities(np.zeros((2, 28, 28), np.uint8))


def test_default_is_one_instance_across_threads(clf):
    seen = []
    batch = np.stack([_drawn(k) for k in ("-", "+", "0", "=")] * 8)
    want = clf.probabilities(batch)

    def work() -> None:
        c = default_classifier()
        seen.append((id(c), np.array_equal(c.probabilities(batch), want)))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {s[0] for s in seen} == {id(clf)}
    assert all(s[1] for s in seen)


def test_version_comes_from_the_card(clf):
    assert clf.version == clf.card["version"]
    assert clf.version


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="card"):
        SymbolClassifier(tmp_path / "nothing.onnx")


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        SymbolClassifier(threads=0)


def test_evaluate_symbols_json_shape(tmp_path, capsys):
    import json

    from mathocr.cli import main

    from .test_dataset import write_inkml_dir

    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    assert main(["evaluate-symbols", "--inkml", str(root), "--json"]) == 0
    captured = capsys.readouterr()
    assert "broken.inkml" in captured.err  # reported, skipped
    result = json.loads(captured.out)
    # The four keys, and the symbol model's own figures beside them.
    assert set(result) == {
        "n",
        "accuracy",
        "per_class",
        "confusions",
        "accuracy_merged",
        "alone",
        "neighbours",
    }
    assert result["neighbours"] is not None
    assert set(result["alone"]) == {"accuracy", "accuracy_merged"}
    assert result["n"] == 12
    assert set(result["per_class"]) == {"0", "1", "-", "+"}
    assert all(set(row) == {"n", "accuracy"} for row in result["per_class"].values())
    assert sum(row["n"] for row in result["per_class"].values()) == 12
    assert 0.0 <= result["accuracy"] <= 1.0
    for true, pred, count in result["confusions"]:
        assert true in CLASSES and pred in CLASSES and true != pred and count > 0


def test_evaluate_symbols_text_and_errors(tmp_path, capsys):
    from mathocr.cli import main

    from .test_dataset import write_inkml_dir

    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    assert main(["evaluate-symbols", "--inkml", str(root)]) == 0
    out = capsys.readouterr().out
    assert "symbols scored: 8" in out and "accuracy" in out
    assert "symbol model alone" in out
    assert main(["evaluate-symbols", "--inkml", str(root), "--alone"]) == 0
    out = capsys.readouterr().out
    assert "each symbol read alone" in out and "symbol model alone" not in out
    assert main(["evaluate-symbols", "--inkml", str(tmp_path / "missing")]) == 2
    assert (
        main(["evaluate-symbols", "--inkml", str(root), "--model", str(tmp_path / "m.onnx")]) == 2
    )


@pytest.mark.crohme
def test_evaluate_symbols_on_real_files(crohme_dir, capsys):
    import json

    from mathocr.cli import main

    one = sorted((crohme_dir / "valid").rglob("*.inkml"))[0]
    assert main(["evaluate-symbols", "--inkml", str(one), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] > 0
