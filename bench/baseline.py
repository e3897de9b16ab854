"""The original design's preprocessing and extraction, re-implemented as a yardstick.

The chain, as the original series described it:

1. grayscale;
2. Gaussian blur, σ = 1;
3. :func:`skimage.filters.threshold_minimum` (the valley between the
   histogram's two peaks) to separate paper from ink;
4. a 3×3 erosion of the paper (which thickens the ink);
5. invert, so ink is foreground;
6. :func:`skimage.morphology.thin` on the whole image;
7. external contours (``cv2.findContours`` with ``RETR_EXTERNAL``), sorted
   left to right by their bounding box;
8. each contour's box cut out of the thinned image and drawn into a 32×32 box.

It is only used to time the original approach and to count the symbols it
finds, on the same images and in the same run as ours. It works at the
image's own resolution, as the original did.

``threshold_minimum`` raises when the histogram has no two peaks (common on
clean canvas drawings); the original would have failed there, so we fall back
to Otsu to keep measuring, and count how often it happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.filters import gaussian, threshold_minimum, threshold_otsu
from skimage.morphology import thin

__all__ = ["BaselineResult", "extract_symbols"]

BOX = 32


@dataclass(frozen=True)
class BaselineResult:
    symbols: np.ndarray
    """(N, 32, 32) uint8, 1 on the thinned strokes."""
    boxes: list[tuple[int, int, int, int]]
    threshold_fallback: bool
    """``threshold_minimum`` found no valley and Otsu was used instead."""


def _to_box(crop: np.ndarray) -> np.ndarray:
    """Scale the crop to fit 28×28 (aspect kept) and centre it in 32×32."""
    h, w = crop.shape
    scale = 28.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(crop.astype(np.uint8) * 255, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((BOX, BOX), np.uint8)
    top, left = (BOX - nh) // 2, (BOX - nw) // 2
    out[top : top + nh, left : left + nw] = small > 0
    return out


def extract_symbols(gray: np.ndarray) -> BaselineResult:
    """Run the original chain on a grayscale (H, W) uint8 image."""
    blurred = gaussian(gray, sigma=1, preserve_range=True)
    fallback = False
    try:
        level = threshold_minimum(blurred)
    except RuntimeError:
        fallback = True
        level = threshold_otsu(blurred)
    paper = blurred > level
    paper = cv2.erode(paper.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ink = ~paper
    skeleton = thin(ink)
    contours, _ = cv2.findContours(
        skeleton.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    boxes = sorted((cv2.boundingRect(c) for c in contours), key=lambda b: b[0])
    symbols = [_to_box(skeleton[y : y + h, x : x + w]) for x, y, w, h in boxes]
    stack = np.stack(symbols) if symbols else np.zeros((0, BOX, BOX), np.uint8)
    return BaselineResult(stack, [tuple(int(v) for v in b) for b in boxes], fallback)
