"""The preparation's cheaper OpenCV calls give exactly what the calls they replaced gave.

Three steps of :func:`mathocr.detect.prepare.prepare` were made cheaper
(issue 21): the speck filter labels without statistics and counts areas
itself, the marks are labelled with 16-bit labels, and an unrotated crop is
cut out rather than warped. Then the skew is scored for all angles at once on
points OpenCV lists, a loop's pinholes are only cleared when there are any,
the speck filter looks its strong pixels up without masking them by the ink
first, and the detector's ink fitter picks a symbol's pieces with a lookup
table rather than ``numpy.isin``. Each is compared here with the code it
replaced, on random images dense and sparse enough to give many pieces,
touching ones, and pieces on the border.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from mathocr.detect.marks import _labelled, components
from mathocr.detect.prepare import _ink_grey
from mathocr.imaging import estimate_skew
from mathocr.imaging.binarize import _CROSS, _drop_specks, _open_sunken_holes


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


def _reference_estimate_skew(binary, *, max_angle=8.0):
    """The skew as it was: NumPy's points, and one angle scored at a time."""
    ys, xs = np.nonzero(binary)
    if ys.size < 50:
        return 0.0
    if ys.size > 3000:
        pick = np.random.default_rng(0).choice(ys.size, 3000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs_c = xs - xs.mean()
    ys_c = ys - ys.mean()
    height = max(float(np.ptp(ys)), 1.0)
    bin_size = max(1.0, height / 60)

    def score(angle):
        t = math.radians(angle)
        rows = ys_c * math.cos(t) + xs_c * math.sin(t)
        idx = np.floor((rows - rows.min()) / bin_size).astype(np.int64)
        counts = np.bincount(idx).astype(np.float64)
        return float(np.dot(counts, counts))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 2.0)
    best = float(coarse[int(np.argmax([score(a) for a in coarse]))])
    fine = np.arange(best - 1.75, best + 1.75 + 1e-9, 0.25)
    scores = [score(a) for a in fine]
    best = float(fine[int(np.argmax(scores))])
    if max(scores) < 1.02 * score(0.0):
        return 0.0
    return best


def _tilted_lines(rng: np.random.Generator) -> np.ndarray:
    """Lines of writing tilted by up to 8 degrees, with specks: few or many points."""
    h, w = (int(v) for v in rng.integers(8, 400, 2))
    image = (rng.random((h, w)) < rng.uniform(0.0, 0.2)).astype(np.uint8)
    slope = math.tan(math.radians(float(rng.uniform(-8, 8))))
    for row in range(0, h, max(3, h // int(rng.integers(1, 6)))):
        cv2.line(image, (0, row), (w - 1, int(row + slope * w)), 1, int(rng.integers(1, 4)))
    return image


@pytest.mark.parametrize("seed", range(60))
def test_estimate_skew_equals_the_reference(seed):
    image = _tilted_lines(np.random.default_rng(seed))
    # uint8 as binarize gives it, a cut-out view of it, and bool (NumPy's points then)
    for binary in (image, image[1:, 2:], image > 0):
        for max_angle in (8.0, 5.0):
            want = _reference_estimate_skew(binary, max_angle=max_angle)
            assert estimate_skew(binary, max_angle=max_angle) == want


def test_estimate_skew_of_no_ink_is_upright():
    assert estimate_skew(np.zeros((40, 60), np.uint8)) == 0.0


def _reference_open_sunken_holes(part, ink, pen, levels):
    """The loop opening as it was: the pinholes cleared from a copy, always."""
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    y0, x0 = max(0, y - 1), max(0, x - 1)
    part, ink = part[y0 : y + h + 1, x0 : x + w + 1], ink[y0 : y + h + 1, x0 : x + w + 1]
    background = (ink == 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=8)
    pinhole = np.bincount(labels.ravel(), minlength=count) < pen * pen
    pinhole[0] = False
    paper = background.copy()
    paper[pinhole[labels]] = 0
    paper = cv2.dilate(paper, _CROSS, borderType=cv2.BORDER_CONSTANT)
    holes = []
    for level in levels:
        lighter = ((part >= level) & (ink > 0)).astype(np.uint8)
        count, labels = cv2.connectedComponents(lighter, connectivity=4)
        if count <= 1:
            continue
        enclosed = np.ones(count, bool)
        enclosed[0] = False
        edge = cv2.findNonZero(cv2.bitwise_and(lighter, paper))
        if edge is not None:
            xy = edge.reshape(-1, 2)
            enclosed[labels[xy[:, 1], xy[:, 0]]] = False
        if enclosed.any():
            holes.append(enclosed[labels])
    for hole in holes:
        ink[hole] = 0


@pytest.mark.parametrize("seed", range(40))
def test_open_sunken_holes_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 200, 2))
    # Smooth grey blobs: dark rings around lighter centres, at several sizes.
    part = cv2.GaussianBlur(rng.integers(0, 256, (h, w), dtype=np.uint8), (0, 0), 2.0)
    part = cv2.normalize(part, None, 0, 255, cv2.NORM_MINMAX)
    ink = (part < rng.uniform(60, 200)).astype(np.uint8)
    # Pinholes in the ink, sometimes (never, for the odd seeds).
    if seed % 2 == 0:
        ink[rng.random((h, w)) < 0.01] = 0
    pen = float(rng.uniform(1, 6))
    levels = sorted(float(v) for v in rng.uniform(20, 150, 2))
    got, want = ink.copy(), ink.copy()
    _open_sunken_holes(part, got, pen, levels)
    _reference_open_sunken_holes(part, want, pen, levels)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("seed", range(30))
def test_symbol_ink_equals_isin_of_the_owned_pieces(seed):
    from mathocr.detect.model import InkFitter

    rng = np.random.default_rng(seed)
    ink = _random_ink(rng) > 0
    h, w = ink.shape
    boxes = []
    for _ in range(int(rng.integers(1, 8))):
        x0, y0 = float(rng.uniform(-3, w)), float(rng.uniform(-3, h))
        boxes.append((x0, y0, x0 + float(rng.uniform(1, w)), y0 + float(rng.uniform(1, h))))
    fitter = InkFitter(ink)
    fitted = fitter.fit(boxes)
    for i, box in enumerate(fitted):
        x0, y0 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
        x1, y1 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
        part = fitter.pieces[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]
        mine = fitter.owned[i]
        want = np.isin(part, mine) if mine.size else part > 0
        want = want if want.any() else part > 0
        got = fitter.symbol_ink(i, box)
        assert got.dtype == want.dtype and np.array_equal(got, want)
