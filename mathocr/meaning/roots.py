"""Exact real roots of polynomials with rational coefficients, by factoring.

Snapping numeric roots to fractions with small denominators misses roots
such as 1/1001, and a cubic with one rational root and two surds needs the
rational one divided out first. Factoring over the rationals settles both:
every linear factor gives a rational root, every quadratic factor two surds
(exact in :class:`~mathocr.meaning.exact.Num`), and only irreducible factors of
degree three or more are left to numbers, which sympy isolates exactly
before evaluating (a double root is found, not missed).

The polynomial handed to sympy is built from coefficients the evaluator
computed from the parsed tree; no string is ever parsed. sympy is imported
on first use so that reading plain arithmetic does not pay for it.

>>> from fractions import Fraction as F
>>> roots, exact = rational_real_roots([F(-1), F(1001)])
>>> [r.exact_text() for r in roots], exact
(['1/1001'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from .exact import Num

__all__ = ["rational_real_roots", "MAX_FACTOR_DEGREE", "MAX_FACTOR_BITS"]

#: Above this degree the factoring is not tried (it could take seconds).
MAX_FACTOR_DEGREE = 40
#: Nor when a coefficient's numerator or denominator is longer than this many bits.
MAX_FACTOR_BITS = 2_000


def rational_real_roots(coeffs: Sequence[Fraction]) -> tuple[list[Num], bool] | None:
    """Distinct real roots of ``sum(coeffs[k] * x**k)``, ascending, and whether all are exact.

    Returns None when the polynomial is too large to factor within the
    evaluator's guards (the caller then falls back to numbers).
    """
    degree = len(coeffs) - 1
    if degree < 1 or degree > MAX_FACTOR_DEGREE:
        return None
    if any(
        max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_FACTOR_BITS for c in coeffs
    ):
        return None
    import sympy

    x = sympy.Symbol("x")
    poly = sympy.Poly([sympy.Rational(c.numerator, c.denominator) for c in reversed(coeffs)], x)
    roots: list[Num] = []
    exact = True
    for factor, _multiplicity in poly.factor_list()[1]:
        f = [_fraction(c) for c in reversed(factor.all_coeffs())]  # constant first
        if len(f) == 2:
            roots.append(Num.rational(-f[0] / f[1]))
        elif len(f) == 3:
            roots.extend(_quadratic(f[2], f[1], f[0]))
        elif len(f) > 3:
            for root in factor.real_roots():
                exact = False
                roots.append(Num.approximate(float(root.evalf(30))))
    roots.sort(key=lambda r: r.to_float())
    return roots, exact


def _fraction(c: object) -> Fraction:
    import sympy

    q = sympy.Rational(c)
    return Fraction(int(q.p), int(q.q))


def _quadratic(a: Fraction, b: Fraction, c: Fraction) -> list[Num]:
    """Real roots of an irreducible quadratic: two conjugate surds, or none."""
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    s = Num.sqrt_of(Num.rational(disc))
    two_a = Num.rational(2 * a)
    first, second = (Num.rational(-b) - s) / two_a, (Num.rational(-b) + s) / two_a
    return sorted([first, second], key=lambda r: r.to_float())
