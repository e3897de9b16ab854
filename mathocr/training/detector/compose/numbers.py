"""Numbers as writers write them: digits close together, and decimal points.

Long numbers, touching digits and decimal points are what CROHME has too few
of and what the detector misread, so how a number is written is its own
concern: how many digits, when one leads with ``0.``, how close the digits sit,
and where the point goes (a dot of varying size on or a little above the line,
spaced from the digits or close to one of them, never squeezed into the
digits' own, often negative, gaps). The expressions these numbers go into are
:mod:`.grammar`'s.
"""

from __future__ import annotations

import numpy as np

from .glyphs import Pen
from .layout import Box

__all__ = ["NumberPen"]


class NumberPen(Pen):
    """A writer who writes whole and decimal numbers."""

    def digits(self, n: int, lead_zero: bool = True) -> list[str]:
        """*n* random digits; with ``lead_zero=False`` a long number does not start with 0."""
        out = [str(int(self.rng.integers(10))) for _ in range(n)]
        if not lead_zero and n > 1 and out[0] == "0":
            out[0] = str(int(self.rng.integers(1, 10)))
        return out

    def number(
        self, longest: int = 7, decimal: bool | None = None, length: int | None = None
    ) -> Box:
        """Digits written close together, or a decimal number (``0.71``, ``11.15``).

        *decimal* asks for or forbids the point; by default one number in five
        that may be three symbols long has one. *length* sets a whole number's
        count of digits, then never led by a zero.
        """
        if decimal is None:
            decimal = longest >= 3 and self.rng.random() < 0.2
        if decimal:
            lead = self.rng.random() < 0.4
            whole = ["0"] if lead else self.digits(int(self.rng.choice([1, 1, 2, 3])), False)
            tail = self.digits(int(self.rng.choice([1, 2, 2, 2, 3])))
        else:
            n = length or min(longest, int(self.rng.choice([1, 1, 2, 2, 3, 4, 5, 7])))
            whole, tail = self.digits(n, lead_zero=length is None), []
        # Digits sit close, but a digit never hides most of the one before it.
        gap, self.gap = self.gap, max(-0.15, self.gap - float(self.rng.uniform(0, 0.15)))
        left = self.row([self.glyph(label) for label in whole])
        right = self.row([self.glyph(label) for label in tail]) if tail else None
        self.gap = gap
        if right is None:
            return left
        return self.row([left, self.point(left), right], [None, *self.point_gaps()])

    def point(self, left: Box) -> Box:
        """A decimal point on (or a little above) the foot of *left*'s last digit.

        Its size varies around the bank's (a dot is often a touch of the pen, far
        smaller than the digits); a stray large "dot" is drawn small.
        """
        dot = self.glyph(".")
        side = max(dot.w, dot.h)
        want = float(np.clip(side * np.exp(self.rng.normal(0, 0.35)), 0.015, 0.2 * self.size))
        dot = dot.scaled(want / side, want / side)
        foot = float(max(st[:, 1].max() for st in left.items[-1][1]))
        # Mostly on the line, at times lifted by up to a third of a digit.
        lift = float(
            self.rng.uniform(-0.04, 0.1) if self.rng.random() < 0.7 else self.rng.uniform(0.1, 0.32)
        )
        # row() puts the axis on the line's middle: the dot's foot lands on foot - lift.
        dot.axis = dot.h - (foot - lift * self.size)
        return dot

    def point_gaps(self) -> tuple[float, float]:
        """Spaces before and after a decimal point: close to either digit, or to neither."""
        r = self.rng.random()
        if r < 0.35:
            lo, hi = self.rng.uniform(0.0, 0.08), self.rng.uniform(0.1, 0.5)
        elif r < 0.6:
            lo, hi = self.rng.uniform(0.1, 0.45), self.rng.uniform(0.0, 0.08)
        else:
            lo, hi = self.rng.uniform(0.05, 0.45), self.rng.uniform(0.15, 0.6)
        return float(lo) * self.size, float(hi) * self.size
