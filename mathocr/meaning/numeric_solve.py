"""Real roots of equations the exact algebra cannot handle (``2^{x+1} - 2^{x} = 16``).

When x sits in an exponent or under a root (of any degree), the difference of the two sides
is not a rational function, so :mod:`mathocr.meaning.polynomial` cannot solve it.
Here the syntax tree is evaluated in floating point over a whole grid of x at
once (numpy), sign changes are bracketed and refined by bisection, and the
caller then checks each root exactly where it can (``x = 4`` rather than
``x ≈ 4``).

>>> from mathocr.meaning.syntax import BinOp, Number, Power, Var
>>> from fractions import Fraction
>>> two_to_x = Power(Number(Fraction(2), 0), Var())
>>> roots_between(two_to_x, Number(Fraction(8), 0))
[3.0]
"""

from __future__ import annotations

import numpy as np

from .syntax import Neg, Node, NthRoot, Number, Power, SquareRoot, Var

__all__ = ["roots_between", "evaluate_float", "SEARCH_LIMIT"]

#: Roots are looked for with |x| up to this.
SEARCH_LIMIT = 1000.0
_GRID = np.concatenate(
    [-np.geomspace(1e-6, SEARCH_LIMIT, 800)[::-1], [0.0], np.geomspace(1e-6, SEARCH_LIMIT, 800)]
)
#: Exponents beyond this give inf/nan anyway; refusing them keeps numpy quiet.
_MAX_EXPONENT = 1e4


def evaluate_float(node: Node, x: np.ndarray) -> np.ndarray:
    """The value of *node* at every x (nan where undefined or overflowing)."""
    with np.errstate(all="ignore"):
        out = _eval(node, x)
    return np.where(np.isfinite(out), out, np.nan)


def _eval(node: Node, x: np.ndarray) -> np.ndarray:
    if isinstance(node, Number):
        return np.full_like(x, float(node.value))
    if isinstance(node, Var):
        return x
    if isinstance(node, Neg):
        return -_eval(node.operand, x)
    if isinstance(node, SquareRoot):
        return np.sqrt(_eval(node.operand, x))
    if isinstance(node, NthRoot):
        return _nth_root(_eval(node.operand, x), _eval(node.degree, x))
    if isinstance(node, Power):
        base = _eval(node.base, x)
        exponent = _eval(node.exponent, x)
        exponent = np.where(np.abs(exponent) > _MAX_EXPONENT, np.nan, exponent)
        return np.power(base, exponent)
    a = _eval(node.left, x)
    b = _eval(node.right, x)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))


def _nth_root(radicand: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """The real root, as :func:`mathocr.meaning.exact_roots.nth_root` takes it: negative for an
    odd degree and a negative radicand, nan for an even one, and nan where the
    degree is no positive whole number."""
    whole = (degree >= 1) & (degree == np.round(degree))
    n = np.where(whole, degree, 1.0)
    odd = np.mod(n, 2) == 1
    size = np.abs(radicand) ** (1.0 / n)
    real = np.where(radicand >= 0, size, np.where(odd, -size, np.nan))
    return np.where(whole, real, np.nan)


def roots_between(left: Node, right: Node) -> list[float]:
    """Real x with left(x) = right(x), |x| ≤ :data:`SEARCH_LIMIT`, ascending.

    Only sign changes of a continuous difference are found (a double root that
    only touches zero is missed); jumps across poles are rejected.
    """

    def f(x: np.ndarray) -> np.ndarray:
        return evaluate_float(left, x) - evaluate_float(right, x)

    y = f(_GRID)
    sign = np.sign(y)
    roots: list[float] = []
    for i in range(len(_GRID)):
        # An isolated exact zero (not a run of underflowed zeros, as 2^x gives).
        if sign[i] == 0 and 0 < i < len(_GRID) - 1 and sign[i - 1] * sign[i + 1] != 0:
            roots.append(float(_GRID[i]))
    for i in range(len(_GRID) - 1):
        a, b = _GRID[i], _GRID[i + 1]
        if np.isnan(y[i]) or np.isnan(y[i + 1]) or sign[i] * sign[i + 1] >= 0:
            continue
        sa = sign[i]
        for _ in range(80):
            m = (a + b) / 2
            ym = f(np.array([m]))[0]
            if np.isnan(ym):
                break
            if np.sign(ym) == sa:
                a = m
            else:
                b = m
        root = (a + b) / 2
        scale = max(1.0, abs(float(y[i])), abs(float(y[i + 1])))
        value = f(np.array([root]))[0]
        if not np.isnan(value) and abs(value) <= 1e-6 * scale:  # not a pole
            roots.append(float(root))
    out: list[float] = []
    for r in sorted(roots):
        if not out or abs(r - out[-1]) > 1e-9 * max(1.0, abs(r)):
            out.append(r)
    return out
