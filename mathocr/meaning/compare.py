"""Exact comparison of two values, with the rounding a written decimal allows.

``a = b`` between numbers has always been checked exactly, except that a side
written as a decimal may be the other side rounded (``24 / 125 = 0.19``).
Comparisons follow the same rule: ``\\le`` and ``\\ge`` hold when the sides
are equal that way, ``\\ne`` when they are not, and ``<`` / ``>`` need the
exact order. The order of two surds is exact too: a float decides when the
difference is clearly away from zero, and sympy, evaluating the same sum of
roots to many digits, when it is not (``sqrt(2) + sqrt(3)`` against
``sqrt(10)`` differ by 0.0043; closer ones exist).

>>> from fractions import Fraction as F
>>> holds("<", Num.sqrt_of(Num.rational(2)), Num.rational(F(3, 2)))
True
>>> holds("\\\\ne", Num.rational(F(24, 125)), Num.rational(F(19, 100)), None, 2)
False
"""

from __future__ import annotations

import math
from fractions import Fraction

from .exact import Num, TooLargeError

__all__ = ["sign_of", "compare", "equal_within_rounding", "holds", "RELATION_TEXT"]

#: How each relation label is written in plain text.
RELATION_TEXT = {"=": "=", "<": "<", ">": ">", "\\le": "<=", "\\ge": ">=", "\\ne": "!="}


def sign_of(n: Num) -> int:
    """-1, 0 or 1: exact for exact values, within float precision for approximate ones."""
    if n.terms is None:
        v = n.to_float()
        return 0 if v == 0 else (1 if v > 0 else -1)
    if not n.terms:
        return 0
    q = n.as_rational()
    if q is not None:
        return (q > 0) - (q < 0)
    try:
        value = n.to_float()
        scale = sum(abs(float(c)) * math.sqrt(r) for r, c in n.terms.items())
    except (TooLargeError, OverflowError):  # too big for floats: evaluate exactly below
        value, scale = 0.0, 1.0
    if abs(value) > 1e-9 * scale:
        return 1 if value > 0 else -1
    import sympy  # a nonzero surd this close to zero: evaluate the roots to many digits

    expr = sum(
        (sympy.Rational(c.numerator, c.denominator) * sympy.sqrt(r) for r, c in n.terms.items()),
        sympy.Integer(0),
    )
    return 1 if sympy.N(expr, 200) > 0 else -1


def compare(a: Num, b: Num) -> int:
    """The sign of ``a - b`` (approximate values compare equal within 1e-9)."""
    if a.exact and b.exact:
        return sign_of(a - b)
    try:
        fa, fb = a.to_float(), b.to_float()
    except TooLargeError:  # the exact side is beyond floats, so it is the larger in size
        huge = a if a.exact else b
        return sign_of(huge) if huge is a else -sign_of(huge)
    if math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-12):
        return 0
    return 1 if fa > fb else -1


def equal_within_rounding(a: Num, b: Num, da: int | None = None, db: int | None = None) -> bool:
    """Exact equality, or equality after rounding to the decimals a side shows.

    *da* and *db* are the decimals shown by a side written as a plain decimal
    number (None otherwise).
    """
    if a.exact and b.exact and a == b:
        return True
    shown = [d for d in (da, db) if d is not None]
    try:
        diff = abs(a.to_float() - b.to_float())
    except TooLargeError:  # beyond floats: only an exact difference can be measured
        q = (a - b).as_rational() if a.exact and b.exact else None
        return q is not None and bool(shown) and abs(q) <= Fraction(1, 2 * 10 ** min(shown))
    if shown:
        # Half a unit in the last shown place (plus float slack): correct rounding.
        return diff <= 0.5 * 10.0 ** -min(shown) * (1 + 1e-9) + 1e-12
    if a.exact and b.exact:
        return False
    return math.isclose(a.to_float(), b.to_float(), rel_tol=1e-9, abs_tol=1e-12)


def holds(relation: str, a: Num, b: Num, da: int | None = None, db: int | None = None) -> bool:
    """Whether ``a relation b`` is true (see the module docstring for rounding)."""
    if relation == "=":
        return equal_within_rounding(a, b, da, db)
    if relation == "\\ne":
        return not equal_within_rounding(a, b, da, db)
    order = compare(a, b)
    if relation == "<":
        return order < 0
    if relation == ">":
        return order > 0
    equal = equal_within_rounding(a, b, da, db)
    if relation == "\\le":
        return equal or order < 0
    if relation == "\\ge":
        return equal or order > 0
    raise ValueError(f"not a relation: {relation!r}")
