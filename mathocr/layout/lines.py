"""A page of placed symbols → lines in reading order, before any layout.

The layout (:mod:`mathocr.layout.build`) reads one expression: given a whole page
it would take a minus sign of one line, with the line above and the line
below it, for a fraction bar. So the symbols are split into lines first,
from geometry alone:

1. *Pieces*: two symbols belong together when they overlap vertically and
   stand near each other horizontally. Symbols on one handwritten line
   overlap their neighbours even when the line slants, while the symbols of
   two lines, one under the other, do not overlap at all. A fraction's
   numerator and denominator, or an exponent written high, may still form
   pieces of their own.
2. *Structures* (:mod:`.lines_structures`): a bar with a symbol close above it
   and one close below it, over its span, joins them (a fraction is one
   line, however tall; a short bar between two operands, or a long one
   between two digits or x's, is a minus sign and joins nothing), then
   small pieces that are still apart join the symbol they are raised or
   lowered against (:mod:`.lines_scripts`: an exponent, measured against its own
   line's digits, or a subscript), and a lone dot or bar its nearest symbol.
3. *Rows*: groups whose core bands (their symbols' middle halves) overlap,
   overall or on the two sides of a space between them, are one line broken
   by a wide space; what is left is sorted top to bottom.

Thresholds are in units of the page's digit height (the median digit; the
median symbol where there is none), an exponent's rise in its own line's,
and were chosen on CROHME *train* writers (``bench/layout_pages.py``: first a
fifth of them by name hash and the rest, since then the dev writers of
:mod:`mathocr.data.splits`, on pages of true boxes and on the recognizer's own
symbols in drawn images), not on the valid split the benchmark reports.

>>> from mathocr.layout.build import PlacedSymbol as P
>>> page = [P("1", (0, 0, 10, 30)), P("2", (0, 60, 10, 30)), P("3", (14, 2, 10, 30))]
>>> split_lines(page)
[[0, 2], [1]]
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from .build import PlacedSymbol
from .lines_scripts import link_scripts
from .lines_structures import DIGITS, Box, Groups, extent, link_dots, link_fractions

__all__ = ["split_lines", "REACH"]

#: Symbols further apart than this many symbol heights horizontally are not linked directly
#: (wider spaces are bridged in step 3, by the bands on their two sides).
REACH = 3.0
#: Two symbols overlapping vertically by this share of the shorter one are on one line.
OVERLAP = 0.3
#: Two pieces of one row may be this many symbol heights apart.
ROW_SPACE = 6.0
_RELATIONS = frozenset({"=", "<", ">", "\\le", "\\ge", "\\ne"})


def split_lines(symbols: Sequence[PlacedSymbol]) -> list[list[int]]:
    """Indices of *symbols*, grouped into lines, top line first, each left to right."""
    if not symbols:
        return []
    boxes = [_box(s) for s in symbols]
    # The digits' height: exponents, x and signs are smaller, and on a page of
    # x^2 - 2x they would be the majority.
    digits = [b[3] - b[1] for b, s in zip(boxes, symbols, strict=True) if s.label in DIGITS]
    tall = [b[3] - b[1] for b, s in zip(boxes, symbols, strict=True) if s.label not in "-.="]
    height = statistics.median(digits or tall or [max(b[3] - b[1] for b in boxes)])
    height = max(height, 1.0)
    groups = Groups(len(symbols))
    _link_rows(boxes, height, groups)
    bars = [i for i, s in enumerate(symbols) if s.label == "-"]
    link_fractions(boxes, [s.label for s in symbols], bars, height, groups)
    link_scripts(boxes, [s.label for s in symbols], height, groups)
    link_dots(boxes, [s.label for s in symbols], height, groups)
    lines = _merge_rows(groups.members(), boxes, symbols, height)
    lines.sort(key=lambda line: _core(line, boxes, symbols)[0])
    return [sorted(line, key=lambda i: (boxes[i][0] + boxes[i][2]) / 2) for line in lines]


def _box(s: PlacedSymbol) -> Box:
    x, y, w, h = (float(v) for v in s.box)
    return (x, y, x + max(w, 1.0), y + max(h, 1.0))


def _link_rows(boxes: list[Box], height: float, groups: Groups) -> None:
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            gap = max(a[0] - b[2], b[0] - a[2])
            if gap > REACH * height:
                continue
            overlap = min(a[3], b[3]) - max(a[1], b[1])
            if overlap > OVERLAP * min(a[3] - a[1], b[3] - b[1]):
                groups.join(i, j)


def _core(
    line: list[int], boxes: list[Box], symbols: Sequence[PlacedSymbol]
) -> tuple[float, float]:
    """The middle half between the median top and bottom of *line*'s symbols (bars aside)."""
    ids = [i for i in line if symbols[i].label not in "-."] or line
    top = statistics.median(boxes[i][1] for i in ids)
    bottom = statistics.median(boxes[i][3] for i in ids)
    quarter = (bottom - top) / 4
    return top + quarter, bottom - quarter


def _merge_rows(
    groups: list[list[int]],
    boxes: list[Box],
    symbols: Sequence[PlacedSymbol],
    height: float,
) -> list[list[int]]:
    """Groups on one row are one line with a wide space in it.

    Two groups are on one row when their cores overlap, or when one starts
    not far past the other's end and the symbols on either side of the space
    overlap in their cores (a long line that slants has different heights at
    its two ends, but not on the two sides of one space).
    """
    extents = [extent(g, boxes) for g in groups]
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(len(groups)):
                # Cores overlap only where the groups' extents do: skip the rest cheaply.
                apart = min(extents[a][3], extents[b][3]) <= max(extents[a][1], extents[b][1])
                if a == b or apart or not _one_row(groups[a], groups[b], boxes, symbols, height):
                    continue
                keep, drop = min(a, b), max(a, b)
                groups[keep] = groups[a] + groups[b]
                extents[keep] = extent(groups[keep], boxes)
                groups.pop(drop)
                extents.pop(drop)
                merged = True
                break
            if merged:
                break
    return groups


def _one_row(
    left: list[int],
    right: list[int],
    boxes: list[Box],
    symbols: Sequence[PlacedSymbol],
    height: float,
) -> bool:
    top_a, bottom_a = _core(left, boxes, symbols)
    top_b, bottom_b = _core(right, boxes, symbols)
    if min(bottom_a, bottom_b) > max(top_a, top_b):
        return True
    end = max(boxes[i][2] for i in left)
    start = min(boxes[i][0] for i in right)
    if not -0.5 * height <= start - end <= ROW_SPACE * height:
        return False
    near_end = [i for i in left if boxes[i][2] >= end - 2 * height]
    near_start = [i for i in right if boxes[i][0] <= start + 2 * height]
    top_a, bottom_a = _band(near_end, boxes, symbols, height)
    top_b, bottom_b = _band(near_start, boxes, symbols, height)
    if min(bottom_a, bottom_b) > max(top_a, top_b):
        return True
    if _straddles(near_start, (top_a + bottom_a) / 2, boxes, symbols, height) or _straddles(
        near_end, (top_b + bottom_b) / 2, boxes, symbols, height
    ):
        return True
    # A relation written after the end of what stands before it goes on that line
    # ("x^{-1} = \\frac{1}{x}": a raised exponent and a tall fraction leave the two
    # sides' cores apart), when any of it is level with what stands before it (an
    # "=" written low on a line that falls, after a raised exponent). A line of
    # working that starts with "=" starts under the line above, not after its end.
    # Likewise a relation that ends a group goes with what follows it on its level
    # ("= 2^{4}" with the "=" written low, level with the 2's foot): a relation
    # stands between two sides.
    if start < end:
        return False
    first = min(right, key=lambda i: boxes[i][0])
    last = max(left, key=lambda i: boxes[i][2])
    if symbols[first].label in _RELATIONS:
        return _level(boxes[first], left, boxes)
    return symbols[last].label in _RELATIONS and _level(boxes[last], right, boxes)


def _level(box: Box, ids: list[int], boxes: list[Box]) -> bool:
    """Whether any of symbols *ids* is level with some of *box*."""
    return min(boxes[i][1] for i in ids) < box[3] and box[1] < max(boxes[i][3] for i in ids)


def _straddles(
    ids: list[int], middle: float, boxes: list[Box], symbols: Sequence[PlacedSymbol], height: float
) -> bool:
    """Whether a fraction among *ids* has levels above and below the height *middle*.

    A fraction's band is its bar, but a writer may put the bar of ``+ \\frac{1}{\\sqrt{7}}``
    as low as the foot of the ``+`` before it, with the numerator beside the ``+``. A
    fraction of another line does not reach into this one: lines do not overlap.
    """
    bars = [i for i in ids if symbols[i].label == "-" and boxes[i][2] - boxes[i][0] > height]
    for c in bars:
        x0, y0, x1, y1 = boxes[c]
        over = [i for i in ids if boxes[i][3] <= y0 and x0 <= (boxes[i][0] + boxes[i][2]) / 2 <= x1]
        under = [
            i for i in ids if boxes[i][1] >= y1 and x0 <= (boxes[i][0] + boxes[i][2]) / 2 <= x1
        ]
        if over and under:
            top = min(boxes[i][1] for i in over)
            bottom = max(boxes[i][3] for i in under)
            if top < middle < bottom:
                return True
    return False


def _band(
    ids: list[int], boxes: list[Box], symbols: Sequence[PlacedSymbol], height: float
) -> tuple[float, float]:
    """The middle band of a few symbols on a row, not moved by exponents or fractions.

    A fraction's bar is the middle of its row; otherwise the symbols standing on
    the baseline count (an exponent's foot is well above it).
    """
    bars = [i for i in ids if symbols[i].label == "-" and boxes[i][2] - boxes[i][0] > height]
    if bars:
        widest = max(bars, key=lambda i: boxes[i][2] - boxes[i][0])
        middle = (boxes[widest][1] + boxes[widest][3]) / 2
        return middle - 0.25 * height, middle + 0.25 * height
    foot = max(boxes[i][3] for i in ids)
    standing = [i for i in ids if boxes[i][3] >= foot - 0.3 * height]
    return _core(standing, boxes, symbols)
