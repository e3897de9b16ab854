"""A ``+`` whose crossbar sits at the top of its stem, which the model reads as a ``7``.

Some writers cross their ``+`` high, so that it looks like a ``T``. The
symbol model has seen few of them and reads the shape as a ``7`` (a bar
and a stroke down from it), though it keeps some belief in ``+``. What
tells the two apart is where the stroke down meets the bar: a ``7``'s
leaves from the bar's right end (carried straight up, a slanted stem
lands there too), a ``T``'s from the middle, with bar on both sides.

The shape test alone is not enough: crossed and hooked ``7``\\ s pass it
now and then (on every 2nd train expression drawn as canvas and photo it
fired 3 times on real ``7``\\ s, and once on a valid one), so the swap
also needs the model's own doubt (``+`` at least :data:`PLUS_DOUBT`),
with which it fired on none of those 812 train images. It was written
after one valid writer's ``3 + 3`` (MfrDB0916), and fires on that writer
alone in the benchmark and robustness images.
"""

from __future__ import annotations

import numpy as np

from .symbols import CLASSES

__all__ = ["PLUS_DOUBT", "is_tee", "tee_as_plus"]

_SEVEN, _PLUS = CLASSES.index("7"), CLASSES.index("+")
#: Least probability of ``+`` under a ``7`` reading for the shape test to be asked.
PLUS_DOUBT = 0.05
#: The bar: the top share of the symbol's height.
BAR_BAND = 0.3
#: The stem is looked at in two bands, (top, bottom) as shares of the height.
UPPER_STEM, LOWER_STEM = (0.4, 0.55), (0.8, 0.95)
#: Bar needed on each side of the joint, as a share of the bar's length.
BAR_SIDE = 0.25


def _stem_at(mask: np.ndarray, band: tuple[float, float], pen: float) -> float | None:
    """Centre column of the ink in a band of rows, if it is one stroke (a few pens wide)."""
    h = mask.shape[0]
    top = int(band[0] * h)
    rows = mask[top : max(top + 1, int(band[1] * h))]
    cols = np.flatnonzero(rows.any(axis=0))
    if len(cols) == 0 or cols[-1] - cols[0] + 1 > 2.5 * pen:
        return None
    return float(cols[0] + cols[-1]) / 2


def is_tee(mask: np.ndarray, pen: float) -> bool:
    """Whether *mask* is a bar on top of a near-vertical stem that meets it away from its ends."""
    h, w = mask.shape
    if h < 3 * pen:
        return False
    top = mask[: max(2, round(BAR_BAND * h))]
    bar = np.flatnonzero(top.any(axis=0))
    upper, lower = _stem_at(mask, UPPER_STEM, pen), _stem_at(mask, LOWER_STEM, pen)
    if upper is None or lower is None or len(bar) == 0:
        return False
    if abs(upper - lower) > max(1.5 * pen, 0.15 * w):
        return False  # a slanted stroke: a 7's, or a 1's
    bar_y = float(np.flatnonzero(top.any(axis=1)).mean())
    upper_y, lower_y = sum(UPPER_STEM) / 2 * h, sum(LOWER_STEM) / 2 * h
    joint = upper + (upper - lower) * (upper_y - bar_y) / (lower_y - upper_y)
    length = bar[-1] - bar[0] + 1
    return joint - bar[0] >= BAR_SIDE * length and bar[-1] - joint >= BAR_SIDE * length


def tee_as_plus(mask: np.ndarray, probs: np.ndarray, pen: float) -> np.ndarray:
    """*probs* with ``7`` and ``+`` swapped when the model reads a ``T``-shaped ``+`` as ``7``."""
    if int(np.argmax(probs)) != _SEVEN or probs[_PLUS] < PLUS_DOUBT:
        return probs
    if not is_tee(mask, pen):
        return probs
    out = probs.copy()
    out[_SEVEN], out[_PLUS] = probs[_PLUS], probs[_SEVEN]
    return out
