"""What one line of working asserts, in a form the next line can be checked against."""

from __future__ import annotations

from dataclasses import dataclass

from .exact import Num
from .intervals import SolutionSet
from .polynomial import Rational

__all__ = ["Claim"]


@dataclass(frozen=True)
class Claim:
    """The comparable content of a line; which fields are set depends on its kind.

    A value carries its *number*; a numeric equation or comparison its *truth*
    (and, when it is a true equation, the common *number*); an equation or an
    inequality in one unknown its *solutions*; an expression with x the
    simplified *function*. ``x_1 = 5`` also names an *answer*.
    """

    number: Num | None = None
    decimals: int | None = None
    """Decimals shown when the line is one decimal number (for rounding tolerance)."""
    truth: bool | None = None
    solutions: SolutionSet | None = None
    function: Rational | None = None
    answer: tuple[str, Num] | None = None
