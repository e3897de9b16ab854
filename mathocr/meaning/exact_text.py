"""How exact numbers are written: ``5/6``, ``-3*sqrt(2)``, ``(1 + sqrt(5))/2``, decimals.

:class:`mathocr.meaning.exact.Num` keeps a value as rational coefficients of
square roots; this is how it shows one. A surd sum is put over one common
denominator, its terms in increasing radicand; a decimal has a fixed number
of significant digits (exact when the fraction terminates sooner), with an
exponent only for very large or very small magnitudes.

>>> from fractions import Fraction
>>> surd_text({1: Fraction(1, 2), 5: Fraction(1, 2)}), surd_text({2: Fraction(-3)})
('(1 + sqrt(5))/2', '-3*sqrt(2)')
>>> fraction_decimal(Fraction(1, 8), 10), fraction_decimal(Fraction(2, 3), 4)
('0.125', '0.6667')
"""

from __future__ import annotations

import math
from decimal import Context, Decimal
from fractions import Fraction

__all__ = ["surd_text", "fraction_decimal", "float_text"]


def surd_text(terms: dict[int, Fraction]) -> str:
    """``sum(c_r * sqrt(r))`` over one denominator; *terms* maps radicand → coefficient."""
    if not terms:
        return "0"
    items = sorted(terms.items())
    den = 1
    for _, c in items:
        den = den * c.denominator // math.gcd(den, c.denominator)
    parts: list[str] = []
    for r, c in items:
        k = c * den
        assert k.denominator == 1
        n = k.numerator
        mag = abs(n)
        if r == 1:
            body = str(mag)
        elif mag == 1:
            body = f"sqrt({r})"
        else:
            body = f"{mag}*sqrt({r})"
        if not parts:
            parts.append(("-" if n < 0 else "") + body)
        else:
            parts.append(("- " if n < 0 else "+ ") + body)
    text = " ".join(parts)
    if den == 1:
        return text
    if len(parts) > 1:
        return f"({text})/{den}"
    return f"{text}/{den}"


def fraction_decimal(q: Fraction, digits: int) -> str:
    """*q* as a decimal with *digits* significant digits (an integer as it is)."""
    if q.denominator == 1 and abs(q.numerator) < 10**30:
        return str(q.numerator)
    d = Context(prec=digits).divide(Decimal(q.numerator), Decimal(q.denominator))
    if -6 <= d.adjusted() < 30:
        text = format(d, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return _float_text_from_decimal(d)


def _float_text_from_decimal(d: Decimal) -> str:
    mant, _, exp = format(d, "e").partition("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def float_text(v: float, digits: int) -> str:
    """A float with *digits* significant digits, trailing zeros dropped."""
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{int(exp)}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
