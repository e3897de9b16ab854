"""Step 2 of :mod:`.lines`: the structures that join pieces of one line.

The pieces of step 1 are symbols that overlap their neighbours vertically;
a fraction's numerator and denominator, an exponent written high or a
decimal point below the baseline do not, and would be taken for lines of
their own. Here a bar joins the symbols close above and below it over its
span, and a lone dot or bar its nearest symbol; a small raised or lowered
piece joins the symbol it is an exponent or a subscript of in
:mod:`.lines_scripts`. Thresholds are in the page's digit heights, chosen as
:mod:`.lines` says. The union-find the steps share is here too.
"""

from __future__ import annotations

import math

from .tree import RELATIONS

__all__ = [
    "Box",
    "DIGITS",
    "Groups",
    "FLAT",
    "extent",
    "link_dots",
    "link_fractions",
    "members",
    "BAR_GAP",
]

#: A bar takes a symbol above or below it within this many symbol heights,
BAR_GAP = 0.7
#: ... or within this many when the bar is wider than WIDE_BAR symbol heights and the
#: symbol starts and is centred within its span (a stacked fraction's levels are spaced
#: out, an index may end past the bar, x_{3} over x_{4}; a minus sign is short, and the
#: lines around it reach past its ends).
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
#: A mark no bigger than this many symbol heights is a dot.
DOT = 0.3
#: Marks that are never a line alone, whatever their size.
LONE = frozenset({".", "-"})

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
DIGITS = frozenset("0123456789")
_TERMS = DIGITS | {"x"}
_OPERANDS = _TERMS | {"(", ")"}
#: Marks drawn flat, whatever the writing size: their height measures nothing.
FLAT = frozenset({"-", ".", "="})


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
            inside = wide and bx0 - reach_out <= x0 and (x0 + x1) / 2 <= bx1 + reach_out
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
    return any(labels[k] in RELATIONS for k in members(i, groups))


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


def members(i: int, groups: Groups) -> list[int]:
    """The symbols in symbol *i*'s group."""
    root = groups.find(i)
    return [k for k in range(len(groups.parent)) if groups.find(k) == root]


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
