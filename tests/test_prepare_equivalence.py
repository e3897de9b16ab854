"""The preparation's cheaper OpenCV calls give exactly what the calls they replaced gave.

Three steps of :func:`mathocr.detect.prepare.prepare` were made cheaper
(issue 21): the speck filter labels without statistics and counts areas
itself, the marks are labelled with 16-bit labels, and an unrotated crop is
cut out rather than warped. Each is compared here with the call it replaced,
on random images dense and sparse enough to give many pieces, touching ones,
and pieces on the border.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mathocr.detect.prepare import _ink_grey
from mathocr.imaging import _drop_specks
from mathocr.segmentation import _labelled, components


def _random_ink(rng: np.random.Generator) -> np.ndarray:
    h, w = (int(v) for v in rng.integers(1, 300, 2))
    return (rng.random((h, w)) < rng.uniform(0.02, 0.7)).astype(np.uint8)


def _reference_drop_specks(binary, pen, strong=None):
    """The speck filter as it was: areas from OpenCV's labelling with statistics."""
    min_area = max(3, round(0.25 * pen * pen))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < min_area
    if strong is not None:
        faint = np.ones(count, bool)
        faint[labels[strong & (binary > 0)]] = False
        small |= faint
    small[0] = False
    if not small[1:].any():
        return binary
    keep = ~small
    keep[0] = False
    return keep[labels].astype(np.uint8)


@pytest.mark.parametrize("seed", range(40))
def test_drop_specks_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    ink = _random_ink(rng)
    pen = float(rng.uniform(1, 6))
    strong = rng.random(ink.shape) < 0.3 if seed % 2 else None
    got = _drop_specks(ink, pen, strong)
    want = _reference_drop_specks(ink, pen, strong)
    assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("seed", range(40))
def test_labelled_equals_opencvs_32_bit_labelling(seed):
    ink = _random_ink(np.random.default_rng(seed))
    count, labels, stats = _labelled(ink)
    want_count, want_labels, want_stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert count == want_count
    assert labels.dtype == want_labels.dtype == np.int32
    assert np.array_equal(labels, want_labels) and np.array_equal(stats, want_stats)


def test_more_pieces_than_16_bit_labels_hold_are_labelled_all_the_same():
    specks = np.zeros((600, 600), np.uint8)
    specks[::2, ::2] = 1  # 90,000 separate pixels
    labels, comps = components(specks)
    assert len(comps) == 300 * 300 and labels.dtype == np.int32
    assert labels.max() == 300 * 300 and labels[598, 598] == 300 * 300


@pytest.mark.parametrize("seed", range(30))
def test_ink_grey_equals_the_bilinear_warp(seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(20, 200, 2))
    normalized = rng.integers(0, 256, (h, w), dtype=np.uint8)
    if seed % 3 == 2:
        # A rotation (a straightened crop): warped as before.
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-8, 8)), 1.0)
        size = (w, h)
    else:
        # A crop's corner moved to the origin by whole pixels, as deskew leaves it.
        x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        matrix = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])
        # Now and then a crop that overhangs the image: the warp's black border.
        size = (w - x0 + (seed % 5 == 1) * 3, h - y0)
    want = cv2.warpAffine(255 - normalized, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    got = _ink_grey(normalized, matrix, size)
    assert got.dtype == want.dtype and np.array_equal(got, want)
