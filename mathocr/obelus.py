"""A ``÷`` with one dot run into its bar, which the model reads as a ``+``.

Some writers draw the dots of ``÷`` as short dashes, and the lower one
often lands on the bar. Thinned, the symbol is then a bar with a stroke
down from it and a loose mark above: a ``+`` whose upper half floats free
of the rest. A real ``+`` never looks like that, because its vertical
stroke is drawn in one go, so whatever of it lies above the bar stays
joined to what lies below, or at least crosses the bar's rows. The test
is therefore on the normalized symbol (the classifier's own input): a
mark lying wholly above or wholly below the largest piece, over its
middle.

The model's doubt gates the swap as in :mod:`mathocr.tee`. On every
valid and train symbol read as ``+``, the shape test fired on the 4 valid
``÷`` of this kind (two writers; ``÷`` at 0.04 to 0.37 after the reread)
and on 2 train ``+`` whose ``÷`` was below 0.0002; :data:`DIV_DOUBT`
sits between, a factor of four or more from either.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .symbols import CLASSES

__all__ = ["DIV_DOUBT", "DOT_WIDTH", "MIDDLE_MARGIN", "has_loose_dot", "obelus_as_div"]

_PLUS, _DIV = CLASSES.index("+"), CLASSES.index("\\div")
#: Least probability of ``÷`` under a ``+`` reading for the shape test to be asked.
DIV_DOUBT = 0.01
#: The loose mark's centre must lie within the middle of the main piece's width:
#: this share of the width is left out at each end.
MIDDLE_MARGIN = 0.2
#: A dot, not a second bar (an ``=``): the mark is at most this share of the main piece's width.
DOT_WIDTH = 0.5


def has_loose_dot(image: np.ndarray) -> bool:
    """Whether a small mark lies wholly above or below the largest piece of *image*, over its middle.

    *image* is a normalized symbol (nonzero is ink); a gap of one pixel row
    at least must separate the mark from the piece.
    """
    ink = np.asarray(image) > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if count < 3:  # the paper and one piece
        return False
    main = int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) + 1
    left, top = stats[main, cv2.CC_STAT_LEFT], stats[main, cv2.CC_STAT_TOP]
    width = stats[main, cv2.CC_STAT_WIDTH]
    right, bottom = left + width - 1, top + stats[main, cv2.CC_STAT_HEIGHT] - 1
    margin = MIDDLE_MARGIN * width
    for piece in range(1, count):
        x, y, w, h = (int(v) for v in stats[piece, :4])
        if piece == main or w > DOT_WIDTH * width:
            continue
        centre = float(np.nonzero(labels[y : y + h, x : x + w] == piece)[1].mean()) + x
        if not left + margin <= centre <= right - margin:
            continue
        if y + h - 1 < top - 1 or y > bottom + 1:
            return True
    return False


def obelus_as_div(image: np.ndarray | Callable[[], np.ndarray], probs: np.ndarray) -> np.ndarray:
    """*probs* with ``+`` and ``÷`` swapped when the model reads a half-joined ``÷`` as ``+``.

    *image* may be a function that normalizes the symbol: it is called only
    when the reading asks for the shape test, which spares the recognizer a
    second normalization of every symbol.
    """
    if int(np.argmax(probs)) != _PLUS or probs[_DIV] < DIV_DOUBT:
        return probs
    if not has_loose_dot(image() if callable(image) else image):
        return probs
    out = probs.copy()
    out[_PLUS], out[_DIV] = probs[_DIV], probs[_PLUS]
    return out
