"""From the detector's output maps to symbols: peaks, boxes, class scores.

Peaks are found per class (a cell whose score is the largest in its 3×3
neighbourhood and above a threshold), so a ``\\sqrt`` and the digit in its
radicand, whose centres may fall in one cell, are both kept: there is no
class-blind suppression. The one merge is of near-identical boxes from two
classes at one place (an ``x`` that also fires as ``\\times``): the stronger
wins and the weaker becomes its alternative.

Both steps are vectorized: only the cells above the threshold are compared
with their neighbours, and the boxes' overlaps are computed in one go, so a
canvas decodes in a fraction of a millisecond rather than looping in Python
over 27 channels and every peak. ``tests/test_detect.py`` pins the result to
the plain loop it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    if size.shape[0] != 2 * c or offset.shape[0] != 2 * c:
        raise ValueError(
            f"size and offset need 2 channels per class ({2 * c}), got {size.shape[0]}"
        )
    heat = np.ascontiguousarray(heat, np.float32)
    ks, ys, xs = _peaks(heat, threshold)
    scores = heat[ks, ys, xs]
    # Strongest first; ties by class, row, column, all descending.
    order = np.lexsort((xs, ys, ks, scores))[::-1]
    ks, ys, xs, scores = ks[order], ys[order], xs[order], scores[order]
    j = 2 * ks
    cx = (xs + offset[j, ys, xs].astype(np.float64)) * STRIDE
    cy = (ys + offset[j + 1, ys, xs].astype(np.float64)) * STRIDE
    bw = np.exp(_clip(size[j, ys, xs], -3, 8)).astype(np.float64) * STRIDE
    bh = np.exp(_clip(size[j + 1, ys, xs], -3, 8)).astype(np.float64) * STRIDE
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    keep = _first_of_each_symbol(boxes)
    kept = np.flatnonzero(keep)
    every = heat[:, ys[kept], xs[kept]].T
    return [
        Detection(int(ks[i]), float(scores[i]), (b[0], b[1], b[2], b[3]), every[n].copy())
        for n, (i, b) in enumerate(zip(kept, boxes[kept].tolist(), strict=True))
    ]


def _clip(a: np.ndarray, low: float, high: float) -> np.ndarray:
    """``np.clip`` without its dispatch, which costs more than clipping a few dozen values."""
    return np.minimum(np.maximum(a, low), high)


def _peaks(heat: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class, row and column of every cell at least *threshold* and its 3×3 neighbourhood's largest.

    Only the cells above the threshold, a few dozen of some hundred thousand,
    are compared with their eight neighbours: a max-pool of every channel
    would cost far more than it decides. Flat indices, because ``nonzero`` of
    a 3-D mask and ``clip`` cost more than the comparisons.
    """
    c, h, w = heat.shape
    flat = heat.reshape(-1)
    cells = np.flatnonzero(flat >= threshold)
    ks, rest = np.divmod(cells, h * w)
    ys, xs = np.divmod(rest, w)
    if cells.size == 0:
        return ks, ys, xs
    centre = flat[cells]
    # A neighbour beyond the edge is the cell itself, which never outscores it.
    rows = [np.maximum(ys - 1, 0), ys, np.minimum(ys + 1, h - 1)]
    cols = [np.maximum(xs - 1, 0), xs, np.minimum(xs + 1, w - 1)]
    base = ks * (h * w)
    peak = np.ones(cells.size, bool)
    for i, ny in enumerate(rows):
        row = base + ny * w
        for j, nx in enumerate(cols):
            if i != 1 or j != 1:
                peak &= centre >= flat[row + nx]
    return ks[peak], ys[peak], xs[peak]


#: Pairs of candidate boxes compared at once: the IoU of every pair in one go
#: would take memory quadratic in the peaks (80 bytes a pair in temporaries),
#: and maps of noise can have thousands. 2**18 pairs is a few MB.
_PAIRS = 2**18


def _first_of_each_symbol(boxes: np.ndarray) -> np.ndarray:
    """Which of *boxes* (strongest first) to keep: each unless a kept, stronger box is the same symbol.

    Greedy like a loop over the boxes that compares each with those kept so
    far, but the overlaps are computed for many boxes at once, and only the
    few boxes that overlap a stronger one go through the loop.
    """
    n = len(boxes)
    keep = np.ones(n, bool)
    rows = max(1, _PAIRS // max(n, 1))
    rivals: list[tuple[int, np.ndarray]] = []
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        same = box_iou(boxes[start:stop], boxes[:stop]) >= SAME_SYMBOL_IOU
        same &= np.arange(stop)[None, :] < np.arange(start, stop)[:, None]
        rivals.extend(
            (start + int(i), np.flatnonzero(same[i])) for i in np.flatnonzero(same.any(axis=1))
        )
    # In order of strength: a box's stronger rivals are settled before it is.
    for i, stronger in rivals:
        keep[i] = not keep[stronger].any()
    return keep
