"""Training crops and CenterNet targets for the detector.

A crop of fixed size is cut from a prepared sample (padded with paper when the
sample is smaller), its ink lightly varied, and its symbols turned into
per-class Gaussian peaks at output stride 4, with log box sizes and sub-cell
offsets at the peak cells. The Gaussian is elliptical, its spread a sixth of
the box each way (at least half a cell), so a long fraction bar and a dot
both get a peak that fits them.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...detect.decode import STRIDE
from .scenes import Sample

__all__ = ["CROP", "crop_sample", "centre_targets"]

#: Height and width of a training crop (multiples of 32).
CROP = (128, 384)
#: Spread of a peak, as a share of the box's side (TTFNet's 0.54 / 6).
SPREAD = 0.09


def crop_sample(
    sample: Sample, rng: np.random.Generator, size: tuple[int, int] = CROP
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random *size* crop of *sample*: (H, W) float32 image, boxes and labels inside it."""
    image: np.ndarray = sample.image.astype(np.float32) / 255.0
    boxes = sample.boxes.astype(np.float32).copy()
    if rng.random() < 0.3:
        # Beyond the scale estimate's own errors: the writing a little larger or smaller.
        f = float(np.exp(rng.uniform(-0.2, 0.2)))
        h, w = image.shape
        image = cv2.resize(image, (max(8, round(w * f)), max(8, round(h * f))))
        boxes *= np.array([image.shape[1] / w, image.shape[0] / h] * 2, np.float32)
    ch, cw = size
    h, w = image.shape
    y0 = int(rng.integers(0, h - ch + 1)) if h > ch else -int(rng.integers(0, ch - h + 1))
    x0 = int(rng.integers(0, w - cw + 1)) if w > cw else -int(rng.integers(0, cw - w + 1))
    out = np.zeros(size, np.float32)
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(h, y0 + ch), min(w, x0 + cw)
    out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    boxes -= np.array([x0, y0, x0, y0], np.float32)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    keep = (cx >= 0) & (cx < cw) & (cy >= 0) & (cy < ch)
    # The ink's darkness and contrast vary between pens, scanners and binarizations.
    out = np.clip(out * float(rng.uniform(0.6, 1.25)) + rng.normal(0, 0.02, out.shape), 0, 1)
    return out.astype(np.float32), boxes[keep], sample.labels[keep].astype(np.int64)


def centre_targets(
    boxes: np.ndarray, labels: np.ndarray, classes: int, size: tuple[int, int] = CROP
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``heat (C, h, w)``; per class ``size (2C, h, w)`` log size in cells and ``offset (2C, h, w)``
    (channels 2k, 2k + 1 for class k); ``mask (C, h, w)``, 1 at each class's centres."""
    h, w = size[0] // STRIDE, size[1] // STRIDE
    heat = np.zeros((classes, h, w), np.float32)
    logsize = np.zeros((2 * classes, h, w), np.float32)
    offset = np.zeros((2 * classes, h, w), np.float32)
    mask = np.zeros((classes, h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    # Larger boxes first: two symbols of one class on one cell keep the smaller's size.
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    for i in order:
        x0, y0, x1, y1 = boxes[i] / STRIDE
        bw, bh = max(x1 - x0, 0.25), max(y1 - y0, 0.25)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ix, iy = int(min(max(cx, 0), w - 1)), int(min(max(cy, 0), h - 1))
        sx, sy = max(0.5, SPREAD * bw), max(0.5, SPREAD * bh)
        g = np.exp(-((xs - cx) ** 2) / (2 * sx * sx) - ((ys - cy) ** 2) / (2 * sy * sy))
        g[iy, ix] = 1.0
        k = int(labels[i])
        np.maximum(heat[k], g, out=heat[k])
        logsize[2 * k : 2 * k + 2, iy, ix] = (np.log(bw), np.log(bh))
        offset[2 * k : 2 * k + 2, iy, ix] = (cx - ix, cy - iy)
        mask[k, iy, ix] = 1.0
    return heat, logsize, offset, mask
