"""Rational functions of one variable x with exact coefficients, and their roots.

Expressions with ``x`` are evaluated into ``numerator / denominator``
polynomials whose coefficients are :class:`~mathocr.meaning.exact.Num`. That is enough
to simplify (``x(x+1) - x`` → ``x^2``), to solve linear and quadratic
equations exactly (surds included), and to find the real roots of higher
degrees (exact rational roots first, numerically for the rest).

>>> x = Rational.variable()
>>> e = x * x - Rational.constant(Num.rational(2))
>>> [r.exact_text() for r in real_roots(e.num)[0]]
['-sqrt(2)', 'sqrt(2)']
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import ExpressionError
from .exact import Num, TooLargeError

__all__ = ["Poly", "Rational", "real_roots", "poly_text", "MAX_DEGREE"]

#: Highest degree we build; beyond it an expression is refused as too large.
MAX_DEGREE = 64

Poly = tuple[Num, ...]
"""Coefficients, constant first, no trailing zeros (the zero polynomial is ``()``)."""

_ONE = Num.rational(1)
_ZERO = Num.rational(0)


def _trim(coeffs: list[Num]) -> Poly:
    while coeffs and coeffs[-1].is_zero:
        coeffs.pop()
    return tuple(coeffs)


def p_add(a: Poly, b: Poly) -> Poly:
    n = max(len(a), len(b))
    return _trim(
        [(a[i] if i < len(a) else _ZERO) + (b[i] if i < len(b) else _ZERO) for i in range(n)]
    )


def p_neg(a: Poly) -> Poly:
    return tuple(-c for c in a)


def p_mul(a: Poly, b: Poly) -> Poly:
    if not a or not b:
        return ()
    if len(a) + len(b) - 2 > MAX_DEGREE:
        raise TooLargeError("result too large (degree in x)")
    out = [_ZERO] * (len(a) + len(b) - 1)
    for i, ca in enumerate(a):
        if ca.is_zero:
            continue
        for j, cb in enumerate(b):
            out[i + j] = out[i + j] + ca * cb
    return _trim(out)


def p_scale(a: Poly, k: Num) -> Poly:
    return _trim([c * k for c in a])


def p_divmod(a: Poly, b: Poly) -> tuple[Poly, Poly]:
    """Polynomial long division (b nonzero)."""
    if not b:
        raise ExpressionError("division by zero")
    rem = list(a)
    inv_lead = b[-1].inverse()
    quot = [_ZERO] * max(0, len(a) - len(b) + 1)
    while len(rem) >= len(b) and rem:
        k = rem[-1] * inv_lead
        shift = len(rem) - len(b)
        quot[shift] = k
        for i, cb in enumerate(b):
            rem[shift + i] = rem[shift + i] - k * cb
        rem.pop()  # the leading term cancels exactly (or nearly, for floats)
        rem = list(_trim(rem))
    return _trim(quot), tuple(rem)


def p_gcd(a: Poly, b: Poly) -> Poly:
    """Monic gcd over exact coefficients; ``(1,)`` when inexact or too costly."""
    if not all(c.exact for c in a + b) or max(len(a), len(b)) > 12:
        return (_ONE,)
    try:
        while b:
            a, b = b, p_divmod(a, b)[1]
    except TooLargeError:
        return (_ONE,)
    if not a:
        return (_ONE,)
    return p_scale(a, a[-1].inverse())


def p_eval(a: Poly, x: Num) -> Num:
    total = _ZERO
    for c in reversed(a):
        total = total * x + c
    return total


class Rational:
    """``num / den`` in x; the denominator is never the zero polynomial."""

    __slots__ = ("num", "den")

    def __init__(self, num: Poly, den: Poly = (_ONE,)) -> None:
        if not den:
            raise ExpressionError("division by zero")
        self.num, self.den = _reduce(num, den)

    @classmethod
    def constant(cls, value: Num) -> Rational:
        return cls(_trim([value]))

    @classmethod
    def variable(cls) -> Rational:
        return cls((_ZERO, _ONE))

    @property
    def is_constant(self) -> bool:
        return len(self.num) <= 1 and len(self.den) == 1

    def constant_value(self) -> Num:
        """The value of a constant expression (check :attr:`is_constant` first)."""
        top = self.num[0] if self.num else _ZERO
        return top / self.den[0]

    def __add__(self, other: Rational) -> Rational:
        if self.den == other.den:
            return Rational(p_add(self.num, other.num), self.den)
        return Rational(
            p_add(p_mul(self.num, other.den), p_mul(other.num, self.den)),
            p_mul(self.den, other.den),
        )

    def __neg__(self) -> Rational:
        return Rational(p_neg(self.num), self.den)

    def __sub__(self, other: Rational) -> Rational:
        return self + (-other)

    def __mul__(self, other: Rational) -> Rational:
        return Rational(p_mul(self.num, other.num), p_mul(self.den, other.den))

    def __truediv__(self, other: Rational) -> Rational:
        if not other.num:
            raise ExpressionError("division by zero")
        return Rational(p_mul(self.num, other.den), p_mul(self.den, other.num))

    def power(self, n: int) -> Rational:
        if abs(n) * max(len(self.num), len(self.den)) > MAX_DEGREE + 1:
            raise TooLargeError("result too large (degree in x)")
        if n < 0:
            return Rational(self.den, self.num).power(-n) if self.num else self._zero_div()
        if n == 0 and not self.num:
            raise ExpressionError("0 to the power 0 is undefined")
        out = Rational((_ONE,))
        for _ in range(n):
            out = out * self
        return out

    @staticmethod
    def _zero_div() -> Rational:
        raise ExpressionError("division by zero")


def _reduce(num: Poly, den: Poly) -> tuple[Poly, Poly]:
    """Cancel common factors and make the denominator monic."""
    if not num:
        return (), (_ONE,)
    if len(den) > 1:
        g = p_gcd(num, den)
        if len(g) > 1:
            num = p_divmod(num, g)[0]
            den = p_divmod(den, g)[0]
    lead = den[-1]
    if not (len(den) == 1 and lead == _ONE):
        inv = lead.inverse()
        num, den = p_scale(num, inv), p_scale(den, inv)
    return num, den


def real_roots(p: Poly) -> tuple[list[Num], bool]:
    """Distinct real roots of a nonzero polynomial, ascending.

    Returns ``(roots, exact)``: ``exact`` is False when some root could only be
    found numerically (it is then an approximate :class:`Num`).
    """
    roots: list[Num] = []
    exact = True
    # x = 0 roots first, then exact rational roots found by snapping numeric ones.
    while len(p) > 1 and p[0].is_zero:
        p = p[1:]
        roots.append(_ZERO)
    rational = [c.as_rational() for c in p]
    if len(p) > 3 and all(q is not None for q in rational):
        from .roots import rational_real_roots

        factored = rational_real_roots([q for q in rational if q is not None])
        if factored is not None:
            exact_roots, exact = factored
            return _distinct_sorted(roots + exact_roots), exact
    while len(p) > 3:
        found = _snap_rational_root(p)
        if found is None:
            break
        roots.append(found)
        p = p_divmod(p, (-found, _ONE))[0]
    if len(p) == 2:
        roots.append(-p[0] / p[1])
    elif len(p) == 3:
        roots.extend(_quadratic(p))
    elif len(p) > 3:
        exact = False
        roots.extend(Num.approximate(r) for r in _numeric_real_roots(p))
    return _distinct_sorted(roots), exact and all(r.exact for r in roots)


def _quadratic(p: Poly) -> list[Num]:
    c, b, a = p
    disc = b * b - Num.rational(4) * a * c
    if disc.sign < 0:
        return []
    s = Num.sqrt_of(disc)
    two_a = Num.rational(2) * a
    return [(-b - s) / two_a, (-b + s) / two_a]


def _numeric_real_roots(p: Poly) -> list[float]:
    coeffs = np.array([c.to_float() for c in reversed(p)], dtype=float)
    found = np.roots(coeffs)
    scale = max(1.0, float(np.max(np.abs(found)))) if found.size else 1.0
    return sorted(float(r.real) for r in found if abs(r.imag) <= 1e-7 * scale)


def _snap_rational_root(p: Poly) -> Num | None:
    for r in _numeric_real_roots(p):
        guess = Fraction(r).limit_denominator(1000)
        candidate = Num.rational(guess)
        if p_eval(p, candidate).is_zero:
            return candidate
    return None


def _distinct_sorted(roots: list[Num]) -> list[Num]:
    out: list[Num] = []
    for r in sorted(roots, key=lambda n: n.to_float()):
        if not out or out[-1] != r:
            out.append(r)
    return out


def poly_text(p: Poly, *, var: str = "x") -> str:
    """``x^2 + 2*sqrt(2)*x + 1`` (highest power first)."""
    if not p:
        return "0"
    parts: list[str] = []
    for power in range(len(p) - 1, -1, -1):
        c = p[power]
        if c.is_zero:
            continue
        negative = c.sign < 0
        mag = -c if negative else c
        coeff = mag.exact_text()
        if power == 0:
            body = coeff
        else:
            mono = var if power == 1 else f"{var}^{power}"
            if coeff == "1":
                body = mono
            elif " " in coeff:
                body = f"({coeff})*{mono}"
            else:
                body = f"{coeff}*{mono}"
        if not parts:
            parts.append(("-" if negative else "") + body)
        else:
            parts.append(("- " if negative else "+ ") + body)
    return " ".join(parts)
