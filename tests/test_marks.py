"""The ink's pieces and the writing's typical symbol height (mathocr.detect.marks), on ink drawn here."""

from __future__ import annotations

import numpy as np
import pytest

from mathocr.data.render import draw_strokes
from mathocr.detect.marks import MAX_MARKS, Component, find_marks, typical_height

PEN = 5
ONE = [(20, 40), (24, 100)]
SEVEN = [(60, 40), (95, 40), (70, 100)]


def _ink(*strokes: list[tuple[float, float]]) -> np.ndarray:
    arrays = [np.array(s, float) for s in strokes]
    image = draw_strokes(arrays, scale=1.0, pen=PEN, padding=0, origin=(0, 0), canvas=(200, 400))
    return (image < 128).astype(np.uint8)


def test_typical_height_ignores_bars_and_dots():
    comps = [
        Component(1, 0, 0, 20, 60, 300),
        Component(2, 30, 0, 22, 58, 300),
        Component(3, 60, 0, 24, 62, 300),
        Component(4, 90, 28, 40, 5, 200),  # a minus
        Component(5, 140, 55, 5, 5, 20),  # a dot
        Component(6, 150, 28, 40, 5, 200),
    ]
    assert typical_height(comps, 5) == 60


def test_typical_height_of_a_short_expression_ignores_a_thick_point():
    # "5.4" on a large photo: the point (26 px, pen 7) is taller than 2.5 pens,
    # and with the 5's lifted hat there are only four pieces of ink.
    comps = [
        Component(1, 293, 16, 125, 246, 3000),  # 4
        Component(2, 51, 20, 156, 61, 900),  # the 5's hat
        Component(3, 16, 76, 126, 162, 2500),  # the 5's body
        Component(4, 239, 106, 18, 26, 300),  # the point
    ]
    assert typical_height(comps, 7.1) == 162


def test_specks_smaller_than_a_pen_dot_are_dropped():
    ink = _ink(ONE, SEVEN)
    ink[150, 300] = 1
    ink[10:12, 350:352] = 1
    marks = find_marks(ink, pen_width=PEN)
    assert len(marks.components) == 2
    assert marks.height == pytest.approx(60 + PEN, abs=2)


def test_no_ink_and_a_texture_have_no_typical_height():
    assert find_marks(np.zeros((50, 50), np.uint8), pen_width=3).height == 0
    # More separate marks than an expression has: noise, not writing.
    texture = np.zeros((400, 400), np.uint8)
    texture[2::10, 2::10] = 1
    texture[3::10, 2::10] = 1
    texture[2::10, 3::10] = 1
    texture[3::10, 3::10] = 1
    marks = find_marks(texture, pen_width=1)
    assert len(marks.components) > MAX_MARKS
    assert marks.height == 0


def test_find_marks_rejects_a_colour_image():
    with pytest.raises(ValueError, match="2-D"):
        find_marks(np.zeros((5, 5, 3), np.uint8), pen_width=2)
