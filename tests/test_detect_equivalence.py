"""The detector's fast paths give what the plain code they replaced gave.

Decoding, and the preparation's measure of the writing, were rewritten for
speed; each is compared here with a straightforward reference (the code as it
was) on random inputs made to hit the awkward cases: ties, plateaus, peaks on
the border, boxes of two classes on one centre, chains of overlapping boxes.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mathocr.detect.decode import SAME_SYMBOL_IOU, STRIDE, Detection, box_iou, decode


def _reference_decode(
    heat: np.ndarray, size: np.ndarray, offset: np.ndarray, *, threshold: float = 0.3
) -> list[Detection]:
    """Decoding as first written: a dilation per class, then each peak against every kept box."""
    c, h, w = heat.shape
    kernel = np.ones((3, 3), np.uint8)
    found: list[tuple[float, int, int, int]] = []
    for k in range(c):
        channel = np.ascontiguousarray(heat[k], dtype=np.float32)
        peaks = (channel >= threshold) & (channel >= cv2.dilate(channel, kernel))
        ys, xs = np.nonzero(peaks)
        found.extend((float(channel[y, x]), k, int(y), int(x)) for y, x in zip(ys, xs, strict=True))
    found.sort(reverse=True)
    out: list[Detection] = []
    for score, k, y, x in found:
        j = 2 * k
        cx = (x + float(offset[j, y, x])) * STRIDE
        cy = (y + float(offset[j + 1, y, x])) * STRIDE
        bw = float(np.exp(np.clip(size[j, y, x], -3, 8))) * STRIDE
        bh = float(np.exp(np.clip(size[j + 1, y, x], -3, 8))) * STRIDE
        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        if out:
            kept = np.array([d.box for d in out])
            if (box_iou(np.array(box), kept)[0] >= SAME_SYMBOL_IOU).any():
                continue
        out.append(Detection(k, score, box, heat[:, y, x].astype(np.float32)))
    return out


def _random_maps(
    rng: np.random.Generator, c: int, h: int, w: int, *, levels: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maps with many peaks; with *levels*, scores on a few levels, so plateaus and ties abound.

    Sizes and offsets vary little between classes at a cell, so peaks of
    several classes on one centre give near-identical boxes (the merge) and
    neighbouring cells give boxes that overlap in chains.
    """
    heat = rng.random((c, h, w), dtype=np.float32)
    if levels is not None:
        heat = (np.round(heat * levels) / levels).astype(np.float32)
    base = rng.normal(1.5, 0.6, (2, h, w)).astype(np.float32)
    size = np.repeat(base, c, axis=0) + rng.normal(0, 0.05, (2 * c, h, w)).astype(np.float32)
    size[0, 0, 0] = 20.0  # clipped at the top
    size[1, -1, -1] = -9.0  # and at the bottom
    offset = rng.random((2 * c, h, w), dtype=np.float32)
    return heat, size, offset


def _same(a: list[Detection], b: list[Detection]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.label == y.label
        assert x.score == y.score
        assert x.box == pytest.approx(y.box, rel=1e-6, abs=1e-6)
        assert x.scores.dtype == y.scores.dtype == np.float32
        np.testing.assert_array_equal(x.scores, y.scores)


@pytest.mark.parametrize("seed", range(12))
def test_decode_equals_the_reference_on_random_maps(seed):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(1, 28))
    h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    levels = [None, 3, 10][seed % 3]
    heat, size, offset = _random_maps(rng, c, h, w, levels=levels)
    for threshold in (0.0, 0.3, 0.7, 1.1):
        _same(
            decode(heat, size, offset, threshold=threshold),
            _reference_decode(heat, size, offset, threshold=threshold),
        )


def test_decode_equals_the_reference_with_more_peaks_than_a_block():
    """Thousands of candidates: the overlaps are computed block by block."""
    rng = np.random.default_rng(99)
    heat, size, offset = _random_maps(rng, 27, 40, 60, levels=4)
    found = decode(heat, size, offset, threshold=0.2)
    assert len(found) > 1000
    _same(found, _reference_decode(heat, size, offset, threshold=0.2))


def test_decode_of_empty_maps():
    heat = np.zeros((27, 0, 5), np.float32)
    assert decode(heat, np.zeros((54, 0, 5), np.float32), np.zeros((54, 0, 5), np.float32)) == []
