"""Real n-th roots of exact numbers: ``\\sqrt[3]{27}`` is 3, ``\\sqrt[4]{4}`` is sqrt(2).

:class:`mathocr.meaning.exact.Num` holds rationals and square-root surds, so an n-th
root is exact exactly when it lands back in that field: a rational root of a
rational (``\\sqrt[3]{-8} = -2``), a square root of such a root
(``\\sqrt[6]{8} = sqrt(2)``), or an odd root of one surd term
(``\\sqrt[3]{2 sqrt(2)} = sqrt(2)``). Anything else (``\\sqrt[3]{2}``) is
given as a float, flagged approximate, as :class:`Num` does for irrational
powers. An odd root of a negative number is the negative real root; an even
one is an error, as a square root of a negative number is.

Sizes are checked before computing, as in :mod:`mathocr.meaning.exact`: integer
roots are taken by integer Newton steps that never exceed the radicand's own
size, and a degree past :data:`MAX_EXACT_DEGREE` (``\\sqrt[10^{9}]{2}``) goes
straight to floats.

>>> nth_root(Num.rational(27), 3), nth_root(Num.rational(-8), 3), nth_root(Num.rational(4), 4)
(Num(3), Num(-2), Num(sqrt(2)))
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..errors import ExpressionError
from .exact import MAX_BITS, Num, TooLargeError

__all__ = ["nth_root", "rational_root", "whole_degree", "MAX_EXACT_DEGREE"]

#: Degrees above this are not tried exactly: a radicand of MAX_BITS bits has no
#: whole n-th root above 1 for n past MAX_BITS, and a surd's odd root would need
#: its radicand raised to half the degree.
MAX_EXACT_DEGREE = MAX_BITS


def nth_root(a: Num, n: int) -> Num:
    """The real *n*-th root of *a* (*n* ≥ 1); exact whenever it stays in the field."""
    if n < 1:
        raise ValueError(f"degree {n} is not a positive whole number")
    if n == 1 or a.is_zero:
        return a
    if _sign(a) < 0:
        if n % 2 == 0:
            raise ExpressionError(f"{_root_name(n)} of a negative number")
        return -nth_root(-a, n)
    if n > MAX_EXACT_DEGREE:
        return Num.approximate(_float_root(a, n))
    # An even root is the square root of the root of half the degree: peel the
    # factors of two off (each a square root, exact where Num.sqrt_of is).
    halvings = 0
    while n % 2 == 0:
        n //= 2
        halvings += 1
    out = a if n == 1 else _odd_root(a, n)
    for _ in range(halvings):
        out = Num.sqrt_of(out)
    return out


def _sign(a: Num) -> int:
    """The sign of *a*, exactly for a rational however large (no float on the way)."""
    q = a.as_rational()
    return a.sign if q is None else (q > 0) - (q < 0)


def whole_degree(degree: Num) -> int:
    """*degree* as the whole number ≥ 1 a root's degree must be, else an error saying so."""
    q = degree.as_rational()
    if q is None or q.denominator != 1 or q < 1:
        shown = degree.exact_text()
        raise ExpressionError(f"the degree of a root must be a positive whole number, not {shown}")
    return q.numerator


def _root_name(n: int) -> str:
    """``square root``, ``4th root``, ``22nd root`` (only even degrees need naming)."""
    if n == 2:
        return "square root"
    if n.bit_length() > 20:  # a degree of hundreds of digits is no name
        return "even root"
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} root"


def _odd_root(a: Num, n: int) -> Num:
    """The positive *n*-th root of *a* > 0 for odd *n* ≥ 3: exact if it is in the field."""
    q = a.as_rational()
    if q is not None:
        root = rational_root(q, n)
        if root is not None:
            return Num.rational(root)
    elif a.terms is not None and len(a.terms) == 1:
        # (c sqrt(r))^n = c^n r^((n-1)/2) sqrt(r) for odd n: k sqrt(r) has such a root
        # when k / r^((n-1)/2) is a rational n-th power.
        ((r, k),) = a.terms.items()
        if (n - 1) // 2 * r.bit_length() <= MAX_BITS:
            root = rational_root(k / Fraction(r) ** ((n - 1) // 2), n)
            if root is not None:
                return Num({r: root})
    return Num.approximate(_float_root(a, n))


def rational_root(q: Fraction, n: int) -> Fraction | None:
    """The rational *n*-th root of *q* ≥ 0 when there is one, exactly at any size."""
    top, bottom = _whole_root(q.numerator, n), _whole_root(q.denominator, n)
    return None if top is None or bottom is None else Fraction(top, bottom)


def _whole_root(m: int, n: int) -> int | None:
    """The whole *n*-th root of *m* ≥ 0, if *m* is an *n*-th power."""
    root = _floor_root(m, n)
    return root if root**n == m else None


def _floor_root(m: int, n: int) -> int:
    """floor(m^(1/n)) for m ≥ 0, n ≥ 1, exactly at any size (integer Newton steps).

    Starting from a power of two above the root, each step stays above it and
    never computes more than about *m*'s own number of bits.
    """
    if m < 2 or n == 1:
        return m
    if n >= m.bit_length():
        return 1  # 2^n > m
    x = 1 << -(-m.bit_length() // n)
    while True:
        y = ((n - 1) * x + m // x ** (n - 1)) // n
        if y >= x:
            return x
        x = y


def _float_root(a: Num, n: int) -> float:
    """The positive n-th root of a > 0 as a float, by logarithms for huge rationals."""
    q = a.as_rational()
    whole = math.log(q.numerator) - math.log(q.denominator) if q is not None else None
    # 1 / n, not a division by n: a degree of hundreds of digits is no float.
    log = (whole if whole is not None else math.log(a.to_float())) * (1 / n)
    if log > _LOG_FLOAT_LIMIT:
        raise TooLargeError("result too large")
    return math.exp(log)


#: The natural log of the largest float a Num keeps (1e300).
_LOG_FLOAT_LIMIT = 300 * math.log(10)
