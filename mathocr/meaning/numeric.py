"""Equations the exact algebra cannot solve (x in an exponent or under a root), by numbers.

:mod:`mathocr.meaning.numeric_solve` brackets the roots in floating point; each one is
then tried as a simple fraction in the exact evaluator, so ``2^{x+1} - 2^{x} = 16``
answers ``x = 4`` rather than ``x ≈ 4``, and the solutions become a point set
the working checker can compare (:mod:`.intervals`).
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import ExpressionError
from .claims import Claim
from .exact import Num
from .expression import _Evaluator, _Meaning
from .intervals import SolutionSet
from .numeric_solve import SEARCH_LIMIT, roots_between
from .syntax import Node

__all__ = ["solve_numerically", "confirm_root"]


def solve_numerically(left: Node, right: Node, name: str = "x") -> _Meaning:
    """Roots by bracketing in floating point, each then confirmed exactly if it can be."""
    roots = roots_between(left, right)
    if not roots:
        limit = f"{SEARCH_LIMIT:g}"
        return _Meaning(value=f"no solution found for -{limit} <= {name} <= {limit}", kind="solve")
    solutions = []
    found: list[Num] = []
    for r in roots:
        exact = confirm_root(left, right, r)
        found.append(exact if exact is not None else Num.approximate(r))
        if exact is not None:
            solutions.append(f"{name} = {exact.exact_text()}")
        else:
            solutions.append(f"{name} ≈ {Num.approximate(r).decimal_text(8)}")
    decimal = None
    if any("≈" in s or "/" in s or "sqrt" in s for s in solutions):
        decimal = " or ".join(f"{name} ≈ {Num.approximate(r).decimal_text(8)}" for r in roots)
    claim = Claim(solutions=SolutionSet.points(found, name))
    return _Meaning(
        value=" or ".join(solutions),
        decimal=decimal,
        solutions=tuple(solutions),
        kind="solve",
        claim=claim,
    )


def confirm_root(left: Node, right: Node, r: float) -> Num | None:
    """A simple fraction near *r* that satisfies the equation exactly, if any."""
    x = Num.rational(Fraction(r).limit_denominator(1000))
    try:
        a = _Evaluator(x).value_of(left).constant_value()
        b = _Evaluator(x).value_of(right).constant_value()
    except ExpressionError:
        return None
    return x if a.exact and b.exact and a == b else None
