"""How much a handwritten line climbs or falls: the slope of its baseline.

The layout (:mod:`mathocr.layout.row_scripts`) decides superscripts by comparing a
symbol's foot with the feet of the digits before it. On a line written a few
degrees off level, a digit two places back already stands several pixels
higher or lower, and a real exponent (``10x^{3}`` falling to the right) stops
looking raised, or a digit on the line (``1234`` climbing) starts to. The
slope of the line's feet, taken out before those comparisons, removes that.

The slope is the median of the slopes between every two feet far enough apart
(the Theil-Sen estimator): exponents and descenders are a minority of a row's
feet and give outlying slopes, which the median ignores, where a least-squares
fit would follow them.

>>> baseline_slope([(0, 100), (40, 102), (80, 104), (120, 106)], size=30)
0.05
>>> baseline_slope([(0, 100), (40, 100), (60, 70), (100, 100)], size=30) == 0.0
True
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MIN_FEET", "MAX_SLOPE", "baseline_slope"]

#: Fewer feet than this give no slope: with three, one digit's descender or a short
#: x beside tall digits decides it (a train denominator 11x^{3} lost its exponent).
MIN_FEET = 4
#: A slope steeper than this (about 11 degrees) is no slant of a written line but
#: stacked material (a fraction's levels, an exponent tower): it is left alone.
MAX_SLOPE = 0.2


def baseline_slope(feet: Sequence[tuple[float, float]], size: float) -> float | None:
    """The slope dy/dx of the line through *feet* ((x, bottom) of symbols on one baseline).

    Only pairs at least *size* apart horizontally count, so that two symbols
    side by side do not turn a pixel of difference into a steep slope. None
    when there are too few feet or pairs, or the slope is too steep to be the
    slant of one written line.
    """
    if len(feet) < MIN_FEET:
        return None
    slopes = sorted(
        (yb - ya) / (xb - xa)
        for k, (xa, ya) in enumerate(feet)
        for xb, yb in feet[k + 1 :]
        if abs(xb - xa) >= size
    )
    if not slopes:
        return None
    slope = slopes[len(slopes) // 2]
    return slope if abs(slope) <= MAX_SLOPE else None
