"""Symbols with boxes → a layout tree: rows, fractions, roots, superscripts, subscripts.

Handwritten arithmetic is mostly one line read left to right, with three
two-dimensional structures: a fraction (a bar, labelled ``-``, with something
above *and* below it), a root (whatever lies under its bar, and an index
written small in its crook, :mod:`mathocr.layout.root_degree`) and a
superscript (a symbol raised relative to the baseline of the symbol before
it). The structures nest, so the tree is built recursively: in a region the
widest bars and roots claim their contents first (an outer fraction before
the fraction in its numerator), the rest is sorted left to right, and a
single pass over that row (:mod:`mathocr.layout.row_scripts`) splits off
superscripts by comparing each symbol's bottom and centre with those of the
symbols before it. The same pass lowers a digit written under the line after
an ``x`` into a subscript (``x_1``, a name of its own). Comparison signs
(``<``, ``\\le`` ...) sit on the middle line like ``=`` and split the row the
way ``=`` does. A row whose baseline climbs or falls is read again with that
slant taken out (:mod:`mathocr.layout.slant`), since the superscript pass compares
feet several symbols apart. The tree's nodes are in :mod:`mathocr.layout.tree`.

Everything here is geometry only; :mod:`mathocr.layout.context` revises labels the
grammar rules out, and :mod:`mathocr.meaning.expression` reads meaning from the tree.

>>> s = [PlacedSymbol("2", (0, 40, 20, 40)), PlacedSymbol("3", (24, 10, 14, 24))]
>>> build_layout(s)
[Sym(label='2', indices=(0,)), Sup(row=[Sym(label='3', indices=(1,))])]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .root_degree import small_in_crook, split_degree
from .row_scripts import baselines, lowered, raised, reference
from .slant import baseline_slope
from .tree import CENTRED, DIGITS, Box, Frac, Item, Root, Row, Sub, Sup, Sym, row_box

__all__ = ["PlacedSymbol", "build_layout"]


@dataclass(frozen=True)
class PlacedSymbol:
    """One classified symbol and where it is on the page."""

    label: str
    """One of :data:`mathocr.symbols.CLASSES`."""
    box: tuple[int, int, int, int]
    """x, y, width, height in image pixels (y grows downwards)."""
    confidence: float = 1.0
    alternatives: tuple[tuple[str, float], ...] = ()
    """Runner-up labels with probabilities, best first."""


# Set by looking at CROHME failures (mostly train/, a few valid/ ones too), so
# bench/bench_layout.py's figures are not a strictly held-out estimate.
#: Two bars form "=" when their vertical gap is below this times their width.
EQ_GAP = 0.9
#: A numerator continues past its bar's end across gaps up to this many symbol heights.
FRAC_REACH = 0.5
#: A bar's ends are known to this many widths of a symbol by it: a minus sticks out
#: past them by more, a level's symbol is centred over the bar within as much.
END_SLACK = 0.1


def build_layout(symbols: Sequence[PlacedSymbol], labels: Sequence[str] | None = None) -> Row:
    """The layout tree of *symbols* (optionally read with other *labels*)."""
    if labels is None:
        labels = [s.label for s in symbols]
    boxes = [_box(s.box) for s in symbols]
    return _Builder(list(labels), boxes).row(list(range(len(symbols))))


def _box(b: tuple[int, int, int, int]) -> Box:
    x, y, w, h = (float(v) for v in b)
    return Box(x, y, x + max(w, 1.0), y + max(h, 1.0))


class _Builder:
    def __init__(self, labels: list[str], boxes: list[Box]) -> None:
        self.labels = labels
        self.boxes = boxes

    def row(self, ids: list[int]) -> Row:
        return _finish(self._roots(self._fractions(ids)))

    # -- fractions, roots and "=" drawn as two bars ---------------------------

    def _fractions(self, ids: list[int]) -> list[Item]:
        """Bars, widest first: an outer fraction claims the inner ones."""
        labels, boxes = self.labels, self.boxes
        claimed: set[int] = set()
        out: list[Item] = []
        bars = sorted((i for i in ids if labels[i] == "-"), key=lambda i: -boxes[i].w)
        for c in bars:
            if c in claimed:
                continue
            free = [j for j in ids if j != c and j not in claimed]
            partner = self._equals_partner(c, free)
            if partner is not None:
                claimed.update((c, partner))
                pair = tuple(sorted((c, partner)))
                out.append(Sym("=", pair, _union(boxes, list(pair))))
                continue
            above, below = self._fraction_parts(c, free)
            if above and below:
                claimed.update(above)
                claimed.update(below)
                claimed.add(c)
                box = _union(boxes, [c, *above, *below])
                out.append(Frac(c, self.row(above), self.row(below), box))
        for i in ids:
            if i not in claimed:
                out.append(Sym(labels[i], (i,), boxes[i]))
        return out

    def _roots(self, units: list[Item]) -> list[Item]:
        """Roots, widest first, claim what lies under them (and under roots inside)."""
        roots = sorted(
            (u for u in units if isinstance(u, Sym) and u.label == "\\sqrt"),
            key=lambda u: -u.box.w,
        )
        taken: set[int] = set()
        out: list[Item] = []
        for r in roots:
            if id(r) in taken:
                continue
            taken.add(id(r))
            region = [r.box]
            inside: list[Item] = []
            grew = True
            while grew:
                grew = False
                for u in units:
                    if id(u) in taken or not any(_under_root(b, u) for b in region):
                        continue
                    taken.add(id(u))
                    inside.append(u)
                    grew = True
                    if isinstance(u, Sym) and u.label == "\\sqrt":
                        region.append(u.box)
            assert isinstance(r, Sym)
            # The index written in the sign's crook, under its box or sticking out.
            free = [u for u in units if id(u) not in taken]
            degree, inside = split_degree(r.box, inside, free)
            taken.update(id(u) for u in degree)
            box = r.box
            for u in [*inside, *degree]:
                box = box.union(u.box)
            body = _finish(self._roots(inside))
            out.append(Root(r.indices[0], body, box, _finish(degree) if degree else None))
        out.extend(u for u in units if id(u) not in taken)
        return out

    def _equals_partner(self, c: int, free: list[int]) -> int | None:
        """Another bar just above or below *c*, of similar width, nothing between."""
        b = self.boxes[c]
        for j in free:
            if self.labels[j] != "-":
                continue
            o = self.boxes[j]
            overlap = min(b.x1, o.x1) - max(b.x0, o.x0)
            narrow, wide = sorted((b.w, o.w))
            if overlap < 0.5 * narrow or narrow < 0.5 * wide:
                continue
            gap = abs(o.cy - b.cy)
            if gap > EQ_GAP * (b.w + o.w) / 2 or gap < 0.5 * min(b.h, o.h):
                continue
            top, bottom = sorted((b.cy, o.cy))
            lo, hi = max(b.x0, o.x0), min(b.x1, o.x1)
            between = any(
                k not in (c, j) and lo <= self.boxes[k].cx <= hi and top < self.boxes[k].cy < bottom
                for k in free
            )
            if not between:
                return j
        return None

    def _fraction_parts(self, c: int, free: list[int]) -> tuple[list[int], list[int]]:
        """What lies above and below bar *c*: centred over it, or next to what is."""
        bar = self.boxes[c]
        above: list[int] = []
        below: list[int] = []
        others: list[int] = []
        for j in free:
            o = self.boxes[j]
            if (
                self.labels[j] == "-"
                and (o.x0 < bar.x0 - END_SLACK * o.w or o.x1 > bar.x1 + END_SLACK * o.w)
                and not self._stacked(c, j, free)
            ):
                continue  # a minus sign sticking out: in front of the fraction
            if self.labels[j] == "\\sqrt" and o.x0 < bar.cx < o.x1 and o.y0 < bar.cy < o.y1:
                continue  # a root around the whole fraction
            if self.labels[j] in ("(", ")") and o.y0 + o.h / 4 < bar.cy < o.y1 - o.h / 4:
                # A bracket whose middle half the bar crosses reaches as far above the
                # bar as below it: it encloses the fraction, (2/x)^{-4}, even where its
                # centre lies over the bar's end. The levels' own brackets stay on their side.
                continue
            slack = END_SLACK * o.w
            if bar.x0 - slack <= o.cx <= bar.x1 + slack:
                (above if o.cy < bar.cy else below).append(j)
            elif self.labels[j] != "-":
                others.append(j)
        if not (above and below):
            return above, below
        # A numerator or denominator written wider than its bar: take in the
        # symbols that continue it on the same side, at the same height.
        grew = True
        while grew:
            grew = False
            reach = {
                id(side): (_union(self.boxes, side), self._size(side)) for side in (above, below)
            }
            for j in list(others):
                o = self.boxes[j]
                side = above if o.y1 <= bar.cy else below if o.y0 >= bar.cy else None
                if side is None or self._root_index(j, c, free, reach[id(side)][1]):
                    continue
                band, size = reach[id(side)]
                gap = max(band.x0 - o.x1, o.x0 - band.x1, 0.0)
                level = band.y0 <= o.cy <= band.y1 or self._script(j, side)
                if level and gap <= FRAC_REACH * size:
                    side.append(j)
                    others.remove(j)
                    reach[id(side)] = (band.union(o), size)
                    grew = True
        return above, below

    def _root_index(self, j: int, c: int, free: list[int], size: float) -> bool:
        """Whether symbol *j*, beside bar *c*, is the index of a root around the bar
        (small, in its sign's crook): no numerator written wider than its bar."""
        sym = Sym(self.labels[j], (j,), self.boxes[j])
        bar = self.boxes[c]
        return any(
            self.labels[k] == "\\sqrt"
            and self.boxes[k].x0 < bar.cx < self.boxes[k].x1
            and self.boxes[k].y0 < bar.cy < self.boxes[k].y1
            and small_in_crook(sym, self.boxes[k], size)
            for k in free
        )

    def _script(self, j: int, side: list[int]) -> bool:
        """Whether symbol *j* is a script of the symbol that ends *side*.

        An exponent raised after a level's last symbol (x^{4} in a numerator) or
        an index hanging from its last x (x_{4} in a stacked fraction) lies above
        or below the level's band, and may stand past its bar's end.
        """
        last = max(side, key=lambda k: self.boxes[k].x1)
        base = self.boxes[last]
        if self.boxes[j].x0 < base.cx:
            return False
        sym = Sym(self.labels[j], (j,), self.boxes[j])
        if self.labels[last] == "x" and lowered(sym, base):
            return True
        carries = reference(Sym(self.labels[last], (last,), base)) is not None
        return carries and raised(sym, base, self._size(side))

    def _stacked(self, c: int, j: int, free: list[int]) -> bool:
        """Whether bar *j* has a symbol between it and bar *c*, over both their spans.

        Such a bar is the bar of a fraction in one of *c*'s levels (x_{2} stands
        between the bars of x_{1} / (x_{2} / ...)), however far it sticks out past
        *c*'s ends; a minus sign in front of a fraction has nothing between it and
        the bar.
        """
        b, o = self.boxes[c], self.boxes[j]
        lo, hi = max(b.x0, o.x0), min(b.x1, o.x1)
        top, bottom = sorted((b.cy, o.cy))
        return any(
            k not in (c, j) and lo <= self.boxes[k].cx <= hi and top < self.boxes[k].cy < bottom
            for k in free
        )

    def _size(self, ids: list[int]) -> float:
        """The symbol height of a fraction's level, for how far it may reach past its bar.

        Operators are drawn flat whatever the writing size (a ``+`` is often half
        a digit's height, a minus far less), so they measure nothing; they count
        only when the level holds nothing else.
        """
        bodies = [k for k in ids if self.labels[k] not in CENTRED] or ids
        return _median(self.boxes[k].h for k in bodies)


def _under_root(root: Box, o: Item) -> bool:
    b = o.box
    if not root.y0 <= b.cy <= root.y1:
        return False
    if isinstance(o, Sym) and o.label == "\\sqrt":  # a nested root may stick out
        return root.x0 < b.x0 < root.x1 - 0.1 * root.h
    return root.x0 < b.cx <= root.x1 + 0.1 * root.h


def _finish(units: list[Item]) -> Row:
    units.sort(key=lambda u: (u.box.cx, u.box.x0))
    # A symbol written entirely above the next one, starting no further left (give
    # or take END_SLACK of its width), comes after it: the minus of 10^{-12} is
    # often drawn over the 0.
    for k in range(len(units) - 1):
        u, v = units[k].box, units[k + 1].box
        flush = u.x0 >= v.x0 - END_SLACK * v.w
        if u.y1 <= v.y0 and flush and reference(units[k + 1]) is not None:
            units[k], units[k + 1] = units[k + 1], units[k]
    row = baselines(units)
    return _level(units, row)


def _level(units: list[Item], row: Row) -> Row:
    """*row* read again with its slant taken out, if its baseline climbs or falls.

    The slope comes from the feet of the digits and x's the first reading left
    on the baseline (:func:`mathocr.layout.slant.baseline_slope`); each unit is moved
    up or down by it, the scripts are split off again, and the tree is given
    back with the units' own boxes.
    """
    base = [u.box for u in row if isinstance(u, Sym) and (u.label in DIGITS or u.label == "x")]
    if not base:
        return row
    slope = baseline_slope([(b.cx, b.y1) for b in base], size=_median(b.h for b in base))
    if not slope:
        return row
    middle = sum(u.box.cx for u in units) / len(units)
    own: dict[int, Item] = {}
    level: list[Item] = []
    for u in units:
        dy = slope * (u.box.cx - middle)
        moved = dataclasses.replace(u, box=Box(u.box.x0, u.box.y0 - dy, u.box.x1, u.box.y1 - dy))
        own[id(moved)] = u
        level.append(moved)
    return _restore(baselines(level), own)


def _restore(row: Row, own: dict[int, Item]) -> Row:
    """*row* with each moved unit replaced by the unit it was moved from."""
    out: Row = []
    for u in row:
        if isinstance(u, Sup | Sub):
            inner = _restore(u.row, own)
            out.append(type(u)(inner, row_box(inner)))
        else:
            out.append(own[id(u)])
    return out


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _union(boxes: list[Box], ids: list[int]) -> Box:
    out = boxes[ids[0]]
    for i in ids[1:]:
        out = out.union(boxes[i])
    return out
