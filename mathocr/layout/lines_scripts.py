"""Step 2 of :mod:`.lines`, continued: small pieces that are an exponent or a subscript.

After :mod:`.lines_structures` has let bars join their levels, a piece still apart
that is small, raised past the middle of a symbol near its end and not far
above its line's top joins that symbol as its exponent (``x^{2}``, measured
against its own line's digits), and a digit hanging from an x its subscript;
a short line of working placed like an exponent stays a line of its own when
it holds a relation or stands over the symbols after its base. Thresholds are
in the page's digit heights (an exponent's rise in its own line's), chosen as
:mod:`.lines` says.
"""

from __future__ import annotations

import statistics

from .build import END_SLACK
from .lines_structures import DIGITS, FLAT, Box, Groups, extent, members
from .tree import RELATIONS

__all__ = ["link_scripts", "RISE"]

#: A piece is small (may be an exponent or subscript) below these sizes, in symbol heights.
SMALL_HEIGHT = 2.5
SMALL_WIDTH = 5.0
#: A base's group offered as a script is at most this many symbol heights wide: wider
#: than a piece that looks for its base may be (an exponent written in full size,
#: \sqrt{2}^{\sqrt{2} \times \sqrt{2}}, is 7), but a whole line written just over
#: the first symbol of the next one is not that symbol's exponent. Chosen on the
#: train and dev writers' pages.
OFFERED_WIDTH = 10.0
#: ... and at most this share of its base's height.
SCRIPT_SIZE = 1.3
#: An exponent's foot is at most this many digit heights of its own line above the
#: line's top. The line's own digits, not the page's: a line written larger raises
#: its exponents further, and a photo's exponents stand higher over their x. Chosen on
#: the dev writers (mathocr.data.splits): in page heights, 0.25 split photographed
#: exponents off and 0.3 took short lines for exponents of the line under them; in
#: the line's own heights 0.3-0.4 read the same dev photos whole and 0.35 split the
#: most dev pages right.
RISE = 0.35
#: ... where a line's digit height is at most this many of the page's symbol heights
#: (the larger of its median digit and median symbol: a page whose only digit is an
#: exponent has its digit height from that). Chosen on the dev writers' pages.
UNIT_CAP = 1.5
#: An x is about this share of a digit's height (as :mod:`mathocr.layout.row_scripts`
#: counts it): a short x stands for a digit this much taller, whose exponent may be
#: taller than the x itself (x^{4}).
X_HEIGHT = 0.8


def link_scripts(boxes: list[Box], labels: list[str], height: float, groups: Groups) -> None:
    """Small pieces still apart join the symbol they are an exponent or a subscript of,
    or the script that was taken into a fraction without them (``\\frac{1}{2^{3}}``:
    the bar's nearest symbol below is the 3).

    An exponent starts past its base's middle, close to its end, smaller than
    it, its foot above the base's middle and not far above its top; a
    subscript hangs from an x. A line of one short number under or over
    another line is as tall as the symbols beside it, and is left alone. A
    piece too large for a script in the page's digit heights may still be
    the line a script was taken from, by its last symbol, if small in its own
    digits (a denominator written larger than the rest of the page).
    """
    # A line's own unit may not exceed the page's symbols by much: one big x
    # alone would let a line raise anything near it to its exponent.
    tall = [b[3] - b[1] for b, label in zip(boxes, labels, strict=True) if label not in FLAT]
    cap = UNIT_CAP * max(height, statistics.median(tall or [height]))
    reach = cap  # no line's unit is more: the furthest a script may start past its base
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
        small = _small((x0, y0, x1, y1), height)
        # The line a script was taken from may be small in its own digits (a
        # denominator written larger than the page).
        size = max(height, _unit(piece, piece[0], boxes, labels, cap))
        if not (small or _small((x0, y0, x1, y1), size)):
            continue
        first = min(piece, key=lambda i: boxes[i][0])
        last = max(piece, key=lambda i: boxes[i][2])
        best: tuple[float, int] | None = None
        tops: dict[int, tuple[float, float]] = {}
        for j, b in enumerate(boxes):
            if groups.find(j) == groups.find(piece[0]):
                continue
            # Where a script can start at all, before measuring the line's top.
            sx0 = _start(piece, b, boxes, labels)
            after_b = small and (b[0] + b[2]) / 2 <= sx0 <= b[2] + reach
            if (
                after_b
                and _script(
                    b,
                    labels[j],
                    (sx0, y0, x1, y1),
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
                if not (boxes[m][0] + boxes[m][2]) / 2 <= b[0] <= boxes[m][2] + reach:
                    continue
                if m != last and (j not in under or not small):
                    continue
                if m not in tops:
                    tops[m] = _line_top(m, boxes, labels, groups, height, cap)
                # b comes with its group, unless it stands alone under its bar.
                script = [j] if j in under else members(j, groups)
                if (
                    _script(boxes[m], labels[m], b, height, *tops[m])
                    and _small(extent(script, boxes), height, width=OFFERED_WIDTH)
                    and not _another_line(script, m, boxes, labels, groups)
                ):
                    distance = abs(b[0] - boxes[m][2]) + abs(b[3] - boxes[m][1])
                    if best is None or distance < best[0]:
                        best = (distance, j)
        if best is not None:
            groups.join(first, best[1])


def _small(box: Box, unit: float, width: float = SMALL_WIDTH) -> bool:
    """Whether symbols spanning *box* are small enough, in symbol heights *unit*, to be a
    script (at most *width* of them wide)."""
    x0, y0, x1, y1 = box
    return y1 - y0 <= SMALL_HEIGHT * unit and x1 - x0 <= width * unit


def _another_line(
    script: list[int], base: int, boxes: list[Box], labels: list[str], groups: Groups
) -> bool:
    """Whether *script*, placed like an exponent of symbol *base*, is a line of its own.

    An exponent holds no relation (``=``, ``<`` ...): a piece that does is a line
    of working, or an ``= 4`` continuing one, written just over *base*. An
    exponent starts past its base's middle (after a minus drawn over the base,
    :func:`_start`): a line whose last symbols are placed like an exponent of
    *base* may start well before it. Nor does an exponent
    stand over the whole of a symbol that follows its base in the base's group,
    under one of its own symbols starting before that symbol's middle: what
    follows a base comes after its exponent (``2^{3} + 1``), while a short line
    written over the start of a longer one stands over its symbols (a subscript
    among them, which hangs below the line). A slash's box may reach under an
    exponent whole (``2^{2} / 3``), and two exponents of one line may be one
    piece spanning what lies between them (``2^{2} + 2^{0}``): those are under
    none of its symbols, or not whole, or only under the next exponent, which
    starts past the middle of its base (``3^{x} - 2^{x}``). A
    symbol on the other side of a bar from the base is on another level, not
    after the base (``\\frac{2^{5}}{3 + 1}``: the 5 may stand over the 1).
    """
    if any(labels[k] in RELATIONS for k in script):
        return True
    middle = (boxes[base][0] + boxes[base][2]) / 2
    _, _, sx1, foot = extent(script, boxes)
    sx0 = _start(script, boxes[base], boxes, labels)
    if sx0 < middle:
        return True
    root = groups.find(base)
    for k, (x0, y0, x1, _) in enumerate(boxes):
        if k == base or groups.find(k) != root or x0 <= middle or y0 < foot:
            continue
        if _across_bar(base, k, boxes, labels, groups):
            continue
        over = [i for i in script if _share_x(k, i, boxes)]
        if sx0 <= x0 and x1 <= sx1 and any(boxes[i][0] < (x0 + x1) / 2 for i in over):
            return True
    return False


def _start(script: list[int], base: Box, boxes: list[Box], labels: list[str]) -> float:
    """Where *script* starts, as an exponent of the symbol whose box is *base*: at its
    first symbol, or the next one where that is a minus drawn right over the base
    (the minus of 10^{-12} is often written over the 0), as the layout reads it."""
    ordered = sorted(script, key=lambda i: boxes[i][0])
    lead = boxes[ordered[0]]
    over = base[0] <= (lead[0] + lead[2]) / 2 <= base[2] and lead[3] <= base[1]
    if labels[ordered[0]] == "-" and over and len(ordered) > 1:
        # ... with what follows it past the base's end, as the minus fills the space
        # over the base.
        after = boxes[ordered[1]][0]
        if after >= base[2] - END_SLACK * (base[2] - base[0]):
            return after
    return lead[0]


def _across_bar(a: int, b: int, boxes: list[Box], labels: list[str], groups: Groups) -> bool:
    """Whether a bar of their group lies between symbols *a* and *b*, its span over both
    their centres: one is in a fraction's numerator, the other in its denominator."""
    ca, cb = ((boxes[k][0] + boxes[k][2]) / 2 for k in (a, b))
    ma, mb = ((boxes[k][1] + boxes[k][3]) / 2 for k in (a, b))
    root = groups.find(a)
    for c, (x0, y0, x1, y1) in enumerate(boxes):
        if labels[c] != "-" or c in (a, b) or groups.find(c) != root:
            continue
        if x0 <= min(ca, cb) and max(ca, cb) <= x1 and min(ma, mb) < (y0 + y1) / 2 < max(ma, mb):
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


def _unit(ids: list[int], own: int, boxes: list[Box], labels: list[str], cap: float) -> float:
    """The median digit height of symbols *ids* (of those not flat, where they hold no
    digit; else symbol *own*'s height), at most *cap*."""
    digits = [boxes[i][3] - boxes[i][1] for i in ids if labels[i] in DIGITS]
    tall = [boxes[i][3] - boxes[i][1] for i in ids if labels[i] not in FLAT]
    return min(statistics.median(digits or tall or [boxes[own][3] - boxes[own][1]]), cap)


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
    return min([b[1], *near]), _unit(members, j, boxes, labels, cap)


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
    *unit* is that line's digit height: a line written larger than the page
    raises its exponents further and spaces them further from their base, so
    a script may start up to one of it (or one page height, if more) past the
    base's end.
    """
    x0, y0, x1, y1 = script
    if not (base[0] + base[2]) / 2 <= x0 <= base[2] + max(height, unit or 0.0):
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
    # An x's exponent is measured against the digit the x stands for (x^{4} with a 4
    # taller than the x), though it may rise no further above the x for that.
    size = base[3] - top
    if label == "x":
        size = max(size, (base[3] - base[1]) / X_HEIGHT)
    small = y1 - y0 <= SCRIPT_SIZE * size
    rise = RISE * (height if unit is None else unit)
    return small and top - rise <= y1 <= mid
