"""Comparisons and chains: ``3 < \\sqrt{10}``, ``0 < x \\le 2``, ``x^2 - 2x - 3 \\ge 0``.

Between numbers, every link of a chain is checked exactly (with the rounding
a written decimal allows, as equations have it) and the chain holds when
every link does. With one unknown, each link is solved into a set of
intervals (:mod:`.intervals`) and the chain's solutions are where all links
hold; points where a denominator vanishes are never solutions.

>>> from mathocr.meaning.syntax import Equation, Number, Var
>>> from fractions import Fraction as F
>>> m = relation_meaning(Equation([Number(F(0), 0), Var(), Number(F(2), 0)], False, ("<", "\\\\le")), "x")
>>> m.kind, m.value, m.solution_latex
('inequality', '0 < x <= 2', '0 < x \\\\le 2')
"""

from __future__ import annotations

from ..errors import ExpressionError
from .claims import Claim
from .compare import RELATION_TEXT, holds
from .expression import _Evaluator, _Meaning, _shown_decimals
from .intervals import SolutionSet, solve_relation
from .syntax import Equation, has_x

__all__ = ["relation_meaning"]


def relation_meaning(eq: Equation, name: str) -> _Meaning:
    """The meaning of a chain with at least one comparison (see the module docstring)."""
    ev = _Evaluator()
    try:
        values = [ev.value_of(side) for side in eq.sides]
    except ExpressionError as e:
        if "not supported" in str(e):
            raise ExpressionError(
                "cannot evaluate: inequalities with x in an exponent or under a root "
                "are not supported"
            ) from e
        raise
    relations = [eq.relation(k) for k in range(len(values) - 1)]
    if not any(has_x(side) for side in eq.sides) and all(v.is_constant for v in values):
        nums = [v.constant_value() for v in values]
        shown = [_shown_decimals(side) for side in eq.sides]
        truth = all(
            holds(rel, a, b, da, db)
            for rel, a, b, da, db in zip(relations, nums, nums[1:], shown, shown[1:], strict=False)
        )
        return _Meaning(
            value=_join([n.exact_text() for n in nums], relations),
            decimal=_join([n.decimal_text() for n in nums], relations),
            holds=truth,
            kind="comparison",
            claim=Claim(truth=truth),
        )
    found: SolutionSet | None = None
    for rel, left, right in zip(relations, values, values[1:], strict=False):
        link = solve_relation(left - right, rel, name, ev.denominators)
        found = link if found is None else found.intersect(link)
    assert found is not None
    solutions = tuple(part for part in found.text().split(" or "))
    return _Meaning(
        value=found.text(),
        kind="inequality",
        solutions=solutions if found.intervals else (),
        solution_latex=found.latex(),
        claim=Claim(solutions=found),
    )


def _join(texts: list[str], relations: list[str]) -> str:
    out = texts[0]
    for rel, text in zip(relations, texts[1:], strict=False):
        out += f" {RELATION_TEXT[rel]} {text}"
    return out
