"""The second opinion on the detector's labels: the shipped classifier and neighbour model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mathocr.detect.classes import DETECTOR_CLASSES
from mathocr.detect.model import Found
from mathocr.detect.prepare import Prepared
from mathocr.detect.relabel import Relabeller


@pytest.fixture(scope="module")
def relabeller() -> Relabeller:
    return Relabeller()


def _prepared(ink: np.ndarray) -> Prepared:
    return Prepared(
        image=ink.astype(np.float32),
        ink=ink,
        matrix=np.eye(2, 3),
        typical=32.0,
        pen_width=3.0,
        angle=0.0,
    )


def _scores(**by_label: float) -> np.ndarray:
    scores = np.zeros(len(DETECTOR_CLASSES), np.float32)
    for label, value in by_label.items():
        scores[DETECTOR_CLASSES.index({"plus": "+", "one": "1", "lt": "<"}[label])] = value
    return scores


def _plus(size: int = 32) -> np.ndarray:
    ink = np.zeros((size + 4, size + 4), np.uint8)
    cv2.line(ink, (2, 2 + size // 2), (2 + size, 2 + size // 2), 1, 3)
    cv2.line(ink, (2 + size // 2, 2), (2 + size // 2, 2 + size), 1, 3)
    return ink.astype(bool)


def _found(label: str, scores: np.ndarray, ink: np.ndarray, x: float = 0.0) -> Found:
    h, w = ink.shape
    return Found(label, 0.6, (), (x, 0.0, x + w, float(h)), 0.45, scores=scores, ink=ink)


def test_a_clear_plus_the_detector_doubted_is_read_as_a_plus(relabeller):
    ink = _plus()
    page = np.zeros((40, 200), bool)
    page[: ink.shape[0], : ink.shape[1]] = ink
    found = [_found("1", _scores(one=0.45, plus=0.40), ink)]
    (again,) = relabeller.relabel(found, _prepared(page))
    assert again.label == "+"
    assert again.confidence < found[0].confidence  # the two opinions disagreed
    assert [a for a, _ in again.alternatives][0] == "1"
    assert again.box == found[0].box


def test_with_no_share_the_detectors_reading_stands(relabeller):
    ink = _plus()
    page = np.zeros((40, 200), bool)
    page[: ink.shape[0], : ink.shape[1]] = ink
    found = [_found("1", _scores(one=0.45, plus=0.40), ink)]
    quiet = Relabeller(relabeller.classifier, share=0.0)
    (again,) = quiet.relabel(found, _prepared(page))
    assert again.label == "1" and again.confidence == found[0].confidence


def test_comparisons_and_empty_ink_keep_the_detectors_reading(relabeller):
    ink = _plus()
    page = np.zeros((40, 200), bool)
    found = [
        _found("<", _scores(lt=0.9), ink),
        _found("1", _scores(one=0.45, plus=0.40), np.zeros((10, 10), bool), x=100.0),
    ]
    assert relabeller.relabel(found, _prepared(page)) == found


def test_ink_the_detector_missed_is_added_when_the_classifier_is_sure(relabeller):
    from mathocr.detect.model import Unexplained

    ink = _plus()
    page = np.zeros((40, 200), bool)
    page[: ink.shape[0], 100 : 100 + ink.shape[1]] = ink
    one = np.zeros((34, 6), bool)
    one[:, 2:5] = True
    found = [_found("1", _scores(one=0.9), one)]
    missed = Unexplained((100.0, 0.0, 100.0 + ink.shape[1], float(ink.shape[0])), ink)
    again = relabeller.relabel(found, _prepared(page), [missed])
    assert [f.label for f in again] == ["1", "+"]
    assert again[1].box == missed.box and 0.8 <= again[1].confidence <= 1.0


def test_a_stroke_of_a_symbol_found_with_too_short_a_box_widens_that_box(relabeller):
    from mathocr.detect.model import Unexplained

    ink = _plus()
    page = np.zeros((40, 200), bool)
    page[: ink.shape[0], 100 : 100 + ink.shape[1]] = ink
    h, w = ink.shape
    short = _found("+", _scores(plus=0.9), ink[:, : w - 6], x=100.0)
    missed = Unexplained((100.0, 0.0, 100.0 + w, float(h)), ink)
    (again,) = relabeller.relabel([short], _prepared(page), [missed])
    assert again.label == "+" and again.box == missed.box


def _reference_blended(found: Found, theirs: np.ndarray, share: float) -> Found:
    """One symbol's blend as it was computed before all were blended at once (the reading
    of the blend, :func:`mathocr.detect.relabel._reread`, is the same for both)."""
    from mathocr.detect.relabel import _OURS, _reread

    ours = found.scores[_OURS].astype(np.float64)
    ours = ours / max(float(ours.sum()), 1e-9)
    logs = (1 - share) * np.log(np.clip(ours, 1e-6, 1)) + share * np.log(np.clip(theirs, 1e-6, 1))
    p = np.exp(logs - logs.max())
    p /= p.sum()
    return _reread(found, p, np.argsort(-p))


@pytest.mark.parametrize("seed", range(20))
def test_blending_all_symbols_at_once_equals_one_at_a_time(seed):
    from mathocr.detect.relabel import _blended
    from mathocr.symbols import CLASSES

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    found = []
    for _ in range(n):
        scores = rng.random(len(DETECTOR_CLASSES)).astype(np.float32) ** 4
        if rng.random() < 0.2:
            scores[:] = 0.0  # no score for any class of ours
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        found.append(Found(label, float(rng.random()), (), (0, 0, 1, 1), 0.5, scores=scores))
    theirs = rng.dirichlet(np.full(len(CLASSES), float(rng.uniform(0.1, 2))), n).astype(np.float32)
    share = float(rng.uniform(0, 1))
    got = _blended(found, theirs, share)
    want = [_reference_blended(f, row, share) for f, row in zip(found, theirs, strict=True)]
    assert [(g.label, g.confidence, g.alternatives) for g in got] == [
        (w.label, w.confidence, w.alternatives) for w in want
    ]
