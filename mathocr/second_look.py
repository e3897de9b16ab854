"""Shape checks that end a symbol's second reading, on the classifier's own input.

They look again at a normalized symbol (binary, thinned, 32×32) for one
shape the model is known to misread, and swap two classes when the shape
and the model's doubt agree. They run wherever a reading is meant to be
the one users get: in the recognizer after the neighbour model's reread,
and in ``evaluate-symbols`` and the benchmark after the same reread.

The recognizer's other checks (:func:`mask_checks`) need the full-size
mask and the page's pen, so they run in the recognizer only: a
``T``-shaped ``+`` read as ``7`` (:mod:`mathocr.tee`), and an ``8`` whose
eye the pen filled (:mod:`mathocr.filled_loop`), which compares the ink's
width with the pen's. On the normalized valid and train symbol drawings
the first changes no reading, so the symbol figures stay those of the
recognizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .filled_loop import filled_eye_as_eight
from .obelus import obelus_as_div
from .tee import tee_as_plus

__all__ = ["mask_checks", "shape_checks"]


def mask_checks(mask: np.ndarray, probs: np.ndarray, pen: float) -> np.ndarray:
    """*probs* of one candidate checked against its full-size *mask* and the page's *pen*.

    A "T" read as a doubted 7 becomes a + (:mod:`mathocr.tee`), then an 8
    with an eye filled in, read as 6, 0 or 9, an 8 (:mod:`mathocr.filled_loop`).
    """
    return filled_eye_as_eight(mask, tee_as_plus(mask, probs, pen), pen)


def shape_checks(
    images: Sequence[np.ndarray | Callable[[], np.ndarray]] | np.ndarray, probs: np.ndarray
) -> np.ndarray:
    """*probs* (N, classes), each row checked against its normalized symbol in *images*.

    An entry of *images* may be a function giving the symbol, called only if
    a check needs it.
    """
    rows = [obelus_as_div(image, p) for image, p in zip(images, probs, strict=True)]
    return np.asarray(rows, np.float32).reshape(np.shape(probs))
