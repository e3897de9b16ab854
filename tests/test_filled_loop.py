"""An 8 whose eye the pen filled, read as 6, 0 or 9 (mathocr.filled_loop), on shapes drawn here."""

from __future__ import annotations

import cv2
import numpy as np

from mathocr.filled_loop import EIGHT_DOUBT, filled_eye, filled_eye_as_eight
from mathocr.symbols import CLASS_INDEX, CLASSES

PEN = 6


def _ring(mask: np.ndarray, centre: tuple[int, int], radius: int) -> None:
    cv2.circle(mask, centre, radius, 1, thickness=PEN, lineType=cv2.LINE_8)


def _blot(mask: np.ndarray, centre: tuple[int, int]) -> None:
    """The eye of a small 8 filled in: a disc about two pens wide."""
    cv2.circle(mask, centre, PEN, 1, thickness=-1, lineType=cv2.LINE_8)


def _crop(mask: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask)
    return mask[y : y + h, x : x + w]


def eight_without_top_eye() -> np.ndarray:
    mask = np.zeros((80, 60), np.uint8)
    _ring(mask, (30, 50), 11)
    _blot(mask, (30, 32))
    return _crop(mask)


def eight_without_bottom_eye() -> np.ndarray:
    mask = np.zeros((80, 60), np.uint8)
    _ring(mask, (30, 25), 11)
    _blot(mask, (30, 43))
    return _crop(mask)


def six() -> np.ndarray:
    """A loop with a tail one pen wide leaving its top towards the upper right."""
    mask = np.zeros((80, 60), np.uint8)
    _ring(mask, (28, 50), 11)
    cv2.line(mask, (22, 40), (38, 10), 1, thickness=PEN)
    return _crop(mask)


def nine() -> np.ndarray:
    mask = np.zeros((80, 60), np.uint8)
    _ring(mask, (30, 22), 11)
    cv2.line(mask, (40, 26), (36, 62), 1, thickness=PEN)
    return _crop(mask)


def _probs(label: str, p: float, eight: float) -> np.ndarray:
    out = np.full(len(CLASSES), (1.0 - p - eight) / (len(CLASSES) - 2), np.float32)
    out[CLASS_INDEX[label]], out[CLASS_INDEX["8"]] = p, eight
    return out


def test_a_blot_as_wide_as_an_eye_is_told_from_a_tail():
    assert filled_eye(eight_without_top_eye(), PEN) == "top"
    assert filled_eye(eight_without_bottom_eye(), PEN) == "bottom"
    assert filled_eye(six(), PEN) is None
    assert filled_eye(nine(), PEN) is None
    ring = np.zeros((60, 60), np.uint8)
    _ring(ring, (30, 30), 20)
    assert filled_eye(_crop(ring), PEN) is None  # a 0: no loose end at all


def test_an_eight_read_as_a_doubted_six_zero_or_nine_becomes_an_eight():
    for mask, label in [
        (eight_without_top_eye(), "6"),
        (eight_without_top_eye(), "0"),
        (eight_without_bottom_eye(), "9"),
    ]:
        out = filled_eye_as_eight(mask, _probs(label, 0.7, 0.2), PEN)
        assert CLASSES[int(out.argmax())] == "8"
        assert out[CLASS_INDEX[label]] == np.float32(0.2)


def test_real_sixes_nines_sure_readings_and_the_wrong_side_are_left_alone():
    doubted = _probs("6", 0.7, 0.2)
    assert np.array_equal(filled_eye_as_eight(six(), doubted, PEN), doubted)
    doubted_nine = _probs("9", 0.7, 0.2)
    assert np.array_equal(filled_eye_as_eight(nine(), doubted_nine, PEN), doubted_nine)
    sure = _probs("6", 0.98, EIGHT_DOUBT / 2)
    assert np.array_equal(filled_eye_as_eight(eight_without_top_eye(), sure, PEN), sure)
    # A lost top eye does not make a 9 (the tail would hang down), nor a 3 anything.
    assert np.array_equal(
        filled_eye_as_eight(eight_without_top_eye(), doubted_nine, PEN), doubted_nine
    )
    three = _probs("3", 0.7, 0.2)
    assert np.array_equal(filled_eye_as_eight(eight_without_top_eye(), three, PEN), three)
