"""A symbol's size in its expression: the classifier's side input."""

from __future__ import annotations

import numpy as np
import pytest

from mathocr.geometry import (
    GEOMETRY_FEATURES,
    MISSING,
    missing_geometry,
    symbol_geometry,
    typical_size,
)


def test_typical_size_ignores_bars_and_dots():
    digits = [[20.0, 40.0], [22.0, 42.0], [18.0, 38.0]]
    bars = [[60.0, 3.0]] * 5  # more minus signs than digits
    dots = [[3.0, 3.0]] * 4
    assert typical_size(np.array(digits + bars + dots)) == pytest.approx(40.0)


def test_typical_size_falls_back_when_everything_is_flat():
    assert typical_size(np.array([[50.0, 4.0], [30.0, 3.0]])) == pytest.approx(40.0)
    assert typical_size(np.zeros((0, 2))) == 1.0


def test_a_tall_bracket_and_a_short_one_differ():
    geo = symbol_geometry(np.array([[6.0, 60.0], [6.0, 40.0]]), reference=40.0)
    assert geo.shape == (2, GEOMETRY_FEATURES) and geo.dtype == np.float32
    assert geo[0, 0] == pytest.approx(np.log(1.5), abs=1e-6)
    assert geo[1, 0] == pytest.approx(0.0, abs=1e-6)
    assert (geo[:, 1] < -1.5).all() and not geo[:, 2].any()


def test_geometry_is_scale_free_and_bounded():
    sizes = np.array([[10.0, 30.0], [0.0, 0.0], [1e6, 1.0]])
    a = symbol_geometry(sizes, 30.0)
    b = symbol_geometry(sizes * 7, 210.0)
    assert np.allclose(a, b, atol=1e-5)
    assert np.isfinite(a).all() and a.min() >= -4.0 and a.max() <= 3.0


def test_missing_rows():
    rows = missing_geometry(3)
    assert rows.shape == (3, GEOMETRY_FEATURES)
    assert (rows == MISSING).all() and rows.dtype == np.float32


def test_mask_sizes_are_pen_free_and_never_below_a_pixel():
    from mathocr.geometry import pen_free_sizes

    sizes = pen_free_sizes([(40, 20), (3, 60), (2, 2)], pen=4.0)
    assert sizes.tolist() == [[16.0, 36.0], [56.0, 1.0], [1.0, 1.0]]
    assert pen_free_sizes([], pen=4.0).shape == (0, 2)


def test_mask_geometry_measures_tight_masks_as_symbol_geometry_measures_boxes():
    from mathocr.geometry import mask_geometry, typical_mask_size

    masks = [np.ones((44, 24), bool), np.ones((46, 20), bool), np.ones((8, 60), bool)]
    reference = typical_mask_size(masks, pen=4.0)
    assert reference == pytest.approx(41.0)  # the bar is left out
    expected = symbol_geometry(np.array([[20.0, 40.0], [16.0, 42.0], [56.0, 4.0]]), reference)
    assert np.allclose(mask_geometry(masks, 4.0, reference), expected)
