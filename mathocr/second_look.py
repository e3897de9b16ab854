"""Shape checks that end a symbol's second reading, on the classifier's own input.

They look again at a normalized symbol (binary, thinned, 32×32) for one
shape the model is known to misread, and swap two classes when the shape
and the model's doubt agree. They run wherever a reading is meant to be
the one users get: in the recognizer after the neighbour model's reread,
and in ``evaluate-symbols`` and the benchmark after the same reread.

The recognizer's other check, a ``T``-shaped ``+`` read as ``7``
(:mod:`mathocr.tee`), measures the pen on the full-size mask and so runs
in the recognizer only; on the normalized valid and train symbol drawings
it changes no reading, so the symbol figures stay those of the recognizer.
So does the check for an ``8`` whose eye the pen filled (:mod:`mathocr.filled_loop`),
which compares the ink's width with the pen's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .obelus import obelus_as_div

__all__ = ["shape_checks"]


def shape_checks(
    images: Sequence[np.ndarray | Callable[[], np.ndarray]] | np.ndarray, probs: np.ndarray
) -> np.ndarray:
    """*probs* (N, classes), each row checked against its normalized symbol in *images*.

    An entry of *images* may be a function giving the symbol, called only if
    a check needs it.
    """
    rows = [obelus_as_div(image, p) for image, p in zip(images, probs, strict=True)]
    return np.asarray(rows, np.float32).reshape(np.shape(probs))
