"""The pieces of ink in an image, and how tall the writing's typical symbol is.

The detector's preparation (:func:`mathocr.detect.prepare.prepare`) scales
every image so that its typical symbol has one height; that height is
measured here, on the connected pieces of the binarized, straightened ink.
Specks smaller than a quarter of a pen dot are left out, and so is ink with
hundreds of separate marks (a texture or noise, not an expression).

>>> import numpy as np
>>> ink = np.zeros((80, 120), np.uint8)
>>> ink[10:70, 10:14] = 1; ink[10:70, 40:44] = 1      # two strokes 60 px tall
>>> ink[38:42, 60:100] = 1                            # a bar
>>> find_marks(ink, pen_width=4).height
60.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MAX_MARKS",
    "Component",
    "Marks",
    "components",
    "find_marks",
    "typical_height",
    "usable",
]

#: More separate marks than this are a texture or noise, not a handwritten expression.
MAX_MARKS = 300


@dataclass(frozen=True)
class Component:
    """One connected piece of ink."""

    id: int
    x: int
    y: int
    w: int
    h: int
    area: int


@dataclass(frozen=True)
class Marks:
    """The ink's pieces with the writing's typical symbol height."""

    components: list[Component]
    pen_width: float
    height: float
    """Typical symbol height in pixels (:func:`typical_height`); 0 without usable ink."""


def components(binary: np.ndarray) -> tuple[np.ndarray, list[Component]]:
    """Label the ink (8-connected); returns the label image and the components."""
    count, labels, stats = _labelled(binary)
    comps = [
        Component(
            id=i,
            x=int(stats[i, cv2.CC_STAT_LEFT]),
            y=int(stats[i, cv2.CC_STAT_TOP]),
            w=int(stats[i, cv2.CC_STAT_WIDTH]),
            h=int(stats[i, cv2.CC_STAT_HEIGHT]),
            area=int(stats[i, cv2.CC_STAT_AREA]),
        )
        for i in range(1, count)
    ]
    return labels, comps


def _labelled(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """OpenCV's 8-connected labelling with statistics: the count, int32 labels, the stats.

    Labelled into 16-bit labels when they fit, and widened after: OpenCV
    gathers the statistics about three times faster for 16-bit labels than
    for 32-bit ones (1.3 ms against 0.5 ms on a photo's writing), with the same
    labels and statistics. Past 65,535 labels (a page of specks) OpenCV
    refuses the 16-bit labelling, and it is done with 32-bit labels instead.
    """
    try:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            binary, connectivity=8, ltype=cv2.CV_16U
        )
    except cv2.error:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        return count, labels, stats
    return count, labels.astype(np.int32), stats


def typical_height(comps: Sequence[Component], pen_width: float) -> float:
    """Median height of the components that look like whole symbols.

    Bars and dots would drag a plain median down, so components flatter than
    a quarter of their width or barely taller than the pen are left out.
    """
    tall = [c.h for c in comps if c.h > 2.5 * pen_width and c.h >= 0.25 * c.w]
    if not tall:
        tall = [max(c.h, c.w) for c in comps] or [1]
    # A point drawn with a thick pen passes for a symbol; among few symbols it
    # would pull the median down to half a digit.
    big = 0.3 * float(np.percentile(tall, 75))
    return float(np.median([h for h in tall if h >= big]))


def find_marks(binary: np.ndarray, *, pen_width: float) -> Marks:
    """Label *binary*'s ink, drop specks smaller than a quarter pen dot, measure the writing."""
    if binary.ndim != 2:
        raise ValueError(f"binary must be 2-D, got shape {binary.shape}")
    _, comps = components(binary)
    pen = max(1.0, float(pen_width))
    min_area = max(3, round(0.25 * pen * pen))
    comps = [c for c in comps if c.area >= min_area]
    return Marks(comps, pen, typical_height(comps, pen) if usable(comps) else 0.0)


def usable(comps: Sequence[Component]) -> bool:
    """Whether there is ink to read: some marks, and not hundreds (a texture or noise)."""
    return bool(comps) and len(comps) <= MAX_MARKS
