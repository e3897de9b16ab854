"""A page of placed symbols → lines in reading order, before any layout.

The layout (:mod:`mathocr.layout`) reads one expression: given a whole page
it would take a minus sign of one line, with the line above and the line
below it, for a fraction bar. So the symbols are split into lines first,
from geometry alone:

1. *Pieces*: two symbols belong together when they overlap vertically and
   stand near each other horizontally. Symbols on one handwritten line
   overlap their neighbours even when the line slants, while the symbols of
   two lines, one under the other, do not overlap at all. A fraction's
   numerator and denominator, or an exponent written high, may still form
   pieces of their own.
2. *Structures*: a bar takes the nearest piece lying over its span above it,
   and the nearest below it, when they are close (a fraction is one line,
   however tall), then small pieces that are still alone join the symbol
   they are raised or lowered against (an exponent, a subscript).
3. *Rows*: groups whose core bands (their symbols' middle halves) overlap
   are one line broken by a wide space; what is left is sorted top to bottom.

Thresholds are in units of the page's median symbol height, and were chosen
on held-out CROHME *train* writers (``bench/bench_layout.py``), never on the
valid split the benchmark reports.

>>> from mathocr.layout import PlacedSymbol as P
>>> page = [P("1", (0, 0, 10, 30)), P("2", (0, 60, 10, 30)), P("3", (14, 2, 10, 30))]
>>> split_lines(page)
[[0, 2], [1]]
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from ..layout import PlacedSymbol

__all__ = ["split_lines", "REACH", "BAR_GAP"]

#: Symbols further apart than this many symbol heights horizontally are not linked directly
#: (kept short so that pieces stay local: the numerators of two fractions side by side
#: are two pieces, each over its own bar; a line cut by a wide space is joined again).
REACH = 1.0
#: Two symbols overlapping vertically by this share of the shorter one are on one line.
OVERLAP = 0.3
#: A bar takes a piece above or below it within this many symbol heights.
BAR_GAP = 0.8
#: A piece is small (may be an exponent or subscript) below these sizes, in symbol heights.
SMALL_HEIGHT = 0.95
SMALL_WIDTH = 3.0

_Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def split_lines(symbols: Sequence[PlacedSymbol]) -> list[list[int]]:
    """Indices of *symbols*, grouped into lines, top line first, each left to right."""
    if not symbols:
        return []
    boxes = [_box(s) for s in symbols]
    tall = [b[3] - b[1] for b, s in zip(boxes, symbols, strict=True) if s.label not in "-.="]
    height = statistics.median(tall) if tall else max(b[3] - b[1] for b in boxes)
    height = max(height, 1.0)
    groups = _Groups(len(symbols))
    _link_rows(boxes, height, groups)
    bars = [i for i, s in enumerate(symbols) if s.label == "-"]
    _link_fractions(boxes, bars, height, groups)
    _link_scripts(boxes, height, groups)
    lines = _merge_rows(groups.members(), boxes, symbols)
    lines.sort(key=lambda line: _core(line, boxes, symbols)[0])
    return [sorted(line, key=lambda i: (boxes[i][0] + boxes[i][2]) / 2) for line in lines]


def _box(s: PlacedSymbol) -> _Box:
    x, y, w, h = (float(v) for v in s.box)
    return (x, y, x + max(w, 1.0), y + max(h, 1.0))


class _Groups:
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


def _link_rows(boxes: list[_Box], height: float, groups: _Groups) -> None:
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            gap = max(a[0] - b[2], b[0] - a[2])
            if gap > REACH * height:
                continue
            overlap = min(a[3], b[3]) - max(a[1], b[1])
            if overlap > OVERLAP * min(a[3] - a[1], b[3] - b[1]):
                groups.join(i, j)


def _extent(ids: list[int], boxes: list[_Box]) -> _Box:
    return (
        min(boxes[i][0] for i in ids),
        min(boxes[i][1] for i in ids),
        max(boxes[i][2] for i in ids),
        max(boxes[i][3] for i in ids),
    )


def _link_fractions(boxes: list[_Box], bars: list[int], height: float, groups: _Groups) -> None:
    """Each bar takes the nearest piece over its span on each side, if close."""
    pieces = groups.members()
    for c in sorted(bars, key=lambda i: boxes[i][0] - boxes[i][2]):  # widest first
        bx0, by0, bx1, by1 = boxes[c]
        slack = 0.2 * height
        best: dict[bool, tuple[float, list[int]]] = {}
        for piece in pieces:
            if groups.find(piece[0]) == groups.find(c):
                continue
            x0, y0, x1, y1 = _extent(piece, boxes)
            if min(x1, bx1 + slack) - max(x0, bx0 - slack) < 0.5 * (x1 - x0):
                continue  # not over the bar (half of a numerator may stick out)
            above = y1 <= (by0 + by1) / 2
            gap = by0 - y1 if above else y0 - by1
            if gap > BAR_GAP * height:
                continue
            if above not in best or gap < best[above][0]:
                best[above] = (gap, piece)
        if len(best) == 2:  # a fraction has both: a lone minus takes nothing
            for _, piece in best.values():
                groups.join(piece[0], c)
        pieces = groups.members()


def _link_scripts(boxes: list[_Box], height: float, groups: _Groups) -> None:
    """A small piece still alone joins the symbol it is raised or lowered against."""
    for piece in groups.members():
        x0, y0, x1, y1 = _extent(piece, boxes)
        if y1 - y0 > SMALL_HEIGHT * height or x1 - x0 > SMALL_WIDTH * height:
            continue
        best: tuple[float, int] | None = None
        for j, b in enumerate(boxes):
            if groups.find(j) == groups.find(piece[0]):
                continue
            step = x0 - b[2]
            if not -0.5 * height <= step <= 1.0 * height:
                continue
            mid = (b[1] + b[3]) / 2
            raised = b[1] - 0.5 * height <= y1 <= mid + 0.2 * height
            lowered = mid - 0.2 * height <= y0 <= b[3] + 0.3 * height
            if raised or lowered:
                distance = abs(step) + min(abs(y1 - b[1]), abs(y0 - b[3]))
                if best is None or distance < best[0]:
                    best = (distance, j)
        if best is not None:
            groups.join(piece[0], best[1])


def _core(
    line: list[int], boxes: list[_Box], symbols: Sequence[PlacedSymbol]
) -> tuple[float, float]:
    """The line's middle band: the middle half between its symbols' median top and bottom."""
    ids = [i for i in line if symbols[i].label not in "-."] or line
    top = statistics.median(boxes[i][1] for i in ids)
    bottom = statistics.median(boxes[i][3] for i in ids)
    quarter = (bottom - top) / 4
    return top + quarter, bottom - quarter


def _merge_rows(
    groups: list[list[int]], boxes: list[_Box], symbols: Sequence[PlacedSymbol]
) -> list[list[int]]:
    """Groups whose core bands overlap are one line with a wide space in it."""
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                top_a, bottom_a = _core(groups[a], boxes, symbols)
                top_b, bottom_b = _core(groups[b], boxes, symbols)
                if min(bottom_a, bottom_b) > max(top_a, top_b):
                    groups[a] = groups[a] + groups.pop(b)
                    merged = True
                    break
            if merged:
                break
    return groups
