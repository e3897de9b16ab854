"""A ÷ with one dot run into its bar, read as + (mathocr.obelus), on shapes drawn here."""

from __future__ import annotations

import numpy as np

from mathocr.obelus import DIV_DOUBT, has_loose_dot, obelus_as_div
from mathocr.render import draw_strokes
from mathocr.second_look import shape_checks
from mathocr.symbols import CLASS_INDEX, CLASSES, crop_to_ink, normalize_symbol
from mathocr.training.sequences import ExpressionSequence, readings

PEN = 5

#: Top dot free, bottom dot drawn as a dash from the bar down.
HALF_JOINED = ([(48, 15), (56, 17)], [(15, 55), (85, 55)], [(50, 55), (52, 80)])
DIV = ([(48, 25), (54, 27)], [(15, 55), (85, 55)], [(48, 80), (54, 82)])
PLUS = ([(15, 55), (85, 55)], [(50, 20), (50, 90)])
#: A plus whose bar is drawn apart from the vertical, which still crosses the bar's rows.
LOOSE_PLUS = ([(15, 55), (45, 55)], [(55, 55), (85, 55)], [(50, 20), (50, 90)])
EQUALS = ([(15, 45), (85, 45)], [(25, 65), (75, 65)])
#: A mark above the bar's end, not over its middle.
OFF_CENTRE = ([(14, 20), (20, 22)], [(15, 55), (85, 55)], [(50, 55), (52, 80)])


def _symbol(*strokes: list[tuple[float, float]]) -> np.ndarray:
    arrays = [np.array(s, float) for s in strokes]
    image = draw_strokes(arrays, scale=1.0, pen=PEN, padding=0, origin=(0, 0), canvas=(120, 120))
    found = crop_to_ink(image < 128)
    assert found is not None
    return normalize_symbol(found[0])


def _probs(plus: float, div: float) -> np.ndarray:
    p = np.full(len(CLASSES), (1.0 - plus - div) / (len(CLASSES) - 2), np.float32)
    p[CLASS_INDEX["+"]], p[CLASS_INDEX["\\div"]] = plus, div
    return p


def test_a_mark_apart_above_or_below_the_middle_is_a_loose_dot():
    assert has_loose_dot(_symbol(*HALF_JOINED))
    assert has_loose_dot(_symbol(*DIV))
    assert not has_loose_dot(_symbol(*PLUS))
    assert not has_loose_dot(_symbol(*LOOSE_PLUS))  # its loose part crosses the bar's rows
    assert not has_loose_dot(_symbol(*EQUALS))  # a second bar is no dot
    assert not has_loose_dot(_symbol(*OFF_CENTRE))


def test_a_half_joined_div_read_as_a_doubted_plus_becomes_div():
    out = obelus_as_div(_symbol(*HALF_JOINED), _probs(0.8, 0.15))
    assert CLASSES[int(out.argmax())] == "\\div"
    assert out[CLASS_INDEX["+"]] == np.float32(0.15)


def test_a_sure_plus_or_a_real_plus_is_left_alone():
    sure = _probs(0.98, DIV_DOUBT / 2)
    assert np.array_equal(obelus_as_div(_symbol(*HALF_JOINED), sure), sure)
    doubted = _probs(0.8, 0.15)
    assert np.array_equal(obelus_as_div(_symbol(*PLUS), doubted), doubted)


def test_the_symbol_is_normalized_only_when_the_reading_asks():
    calls = []

    def image() -> np.ndarray:
        calls.append(1)
        return _symbol(*HALF_JOINED)

    sure = _probs(0.98, DIV_DOUBT / 2)
    assert np.array_equal(obelus_as_div(image, sure), sure)
    assert calls == []
    assert CLASSES[int(obelus_as_div(image, _probs(0.8, 0.15)).argmax())] == "\\div"
    assert calls == [1]


def test_shape_checks_end_the_readings_that_evaluate_symbols_scores():
    images = np.stack([_symbol(*HALF_JOINED), _symbol(*PLUS)])
    probs = np.stack([_probs(0.8, 0.15), _probs(0.8, 0.15)])
    checked = shape_checks(images, probs)
    assert [CLASSES[i] for i in checked.argmax(axis=1)] == ["\\div", "+"]
    labels = np.array([CLASS_INDEX["\\div"], CLASS_INDEX["+"]])
    line = ExpressionSequence(
        "drawn", labels, np.zeros((2, 4), np.float32), np.zeros((2, 3), np.float32), probs, images
    )
    read = readings([line], None)
    assert [CLASSES[i] for i in read.first] == ["+", "+"]
    assert [CLASSES[i] for i in read.final] == ["\\div", "+"]
    blind = ExpressionSequence("drawn", labels, line.boxes, line.geometry, probs)
    assert [CLASSES[i] for i in readings([blind], None).final] == ["+", "+"]
