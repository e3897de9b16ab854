"""A high-crossed + that the model reads as 7 (mathocr.tee), on shapes drawn here."""

from __future__ import annotations

import numpy as np

from mathocr.render import draw_strokes
from mathocr.symbols import CLASS_INDEX, CLASSES, crop_to_ink
from mathocr.tee import PLUS_DOUBT, is_tee, tee_as_plus

PEN = 5


def _mask(*strokes: list[tuple[float, float]]) -> np.ndarray:
    arrays = [np.array(s, float) for s in strokes]
    image = draw_strokes(arrays, scale=1.0, pen=PEN, padding=0, origin=(0, 0), canvas=(120, 120))
    found = crop_to_ink(image < 128)
    assert found is not None
    return found[0]


TEE = ([(20, 20), (80, 22)], [(52, 22), (50, 90)])
SEVEN = ([(20, 20), (80, 20)], [(80, 20), (40, 90)])
UPRIGHT_SEVEN = ([(20, 20), (80, 20)], [(80, 20), (78, 90)])
PLUS = ([(20, 55), (80, 55)], [(50, 20), (50, 90)])


def _probs(seven: float, plus: float) -> np.ndarray:
    p = np.full(len(CLASSES), (1.0 - seven - plus) / (len(CLASSES) - 2), np.float32)
    p[CLASS_INDEX["7"]], p[CLASS_INDEX["+"]] = seven, plus
    return p


def test_only_a_bar_over_a_stem_from_its_middle_is_a_tee():
    assert is_tee(_mask(*TEE), PEN)
    assert not is_tee(_mask(*SEVEN), PEN)  # the stroke leaves from the bar's right end
    assert not is_tee(_mask(*UPRIGHT_SEVEN), PEN)
    assert not is_tee(_mask(*PLUS), PEN)  # crossed in the middle: no bar on top


def test_a_tee_read_as_a_doubted_seven_becomes_a_plus():
    tee = _mask(*TEE)
    out = tee_as_plus(tee, _probs(0.72, 0.25), PEN)
    assert CLASSES[int(out.argmax())] == "+"
    assert out[CLASS_INDEX["7"]] == np.float32(0.25)


def test_a_sure_seven_or_a_real_seven_is_left_alone():
    tee = _mask(*TEE)
    sure = _probs(0.98, PLUS_DOUBT / 2)
    assert np.array_equal(tee_as_plus(tee, sure, PEN), sure)
    doubted = _probs(0.72, 0.25)
    assert np.array_equal(tee_as_plus(_mask(*SEVEN), doubted, PEN), doubted)
    four = _probs(0.1, 0.25)
    four[CLASS_INDEX["4"]] = 0.6
    assert np.array_equal(tee_as_plus(tee, four, PEN), four)
