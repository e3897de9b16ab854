"""Step 2 of :mod:`.lines`: the structures that join pieces of one line.

The pieces of step 1 are symbols that overlap their neighbours vertically;
a fraction's numerator and denominator, an exponent written high or a
decimal point below the baseline do not, and would be taken for lines of
their own. Here a bar joins the symbols close above and below it over its
span, a small raised or lowered piece joins the symbol it is an exponent or
a subscript of, and a lone dot or bar its nearest symbol. Thresholds are in
the page's digit heights (an exponent's rise in its own line's), chosen as
:mod:`.lines` says.
"""

from __future__ import annotations

import math
import statistics

from ..layout_tree import RELATIONS

__all__ = [
    "Box",
    "DIGITS",
    "Groups",
    "extent",
    "link_dots",
    "link_fractions",
    "link_scripts",
    "BAR_GAP",
    "RISE",
]

#: A bar takes a symbol above or below it within this many symbol heights,
BAR_GAP = 0.7
#: ... or within this many when the bar is wider than WIDE_BAR symbol heights and the
#: symbol lies within its span (a stacked fraction's levels are spaced out; a minus
#: sign is short, and the lines around it reach past its ends).
FAR_BAR_GAP = 1.5
WIDE_BAR = 1.2
#: ... and, by a bar longer than 1 / SPREAD symbol heights, within FAR_BAR_GAP times
#: this share of its length: a big fraction's levels (four nested ones, as CROHME
#: writers stack x_{1} over x_{2} over ...) stand further from its bar, and no minus
#: sign is that long ...
SPREAD = 1 / 6
#: ... unless a digit or x starts within this many symbol heights after the bar, level
#: with it (the minus of -2x starting a line): then only BAR_GAP holds.
SIGN_GAP = 0.5
#: A piece is small (may be an exponent or subscript) below these sizes, in symbol heights.
SMALL_HEIGHT = 2.5
SMALL_WIDTH = 5.0
#: ... and at most this share of its base's height.
SCRIPT_SIZE = 1.3
#: An exponent's foot is at most this many digit heights of its own line above the
#: line's top. The line's own digits, not the page's: a line written larger raises
#: its exponents further, and a photo's exponents stand higher over their x. Chosen on
#: the dev writers (mathocr.splits): in page heights, 0.25 split photographed
#: exponents off and 0.3 took short lines for exponents of the line under them; in
#: the line's own heights 0.3-0.4 read the same dev photos whole and 0.35 split the
#: most dev pages right.
RISE = 0.35
#: ... where a line's digit height is at most this many of the page's symbol heights
#: (the larger of its median digit and median symbol: a page whose only digit is an
#: exponent has its digit height from that). Chosen on the dev writers' pages.
UNIT_CAP = 1.5
#: A mark no bigger than this many symbol heights is a dot.
DOT = 0.3
#: Marks that are never a line alone, whatever their size.
LONE = frozenset({".", "-"})

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
DIGITS = frozenset("0123456789")
_TERMS = DIGITS | {"x"}
_OPERANDS = _TERMS | {"(", ")"}
_FLAT = frozenset({"-", ".", "="})


class Groups:
    """Union-find over symbol indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)

    def members(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return list(out.values())


def extent(ids: list[int], boxes: list[Box]) -> Box:
    return (
        min(boxes[i][0] for i in ids),
        min(boxes[i][1] for i in ids),
        max(boxes[i][2] for i in ids),
        max(boxes[i][3] for i in ids),
    )


def link_fractions(
    boxes: list[Box], labels: list[str], bars: list[int], height: float, groups: Groups
) -> None:
    """A bar with a symbol close above it and one close below, over its span, is a fraction.

    Symbols, not pieces, are measured: a numerator written at the height of
    the rest of the line is in the line's piece already. A minus sign of one
    line has the lines above and below it further away than a bar has its
    numerator and denominator (half a symbol plus the gap between lines).
    """
    roots = [i for i, label in enumerate(labels) if label == "\\sqrt"]
    for c in bars:
        bx0, by0, bx1, by1 = boxes[c]
        middle = (by0 + by1) / 2
        slack = 0.2 * height
        nearest: dict[bool, tuple[float, int]] = {}
        wide = bx1 - bx0 > WIDE_BAR * height
        sides = _sides(c, boxes, labels, height, _OPERANDS if not wide else _TERMS)
        if len(sides) == 2:
            continue  # "x - 3": a minus sign, whatever lies over and under it
        # A term right after it ("-2x" starting a line): a sign, whose lines above and
        # below are as far as a stacked fraction's levels; a fraction's levels it takes
        # only from close by.
        wide = wide and sides.get("right", math.inf) > SIGN_GAP * height
        # A bar under a root's sign is in its radicand, and so are its two levels.
        within = _enclosing(c, boxes, roots)
        for j, (x0, y0, x1, y1) in enumerate(boxes):
            if j == c or not bx0 - slack <= (x0 + x1) / 2 <= bx1 + slack:
                continue
            if within is not None and j != within and not _holds(boxes[within], boxes[j]):
                continue
            above = (y0 + y1) / 2 < middle
            gap = max(by0 - y1 if above else y0 - by1, 0.0)
            reach_out = max(slack, 0.1 * (bx1 - bx0))
            inside = wide and bx0 - reach_out <= x0 and x1 <= bx1 + reach_out
            reach = BAR_GAP * height
            if inside:
                # Only a level without a relation stands out of the usual reach: a line
                # of working ("2 + 3 = 5") over or under a rule is no numerator.
                spread = SPREAD * (bx1 - bx0) if not _has_relation(j, labels, groups) else 0.0
                reach = FAR_BAR_GAP * max(height, spread)
            if gap <= reach and (above not in nearest or gap < nearest[above][0]):
                nearest[above] = (gap, j)
        if len(nearest) == 2:  # a fraction has both: a lone minus takes nothing
            for _, j in nearest.values():
                groups.join(j, c)


def _has_relation(i: int, labels: list[str], groups: Groups) -> bool:
    """Whether symbol *i*'s group holds ``=``, ``<`` or another relation."""
    return any(labels[k] in RELATIONS for k in _members(i, groups))


def _holds(outer: Box, inner: Box) -> bool:
    """Whether *inner*'s centre lies within *outer*."""
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def _enclosing(c: int, boxes: list[Box], roots: list[int]) -> int | None:
    """The smallest root whose box holds symbol *c*, if any."""
    holding = [r for r in roots if r != c and _holds(boxes[r], boxes[c])]
    if not holding:
        return None
    return min(holding, key=lambda r: (boxes[r][2] - boxes[r][0]) * (boxes[r][3] - boxes[r][1]))


def _sides(
    c: int, boxes: list[Box], labels: list[str], height: float, operands: frozenset[str]
) -> dict[str, float]:
    """The sides of the bar with one of *operands* beside it, level with it and
    within 1.5 symbol heights (both in ``2 - 3``), each with the gap to the
    nearest one.

    A digit, x or bracket for a short bar; a wide one may be a fraction in
    brackets, but not one between two digits or x's.
    """
    bx0, by0, bx1, by1 = boxes[c]
    middle = (by0 + by1) / 2
    sides: dict[str, float] = {}
    for j, (x0, y0, x1, y1) in enumerate(boxes):
        if j == c or not y0 <= middle <= y1 or labels[j] not in operands:
            continue
        for side, gap in (("left", bx0 - x1), ("right", x0 - bx1)):
            if 0 <= gap <= 1.5 * height:
                sides[side] = min(gap, sides.get(side, math.inf))
                break
    return sides


def link_scripts(boxes: list[Box], labels: list[str], height: float, groups: Groups) -> None:
    """Small pieces still apart join the symbol they are an exponent or a subscript of,
    or the script that was taken into a fraction without them (``\\frac{1}{2^{3}}``:
    the bar's nearest symbol below is the 3).

    An exponent starts past its base's middle, close to its end, smaller than
    it, its foot above the base's middle and not far above its top; a
    subscript hangs from an x. A line of one short number under or over
    another line is as tall as the symbols beside it, and is left alone.
    """
    # A line's own unit may not exceed the page's symbols by much: one big x
    # alone would let a line raise anything near it to its exponent.
    tall = [b[3] - b[1] for b, label in zip(boxes, labels, strict=True) if label not in _FLAT]
    cap = UNIT_CAP * max(height, statistics.median(tall or [height]))
    for j, b in enumerate(boxes):
        if labels[j] != "x":
            continue
        # A subscript overlaps its x's height: it can join whatever took it first
        # (the nearest symbol over a bar may be x_3's 3 rather than its x).
        for i, s in enumerate(boxes):
            low = (s[1] + s[3]) / 2 >= (b[1] + b[3]) / 2
            apart = groups.find(i) != groups.find(j)
            if labels[i] in DIGITS and low and apart and _script(b, "x", s, height):
                groups.join(i, j)
    under = _under_bars(boxes, labels, groups)
    for piece in groups.members():
        x0, y0, x1, y1 = extent(piece, boxes)
        if y1 - y0 > SMALL_HEIGHT * height or x1 - x0 > SMALL_WIDTH * height:
            continue
        first = min(piece, key=lambda i: boxes[i][0])
        last = max(piece, key=lambda i: boxes[i][2])
        best: tuple[float, int] | None = None
        tops: dict[int, tuple[float, float]] = {}
        for j, b in enumerate(boxes):
            if groups.find(j) == groups.find(piece[0]):
                continue
            # Where a script can start at all, before measuring the line's top.
            after_b = (b[0] + b[2]) / 2 <= x0 <= b[2] + height
            if (
                after_b
                and _script(
                    b,
                    labels[j],
                    (x0, y0, x1, y1),
                    height,
                    *_line_top(j, boxes, labels, groups, height, cap),
                )
                and not _another_line(piece, j, boxes, labels, groups)
            ):
                distance = abs(x0 - b[2]) + min(abs(y1 - b[1]), abs(y0 - b[3]))
                if best is None or distance < best[0]:
                    best = (distance, j)
                continue
            # Or b is the script of the piece's last symbol, or of any of its symbols
            # when b stands alone under a bar (x^{2} + x under a bar).
            for m in piece:
                if not (boxes[m][0] + boxes[m][2]) / 2 <= b[0] <= boxes[m][2] + height:
                    continue
                if m != last and j not in under:
                    continue
                if m not in tops:
                    tops[m] = _line_top(m, boxes, labels, groups, height, cap)
                # b comes with its group, unless it stands alone under its bar.
                script = [j] if j in under else _members(j, groups)
                if _script(boxes[m], labels[m], b, height, *tops[m]) and not _another_line(
                    script, m, boxes, labels, groups
                ):
                    distance = abs(b[0] - boxes[m][2]) + abs(b[3] - boxes[m][1])
                    if best is None or distance < best[0]:
                        best = (distance, j)
        if best is not None:
            groups.join(first, best[1])


def _members(i: int, groups: Groups) -> list[int]:
    """The symbols in symbol *i*'s group."""
    root = groups.find(i)
    return [k for k in range(len(groups.parent)) if groups.find(k) == root]


def _another_line(
    script: list[int], base: int, boxes: list[Box], labels: list[str], groups: Groups
) -> bool:
    """Whether *script*, placed like an exponent of symbol *base*, is a line of its own.

    An exponent holds no relation (``=``, ``<`` ...): a piece that does is a line
    of working, or an ``= 4`` continuing one, written just over *base*. An
    exponent starts past its base's middle: a line whose last symbols are placed
    like an exponent of *base* may start well before it. Nor does an exponent
    stand over the whole of a symbol that follows its base in the base's group,
    under one of its own symbols: what follows a base comes after its exponent
    (``2^{3} + 1``), while a short line written over the start of a longer one
    stands over its symbols (a subscript among them, which hangs below the line).
    A slash's box may reach under an exponent whole (``2^{2} / 3``), and two
    exponents of one line may be one piece spanning what lies between them
    (``2^{2} + 2^{0}``): those are under none of its symbols, or not whole.
    """
    if any(labels[k] in RELATIONS for k in script):
        return True
    middle = (boxes[base][0] + boxes[base][2]) / 2
    sx0, _, sx1, foot = extent(script, boxes)
    if sx0 < middle:
        return True
    root = groups.find(base)
    for k, (x0, y0, x1, _) in enumerate(boxes):
        if k == base or groups.find(k) != root or x0 <= middle or y0 < foot:
            continue
        if sx0 <= x0 and x1 <= sx1 and any(_share_x(k, i, boxes) for i in script):
            return True
    return False


def _share_x(k: int, i: int, boxes: list[Box]) -> bool:
    """Whether symbols *k* and *i* share some of their horizontal span."""
    return boxes[i][0] < boxes[k][2] and boxes[k][0] < boxes[i][2]


def _under_bars(boxes: list[Box], labels: list[str], groups: Groups) -> set[int]:
    """The symbols that stand alone under a bar of their own group, within its span.

    A bar takes the nearest symbol under it; when that is an exponent of the
    denominator (``\\frac{5}{x^{2} + x}``), the rest of the denominator is left
    out, and the exponent stands under the bar alone.
    """
    out = set()
    for c, label in enumerate(labels):
        if label != "-":
            continue
        x0, _, x1, bottom = boxes[c]
        below = [
            j
            for j, b in enumerate(boxes)
            if j != c
            and groups.find(j) == groups.find(c)
            and x0 <= (b[0] + b[2]) / 2 <= x1
            and b[1] >= bottom
        ]
        if len(below) == 1:
            out.add(below[0])
    return out


def link_dots(boxes: list[Box], labels: list[str], height: float, groups: Groups) -> None:
    """A dot still alone (a decimal point a little below the line) joins the nearest symbol.

    A mark read as a point may be larger than DOT (a thick pen, a blurred
    photo); no line is a point or a bar alone, so those join as well.
    """
    for piece in groups.members():
        if len(piece) != 1:
            continue
        i = piece[0]
        x0, y0, x1, y1 = boxes[i]
        if max(x1 - x0, y1 - y0) > DOT * height and labels[i] not in LONE:
            continue
        best: tuple[float, int] | None = None
        for j, (a0, b0, a1, b1) in enumerate(boxes):
            if j == i:
                continue
            dx = max(a0 - x1, x0 - a1, 0.0)
            dy = max(b0 - y1, y0 - b1, 0.0)
            distance = (dx * dx + dy * dy) ** 0.5
            if distance <= height and (best is None or distance < best[0]):
                best = (distance, j)
        if best is not None:
            groups.join(i, best[1])


def _line_top(
    j: int, boxes: list[Box], labels: list[str], groups: Groups, height: float, cap: float
) -> tuple[float, float]:
    """The top of symbol *j*'s line just before it (its group's symbols ending near it),
    and the height of the digits of its group (of its symbols, where it has no digit)."""
    b = boxes[j]
    group = groups.find(j)
    members = [i for i in range(len(boxes)) if groups.find(i) == group]
    near = [
        boxes[i][1]
        for i in members
        if b[0] - 2 * height <= boxes[i][2] <= b[2] and boxes[i][3] - boxes[i][1] > 0.3 * height
    ]
    digits = [boxes[i][3] - boxes[i][1] for i in members if labels[i] in DIGITS]
    tall = [boxes[i][3] - boxes[i][1] for i in members if labels[i] not in _FLAT]
    unit = statistics.median(digits or tall or [b[3] - b[1]])
    return min([b[1], *near]), min(unit, cap)


def _script(
    base: Box,
    label: str,
    script: Box,
    height: float,
    top: float | None = None,
    unit: float | None = None,
) -> bool:
    """Whether *script* sits where an exponent of *base* (or a subscript of an x) does.

    *top* is the top of the base's line just before it (an exponent of a short
    x is measured against the digits beside it); the base's own top if None.
    """
    x0, y0, x1, y1 = script
    if not (base[0] + base[2]) / 2 <= x0 <= base[2] + 1.0 * height:
        return False
    mid = (base[1] + base[3]) / 2
    if label == "x" and mid <= (y0 + y1) / 2 and y0 <= base[3]:
        return True  # a subscript: it overlaps the x, so it cannot be another line
    top = base[1] if top is None else min(top, base[1])
    if label == "x":
        # A short x stands for a whole symbol of its line: a digit of that line, where
        # the line is written larger than the page (an exponent 3 of such an x is
        # half as tall again as the x, and would not pass for small against it).
        top = min(top, base[3] - max(height, unit or 0.0))
    small = y1 - y0 <= SCRIPT_SIZE * (base[3] - top)
    rise = RISE * (height if unit is None else unit)
    return small and top - rise <= y1 <= mid
