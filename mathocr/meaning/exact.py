"""Exact real numbers for evaluation: rationals and square-root surds.

A handwritten expression only ever needs the four operations, integer powers
and square roots, so every value lives in a field Q(sqrt(2), sqrt(3), ...):
a sum of rational coefficients times square roots of distinct square-free
integers. That representation is canonical (the roots of distinct square-free
numbers are linearly independent over Q), so "is it zero?" and "are they
equal?" are exact questions, and ``sqrt(18)`` prints as ``3*sqrt(2)``.

When an exact answer would need more than that (an irrational exponent, the
root of a surd sum that does not denest, a radicand too large to factor) the
value degrades to a float, flagged as approximate, instead of failing.

Every operation checks sizes *before* computing so that ``9^{9^{9^{9}}}``
is refused in microseconds rather than exhausting memory. N-th roots are in
:mod:`.exact_roots`, the text forms in :mod:`.exact_text`.

>>> a = Num.sqrt_of(Num.rational(18))
>>> a.exact_text(), a.decimal_text()
('3*sqrt(2)', '4.242640687')
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from ..errors import ExpressionError
from .exact_text import float_text, fraction_decimal, surd_text

__all__ = ["Num", "TooLargeError", "MAX_BITS"]

#: Largest numerator or denominator we keep exactly (about 3,000 digits).
MAX_BITS = 10_000
#: Most distinct square roots in one value (each product can double the count).
MAX_TERMS = 32
#: Most distinct primes under the roots of a divisor we rationalize exactly.
_MAX_CONJUGATE_PRIMES = 4
#: Radicands above this are not factored (trial division would be too slow).
_MAX_RADICAND = 10**10
_FLOAT_LIMIT = 1e300


class TooLargeError(ExpressionError):
    """A result (or an intermediate) would be too large to compute or show."""


def _too_large() -> TooLargeError:
    return TooLargeError("result too large")


def _check(q: Fraction) -> Fraction:
    if q.numerator.bit_length() > MAX_BITS or q.denominator.bit_length() > MAX_BITS:
        raise _too_large()
    return q


def _check_float(v: float) -> float:
    if not math.isfinite(v) or abs(v) > _FLOAT_LIMIT:
        raise _too_large()
    return v


@lru_cache(maxsize=4096)
def _square_split(n: int) -> tuple[int, int] | None:
    """``n = k*k*r`` with ``r`` square-free, as ``(k, r)``; None if too big to factor."""
    if n > _MAX_RADICAND:
        root = math.isqrt(n)
        return (root, 1) if root * root == n else None
    k, r = 1, 1
    p = 2
    while p * p <= n:
        e = 0
        while n % p == 0:
            n //= p
            e += 1
        k *= p ** (e // 2)
        if e % 2:
            r *= p
        p += 1 if p == 2 else 2
    return k, r * n


@lru_cache(maxsize=4096)
def _primes_of(n: int) -> tuple[int, ...]:
    out = []
    p = 2
    while p * p <= n:
        if n % p == 0:
            out.append(p)
            while n % p == 0:
                n //= p
        p += 1 if p == 2 else 2
    if n > 1:
        out.append(n)
    return tuple(out)


class Num:
    """An exact surd ``sum(c_r * sqrt(r))`` or, failing that, a float.

    Immutable. ``terms`` maps square-free radicand → nonzero coefficient
    (radicand 1 is the rational part); it is ``None`` for an approximate value.
    """

    __slots__ = ("terms", "approx")

    terms: dict[int, Fraction] | None
    approx: float | None

    def __init__(self, terms: dict[int, Fraction] | None, approx: float | None = None) -> None:
        if terms is not None:
            if len(terms) > MAX_TERMS:
                raise _too_large()
            terms = {r: _check(c) for r, c in terms.items() if c}
        else:
            approx = _check_float(float(approx if approx is not None else 0.0))
        self.terms = terms
        self.approx = approx

    # -- construction -------------------------------------------------------

    @classmethod
    def rational(cls, q: Fraction | int) -> Num:
        return cls({1: Fraction(q)})

    @classmethod
    def approximate(cls, v: float) -> Num:
        return cls(None, v)

    @classmethod
    def sqrt_of(cls, a: Num) -> Num:
        """The non-negative square root; exact whenever it stays in the field."""
        if a.is_zero:
            return a
        if a.sign < 0:
            raise ExpressionError("square root of a negative number")
        q = a.as_rational()
        if q is not None:
            # sqrt(p/q) = sqrt(p*q) / q, then pull the square part out of p*q.
            split = _square_split(q.numerator * q.denominator)
            if split is not None:
                k, r = split
                return cls({r: Fraction(k, q.denominator)})
        elif a.terms is not None:
            denested = _denest(a)
            if denested is not None:
                return denested
        return cls.approximate(math.sqrt(a.to_float()))

    # -- queries -------------------------------------------------------------

    @property
    def exact(self) -> bool:
        return self.terms is not None

    @property
    def is_zero(self) -> bool:
        return not self.terms if self.terms is not None else self.approx == 0.0

    @property
    def sign(self) -> int:
        if self.is_zero:
            return 0
        return 1 if self.to_float() > 0 else -1

    def as_rational(self) -> Fraction | None:
        """The value as a Fraction when it is exactly rational."""
        if self.terms is None or any(r != 1 for r in self.terms):
            return None
        return self.terms.get(1, Fraction(0))

    def to_float(self) -> float:
        if self.terms is None:
            assert self.approx is not None
            return self.approx
        total = 0.0
        for r, c in self.terms.items():
            total += _fraction_to_float(c) * math.sqrt(r)
        return _check_float(total)

    def bits(self) -> int:
        """Size of the largest numerator/denominator (0 for approximate values)."""
        if self.terms is None:
            return 0
        return max(
            (
                max(c.numerator.bit_length(), c.denominator.bit_length())
                for c in self.terms.values()
            ),
            default=0,
        )

    # -- arithmetic ----------------------------------------------------------

    def __neg__(self) -> Num:
        if self.terms is None:
            return Num.approximate(-self.to_float())
        return Num({r: -c for r, c in self.terms.items()})

    def __add__(self, other: Num) -> Num:
        if self.terms is None or other.terms is None:
            return Num.approximate(self.to_float() + other.to_float())
        out = dict(self.terms)
        for r, c in other.terms.items():
            out[r] = out.get(r, Fraction(0)) + c
        return Num(out)

    def __sub__(self, other: Num) -> Num:
        return self + (-other)

    def __mul__(self, other: Num) -> Num:
        if self.terms is None or other.terms is None:
            return Num.approximate(self.to_float() * other.to_float())
        if self.bits() + other.bits() > MAX_BITS:
            raise _too_large()
        out: dict[int, Fraction] = {}
        for r1, c1 in self.terms.items():
            for r2, c2 in other.terms.items():
                g = math.gcd(r1, r2)
                r = (r1 // g) * (r2 // g)
                out[r] = out.get(r, Fraction(0)) + c1 * c2 * g
        return Num(out)

    def inverse(self) -> Num:
        if self.is_zero:
            raise ExpressionError("division by zero")
        if self.terms is None:
            return Num.approximate(1.0 / self.to_float())
        if len(self.terms) == 1:
            ((r, c),) = self.terms.items()
            return Num({r: 1 / (c * r)})
        # Multiply by conjugates (flip the sign of every root containing the
        # prime p) until the denominator is rational: a * prod(conj) = rational.
        # Each prime can double the terms, so past a few primes use a float.
        primes = {p for r in self.terms for p in _primes_of(r)}
        if len(primes) > _MAX_CONJUGATE_PRIMES:
            return Num.approximate(1.0 / self.to_float())
        num = Num.rational(1)
        den: Num = self
        try:
            for p in sorted(primes):
                assert den.terms is not None
                conj = Num({r: (-c if r % p == 0 else c) for r, c in den.terms.items()})
                num = num * conj
                den = den * conj
        except TooLargeError:  # coefficients too big to keep exact
            return Num.approximate(1.0 / self.to_float())
        q = den.as_rational()
        assert q is not None and q != 0
        return num * Num.rational(1 / q)

    def __truediv__(self, other: Num) -> Num:
        return self * other.inverse()

    def power(self, exponent: Num) -> Num:
        """``self ** exponent``; exact for integer exponents (and perfect roots)."""
        q = exponent.as_rational()
        if q is None:  # irrational exponent: only a float makes sense
            return self._float_power(exponent.to_float())
        if q.denominator == 1:
            return self._int_power(q.numerator)
        base = self.as_rational()
        if base is not None and base > 0 and q.denominator == 2:
            return Num.sqrt_of(self)._int_power(q.numerator)
        if base is not None and base > 0:
            root = _exact_root(base, q.denominator)
            if root is not None:
                return Num.rational(root)._int_power(q.numerator)
        if self.sign < 0:
            raise ExpressionError("fractional power of a negative number")
        return self._float_power(float(q))

    def _float_power(self, e: float) -> Num:
        b = self.to_float()
        if b < 0:
            raise ExpressionError("fractional power of a negative number")
        if b == 0:
            if e < 0:
                raise ExpressionError("division by zero")
            return Num.rational(0)
        if e * math.log2(b) > 1000:
            raise _too_large()
        return Num.approximate(b**e)

    def _int_power(self, n: int) -> Num:
        if n < 0:
            return self.inverse()._int_power(-n)
        if n == 0:
            if self.is_zero:
                raise ExpressionError("0 to the power 0 is undefined")
            return Num.rational(1)
        if self.terms is None:
            b = self.to_float()
            if b != 0 and n * math.log2(abs(b)) > 1000:
                raise _too_large()
            return Num.approximate(b**n)
        q = self.as_rational()
        if q is not None:
            # Refuse before computing: the result has about n * log2(base) bits.
            size = max(abs(q.numerator), q.denominator)
            if size > 1 and n * math.log2(size) > MAX_BITS:
                raise _too_large()
            return Num.rational(q**n)
        if n * self.bits() > MAX_BITS or n > 256:
            raise _too_large()
        result = Num.rational(1)
        base: Num = self
        while n:
            if n & 1:
                result = result * base
            n >>= 1
            if n:
                base = base * base
        return result

    # -- comparison ----------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Num):
            return NotImplemented
        if self.terms is not None and other.terms is not None:
            return self.terms == other.terms
        a, b = self.to_float(), other.to_float()
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.terms.items()))) if self.terms is not None else 0

    def __repr__(self) -> str:
        return f"Num({self.exact_text()})"

    # -- text ----------------------------------------------------------------

    def exact_text(self) -> str:
        """``5/6``, ``-3*sqrt(2)``, ``(1 + sqrt(5))/2``; decimals for approximations."""
        if self.terms is None:
            return self.decimal_text()
        return surd_text(self.terms)

    def decimal_text(self, digits: int = 10) -> str:
        """A decimal with *digits* significant digits (exact when it terminates early)."""
        q = self.as_rational()
        if q is not None:
            return fraction_decimal(q, digits)
        return float_text(self.to_float(), digits)


def _fraction_to_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError as e:
        raise _too_large() from e


def _exact_root(q: Fraction, n: int) -> Fraction | None:
    """The positive rational n-th root of q > 0 when there is one (small degrees and parts)."""
    if n > 64 or max(q.numerator.bit_length(), q.denominator.bit_length()) >= 1000:
        return None
    # One exact integer root serves powers, denesting and \sqrt[n]{} alike; it
    # imports Num from here, hence the late import.
    from .exact_roots import rational_root

    return rational_root(q, n)


def _denest(a: Num) -> Num | None:
    """sqrt(u + v*sqrt(r)) = sqrt(s) + sqrt(t) when that works out exactly."""
    assert a.terms is not None
    if len(a.terms) != 2 or 1 not in a.terms:
        return None
    ((r, v),) = ((r, c) for r, c in a.terms.items() if r != 1)
    u = a.terms[1]
    # (sqrt(s) + sign*sqrt(t))^2 = s + t + 2 sign sqrt(s t): s + t = u, 4 s t = v^2 r
    disc = u * u - v * v * r
    if disc < 0:
        return None
    root = _exact_root(disc, 2) if disc > 0 else Fraction(0)
    if root is None:
        return None
    s, t = (u + root) / 2, (u - root) / 2
    if s < 0 or t < 0:
        return None
    first = Num.sqrt_of(Num.rational(s))
    second = Num.sqrt_of(Num.rational(t))
    return first + second if v > 0 else first - second
