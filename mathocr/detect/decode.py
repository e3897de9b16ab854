"""From the detector's output maps to symbols: peaks, boxes, class scores.

Peaks are found per class (a cell whose score is the largest in its 3×3
neighbourhood and above a threshold), so a ``\\sqrt`` and the digit in its
radicand, whose centres may fall in one cell, are both kept: there is no
class-blind suppression. The one merge is of near-identical boxes from two
classes at one place (an ``x`` that also fires as ``\\times``): the stronger
wins and the weaker becomes its alternative.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["STRIDE", "Detection", "decode", "box_iou"]

#: Input pixels per output cell.
STRIDE = 4
#: Boxes of two classes overlapping this much (IoU) are one symbol read two ways.
SAME_SYMBOL_IOU = 0.7


@dataclass(frozen=True)
class Detection:
    """One symbol found: its class, score, box in input pixels, and every class's score."""

    label: int
    score: float
    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 in the detector's input pixels."""
    scores: np.ndarray
    """(C,) every class's heatmap score at this peak."""


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of x0, y0, x1, y1 boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def decode(
    heat: np.ndarray, size: np.ndarray, offset: np.ndarray, *, threshold: float = 0.3
) -> list[Detection]:
    """Symbols from one image's maps.

    Parameters
    ----------
    heat : (C, h, w) ndarray
        Per-class centre scores in [0, 1].
    size : (2C, h, w) ndarray
        log of box width and height in cells, per class (channels 2k, 2k + 1).
    offset : (2C, h, w) ndarray
        The centre's position within its cell, x and y, in cells, per class likewise.
    threshold : float
        The least peak score kept.
    """
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
    if size.shape[0] != 2 * c or offset.shape[0] != 2 * c:
        raise ValueError(
            f"size and offset need 2 channels per class ({2 * c}), got {size.shape[0]}"
        )
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
