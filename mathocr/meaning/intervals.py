"""Solution sets as unions of intervals, and inequalities in one unknown solved into them.

One representation serves every line of working: ``x = 2`` is the point
``{2}``, ``x^2 = 4`` two points, ``x \\le -1`` a ray, ``\\frac{x}{x} = 1``
every x but 0. So whether a line follows from the one above is one question,
"is it the same set?", whichever kind each line is.

An inequality ``f(x) < g(x)`` is solved by the sign of ``f - g``, a rational
function: its zeros and poles (found exactly by :mod:`mathocr.meaning.polynomial`)
cut the line into pieces, the sign of each piece is read at one exact point
inside it, and the zeros are added back where the relation allows equality.

>>> from mathocr.meaning.polynomial import Rational
>>> x, one = Rational.variable(), Rational.constant(Num.rational(1))
>>> s = solve_relation(x * x - one, "\\\\ge", "x", [])
>>> s.text(), s.latex()
('x <= -1 or x >= 1', 'x \\\\le -1 \\\\text{ or } x \\\\ge 1')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .compare import compare, sign_of
from .exact import Num
from .polynomial import Poly, Rational, p_eval, real_roots

__all__ = ["Interval", "SolutionSet", "solve_relation", "num_latex"]


@dataclass(frozen=True)
class Interval:
    """From *lo* to *hi* (None: unbounded), each end closed or open."""

    lo: Num | None
    hi: Num | None
    lo_closed: bool = False
    hi_closed: bool = False

    def contains(self, v: Num) -> bool:
        if self.lo is not None:
            c = compare(v, self.lo)
            if c < 0 or (c == 0 and not self.lo_closed):
                return False
        if self.hi is not None:
            c = compare(v, self.hi)
            if c > 0 or (c == 0 and not self.hi_closed):
                return False
        return True


@dataclass(frozen=True)
class SolutionSet:
    """Where a line holds: disjoint intervals, ascending."""

    intervals: tuple[Interval, ...]
    name: str = "x"
    exact: bool = True
    """False when some end was only found numerically."""

    @classmethod
    def points(cls, values: Sequence[Num], name: str = "x") -> SolutionSet:
        ordered = sorted(values, key=lambda v: v.to_float())
        exact = all(v.exact for v in values)
        return cls(tuple(Interval(v, v, True, True) for v in ordered), name, exact)

    @classmethod
    def every_but(cls, values: Sequence[Num], name: str = "x") -> SolutionSet:
        """Every number except *values* (where a denominator vanishes)."""
        ordered = sorted(values, key=lambda v: v.to_float())
        ends: list[Num | None] = [None, *ordered, None]
        pieces = tuple(Interval(a, b) for a, b in zip(ends, ends[1:], strict=False))
        return cls(pieces, name, all(v.exact for v in values))

    def contains(self, v: Num) -> bool:
        return any(i.contains(v) for i in self.intervals)

    def holes(self) -> list[Num] | None:
        """The missing points when the set is every number but those, else None."""
        iv = self.intervals
        if not iv or iv[0].lo is not None or iv[-1].hi is not None:
            return None
        out: list[Num] = []
        for a, b in zip(iv, iv[1:], strict=False):
            if a.hi is None or b.lo is None or a.hi_closed or b.lo_closed or a.hi != b.lo:
                return None
            out.append(a.hi)
        return out

    def same_as(self, other: SolutionSet) -> bool:
        """The same set (names aside): every interval's ends agree."""
        if len(self.intervals) != len(other.intervals):
            return False
        for a, b in zip(self.intervals, other.intervals, strict=True):
            if (a.lo_closed, a.hi_closed) != (b.lo_closed, b.hi_closed):
                return False
            for u, v in ((a.lo, b.lo), (a.hi, b.hi)):
                if (u is None) != (v is None) or (u is not None and v is not None and u != v):
                    return False
        return True

    def intersect(self, other: SolutionSet) -> SolutionSet:
        out: list[Interval] = []
        for a in self.intervals:
            for b in other.intervals:
                piece = _intersection(a, b)
                if piece is not None:
                    out.append(piece)
        out.sort(key=lambda i: -1e308 if i.lo is None else i.lo.to_float())
        return SolutionSet(tuple(out), self.name, self.exact and other.exact)

    def text(self) -> str:
        """``x <= -1 or x >= 3``, ``-1 < x < 3``, ``every x``, ``no solution``."""
        return self._render(_num_text, {"<": "<", "le": "<=", ">": ">", "ge": ">=", "=": "="})

    def latex(self) -> str:
        return self._render(
            num_latex, {"<": "<", "le": "\\le", ">": ">", "ge": "\\ge", "=": "="}, latex=True
        )

    def _render(
        self, number: Callable[[Num], str], signs: dict[str, str], *, latex: bool = False
    ) -> str:
        name = _name_latex(self.name) if latex else self.name
        if not self.intervals:
            return "\\text{no solution}" if latex else "no solution"
        holes = self.holes()
        if holes:
            ne = "\\ne" if latex else "!="
            return (", " if latex else " and ").join(f"{name} {ne} {number(h)}" for h in holes)
        parts: list[str] = []
        for i in self.intervals:
            below = signs["le" if i.hi_closed else "<"]
            above = signs["ge" if i.lo_closed else ">"]
            if i.lo is None:
                bound = f"{name} {below} {number(i.hi)}" if i.hi is not None else None
                parts.append(bound or (f"{name} \\in \\mathbb{{R}}" if latex else f"every {name}"))
            elif i.hi is None:
                parts.append(f"{name} {above} {number(i.lo)}")
            elif i.lo == i.hi:
                parts.append(f"{name} = {number(i.lo)}")
            else:
                low = signs["le" if i.lo_closed else "<"]
                parts.append(f"{number(i.lo)} {low} {name} {below} {number(i.hi)}")
        return (" \\text{ or } " if latex else " or ").join(parts)


def _intersection(a: Interval, b: Interval) -> Interval | None:
    lo, lo_closed = a.lo, a.lo_closed
    if b.lo is not None and (lo is None or compare(b.lo, lo) >= 0):
        same = lo is not None and compare(b.lo, lo) == 0
        lo, lo_closed = b.lo, (b.lo_closed and lo_closed) if same else b.lo_closed
    hi, hi_closed = a.hi, a.hi_closed
    if b.hi is not None and (hi is None or compare(b.hi, hi) <= 0):
        same = hi is not None and compare(b.hi, hi) == 0
        hi, hi_closed = b.hi, (b.hi_closed and hi_closed) if same else b.hi_closed
    if lo is not None and hi is not None:
        c = compare(lo, hi)
        if c > 0 or (c == 0 and not (lo_closed and hi_closed)):
            return None
    return Interval(lo, hi, lo_closed, hi_closed)


def _wanted(relation: str, sign: int) -> bool:
    return {
        "=": sign == 0,
        "\\ne": sign != 0,
        "<": sign < 0,
        ">": sign > 0,
        "\\le": sign <= 0,
        "\\ge": sign >= 0,
    }[relation]


def solve_relation(
    diff: Rational, relation: str, name: str, excluded: Sequence[Poly]
) -> SolutionSet:
    """Where ``diff relation 0`` holds, x never a root of *excluded* denominators."""
    zeros: list[Num] = []
    exact = True
    if diff.num:
        zeros, exact_zeros = real_roots(diff.num) if len(diff.num) > 1 else ([], True)
        exact = exact and exact_zeros
    poles: list[Num] = []
    for d in [diff.den, *excluded]:
        if len(d) > 1:
            found, exact_poles = real_roots(d)
            exact = exact and exact_poles
            poles.extend(found)
    cuts: list[tuple[Num, bool]] = []  # (point, defined there)
    for p in sorted([*zeros, *poles], key=lambda v: v.to_float()):
        pole = any(compare(p, q) == 0 for q in poles)
        if not cuts or compare(cuts[-1][0], p) != 0:
            cuts.append((p, not pole))
    one = Num.rational(1)
    pieces: list[tuple[Num | None, Num | None, Num]] = []  # open pieces and a point inside
    ends: list[Num | None] = [None, *(c for c, _ in cuts), None]
    for lo, hi in zip(ends, ends[1:], strict=False):
        if lo is None and hi is None:
            inside = Num.rational(0)
        elif lo is None:
            assert hi is not None
            inside = hi - one
        elif hi is None:
            inside = lo + one
        else:
            inside = (lo + hi) / Num.rational(2)
        pieces.append((lo, hi, inside))
    intervals: list[Interval] = []
    for k, (lo, hi, inside) in enumerate(pieces):
        if _wanted(relation, _sign_at(diff, inside)):
            intervals.append(Interval(lo, hi))
        if k < len(cuts):
            point, defined = cuts[k]
            if defined and _wanted(relation, _sign_at(diff, point)):
                intervals.append(Interval(point, point, True, True))
    return SolutionSet(tuple(_merge(intervals)), name, exact)


def _sign_at(diff: Rational, x: Num) -> int:
    top = sign_of(p_eval(diff.num, x)) if diff.num else 0
    return top * sign_of(p_eval(diff.den, x))


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Join neighbours that touch: (a, b) with [b, b] and (b, c) is (a, c)."""
    out: list[Interval] = []
    for i in intervals:
        if out:
            last = out[-1]
            touching = (
                last.hi is not None
                and i.lo is not None
                and compare(last.hi, i.lo) == 0
                and (last.hi_closed or i.lo_closed)
            )
            if touching:
                out[-1] = Interval(last.lo, i.hi, last.lo_closed, i.hi_closed)
                continue
        out.append(i)
    return out


def _name_latex(name: str) -> str:
    base, _, sub = name.partition("_")
    return f"{base}_{{{sub}}}" if sub else base


def _num_text(n: Num) -> str:
    return n.exact_text() if n.exact else n.decimal_text(8)


def num_latex(n: Num) -> str:
    """``\\frac{1 + \\sqrt{5}}{2}``, ``-3\\sqrt{2}``, ``0.12345679`` for an approximation."""
    if n.terms is None:
        return n.decimal_text(8)
    if not n.terms:
        return "0"
    den = 1
    for c in n.terms.values():
        den = den * c.denominator // _gcd(den, c.denominator)
    parts: list[str] = []
    for r, c in sorted(n.terms.items()):
        k = int(c * den)
        mag = abs(k)
        body = str(mag) if r == 1 else (f"\\sqrt{{{r}}}" if mag == 1 else f"{mag}\\sqrt{{{r}}}")
        sign = "-" if k < 0 else ""
        parts.append(f"{sign}{body}" if not parts else f" {'-' if k < 0 else '+'} {body}")
    top = "".join(parts)
    if den == 1:
        return top
    negative = len(parts) == 1 and top.startswith("-")
    inner = top[1:] if negative else top
    return f"{'-' if negative else ''}\\frac{{{inner}}}{{{den}}}"


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a
