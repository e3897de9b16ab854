"""Superscripts and subscripts: which symbols of a row are raised or lowered after a base.

Once :mod:`mathocr.layout.build` has let fractions and roots claim their contents
and sorted the rest of a region left to right, this pass walks that row and
splits off the scripts: a run of symbols raised relative to the last symbols
that can carry a power (digits, ``x``, ``)``, a root) becomes a :class:`Sup`
(``2^{3}``, ``x^{-1}``), and a digit written small and low after an ``x``
becomes a :class:`Sub`, a name of its own (``x_1``, ``x_{12}``). So does a
digit close after an ``x`` with no operand before it (first in its row, or
after an operator), written level with it and however large, unless it is
raised as its exponent or reaches well above the x (a ``)`` read as a 1):
that x cannot be a times sign read as an x, and a digit after an x never
multiplies it. Each script is read again the same way, so they nest.

It decides from box geometry alone, comparing each symbol's bottom and centre
with those of the bases before it. It is kept apart from :mod:`mathocr.layout.build`,
which finds fractions, roots and two-bar ``=`` by what each bar or root
claims, because it is a different kind of decision: one left-to-right pass
over a row already sorted, in which a fraction or a root is a single item,
with thresholds (below) that nothing else uses. The layout runs it on each
row, and once more on a slanted row with the slant taken out
(:mod:`mathocr.layout.slant`).

>>> s = [Sym("2", (0,), Box(0, 40, 20, 80)), Sym("3", (1,), Box(24, 10, 38, 34))]
>>> baselines(s)
[Sym(label='2', indices=(0,)), Sup(row=[Sym(label='3', indices=(1,))])]
"""

from __future__ import annotations

from .tree import CENTRED, DIGITS, Box, Frac, Item, Root, Row, Sub, Sup, Sym, row_box

__all__ = ["baselines", "lowered", "raised", "reference"]

# Set by looking at CROHME failures (mostly train/, a few valid/ ones too), so
# bench/bench_layout.py's figures are not a strictly held-out estimate.
#: A superscript's bottom is at least this many base heights above the base's bottom,
SUP_RISE = 0.35
#: ... and its centre this many base heights above the base's centre.
SUP_CENTRE = 0.1
#: A minus starts a superscript when its centre is this many digit heights above the baseline.
SUP_OPERATOR = 0.75
#: A subscript's top is at least this many x heights below the x's top,
SUB_TOP = 0.1
#: ... its centre this many x heights below the x's centre,
SUB_CENTRE = 0.1
#: ... or, for a digit smaller than this many x heights, both no higher than the x's:
#: a digit after an x never multiplies it (2x is written so), and CROHME writers'
#: indices inside fractions are often level with their x, if smaller; a digit as
#: tall as the x and level with it is more often a times sign read as an x (30 x 29).
#: Set on the train writers (issue 22).
SUB_SIZE = 0.85
#: ... and its bottom no more than this many x heights above the x's bottom
#: (chosen on held-out train writers, bench/layout_pages.py's dev part).
SUB_FOOT = 0.15
#: An x with no operand before it (first in its row, or after an operator) is no
#: times sign read as an x: a digit starting within this many x heights past its end
#: and not raised as an exponent is its index, however level and large (CROHME
#: writers' x_2 in stacked fractions is often an x2 as tall as the x), and so is each
#: level digit starting within as many x heights past the index's last one (x_{12};
#: train's two-digit indices written level, a_{11}, are one index) ...
SUB_REACH = 0.5
#: ... and whose top is at most this many x heights above the x's: a bracket closing
#: after the x, read as a 1, reaches well above it (half an x height and more on the
#: train writers' x), an index hardly (0.15 at most on their level ones).
SUB_OVER = 0.25

#: An x is about this share of a digit's height.
X_SHARE = 0.8

_BASES = DIGITS | {"x", ")"}


def reference(u: Item) -> Box | None:
    """The box a following superscript is measured against, if *u* can carry one.

    A bare fraction carries none: its power would be written with brackets,
    and what follows it is far more often a factor (``\\frac{1}{2}x^{2}``).
    """
    if isinstance(u, Sym):
        return u.box if u.label in _BASES else None
    if isinstance(u, Root):
        return u.box
    return None


def baselines(units: list[Item]) -> Row:
    """Split raised runs off the row as :class:`Sup` items (recursively).

    A unit is raised when it is raised relative to the last two symbols that
    can carry a superscript: one alone may have a descender (a handwritten 4
    or 9 often reaches below the line) and make its neighbour look raised.
    Where the last base is an x, the rise over the symbol before it is a share
    of the x's height, if that is less: a tall digit before a short x asks no
    more of the x's exponent (``11x^{3}``). Digits measure with their own
    height: a 0 read where a point stands is no yardstick for the next digit.
    A ``)`` before the last base is no such check: it reaches above and below
    the line by design, and an exponent of the x after it need not clear its
    middle (``(3 - \\sqrt{17})x^{2}``).
    """
    row: Row = []
    bases: list[Box] = []
    last_x = False  # whether the last of the bases is an x
    named: Box | None = None  # the box of an x that may still take a subscript
    leading = False  # whether that x has no operand before it (no times sign, then)
    height = _line_height(units)
    i = 0
    while i < len(units):
        u = units[i]
        low = named is not None and lowered(u, named)
        if named is not None and (low or (leading and _indexed(u, named, height))):
            run = [u]
            i += 1
            while i < len(units):
                nb = units[i].box
                run_cy = sum(r.box.cy for r in run) / len(run)
                run_top = min(r.box.y0 for r in run)
                # Still in the subscript while a digit closer to its line than to the
                # x's: a subscript is an index (x_{12}); an operator or relation after
                # it, however low it is written, is back on the line (x_4 = x). An
                # index written level with its x goes on level, digit after digit.
                if _is_digit(units[i]) and (
                    (nb.cy > (named.cy + run_cy) / 2 and nb.y0 > (named.y0 + run_top) / 2)
                    or (not low and _indexed(units[i], _past(named, run), height))
                ):
                    run.append(units[i])
                    i += 1
                else:
                    break
            sub = Sub(baselines(run), row_box(run))
            if row and isinstance(row[-1], Sup):  # x^{2}_{1}: the name comes first
                row.insert(len(row) - 1, sub)
            else:
                row.append(sub)
            named = None
            continue
        # Against the base before an x, a rise is a share of the x's height, if less.
        short = bases[-1].h if bases and last_x else None
        if bases and all(raised(u, b, height, min(b.h, short or b.h)) for b in bases[-2:]):
            base = bases[-1]
            run = [u]
            start = i
            i += 1
            while i < len(units):
                v = units[i]
                run_cy = sum(r.box.cy for r in run) / len(run)
                run_bottom = max(r.box.y1 for r in run)
                # Still in the superscript while closer to its line than to the base's.
                # A fraction stands on a line at its bar, its denominator hanging below.
                cy, foot = (_bar(v), _bar(v)) if isinstance(v, Frac) else (v.box.cy, v.box.y1)
                if cy < (base.cy + run_cy) / 2 and foot < (base.y1 + run_bottom) / 2:
                    run.append(v)
                    i += 1
                else:
                    break
            if _lone_minus(run):
                # A minus raised alone, with nothing after it, is no exponent: a 5's
                # hat lifted off to its right, or a piece of a bar broken by faint ink.
                continue
            # A bracket the run opens and does not close starts a factor back on the
            # line, and one it closes without opening is on the line; what comes
            # before it is the exponent (x^{2}(x + 1), (x^{3} - x)), if anything.
            cut = _unclosed(run, _depth(row))
            if cut is not None:
                run = run[:cut]
                i = start + cut
            if run and not _lone_minus(run):
                row.append(Sup(baselines(run), row_box(run)))
                bases = []  # no second superscript on the same base
                continue
            i = start  # on the line after all
        leading = not row or (isinstance(row[-1], Sym) and row[-1].label not in _BASES)
        row.append(u)
        named = u.box if isinstance(u, Sym) and u.label == "x" else None
        ref = reference(u)
        if ref is None:
            bases = []
        elif bases and isinstance(row[-2], Sym) and row[-2].label == ")":
            bases = [ref]
        else:
            bases.append(ref)
        last_x = ref is not None and isinstance(u, Sym) and u.label == "x"
        i += 1
    return row


def lowered(u: Item, x: Box) -> bool:
    """Whether *u* starts a subscript of the ``x`` whose box is *x*.

    Only a digit does (``x_1``, ``x_{12}``): its top and centre below the
    x's (no higher, if it is smaller than the x), its foot on the x's
    baseline or under it. A digit on the
    line is taller than an x and reaches above it; a raised one is an
    exponent.
    """
    if not _is_digit(u) or x.h <= 0:
        return False
    b = u.box
    if b.y1 <= x.y1 - SUB_FOOT * x.h:
        return False
    if b.h < SUB_SIZE * x.h:
        return b.y0 > x.y0 and b.cy > x.cy
    return b.y0 > x.y0 + SUB_TOP * x.h and b.cy > x.cy + SUB_CENTRE * x.h


def _indexed(u: Item, x: Box, line_height: float) -> bool:
    """Whether *u* is the index of an x that no operand precedes, written level with it.

    A digit after an x never multiplies it (``2x`` is written so); where the x
    cannot be a times sign read as an x (nothing to multiply stands before it),
    a digit close after it that is not raised as its exponent names it (``x_2``).
    One reaching far above the x is a ``)`` misread as a 1.
    """
    if not _is_digit(u) or x.h <= 0:
        return False
    b = u.box
    close = b.x0 <= x.x1 + SUB_REACH * x.h and b.y0 >= x.y0 - SUB_OVER * x.h
    return close and not raised(u, x, line_height)


def _past(x: Box, run: list[Item]) -> Box:
    """The box of the x stretched to the end of its index *run*: how far the next
    digit of a level index may start is measured from the last one."""
    return Box(x.x0, x.y0, max(x.x1, run[-1].box.x1), x.y1)


def _unclosed(run: list[Item], before: int = 0) -> int | None:
    """Where in *run* the first bracket it opens and does not close stands, or the
    first it closes without opening while *before* brackets opened on the line
    before it are still open, if any.

    A raised run is an exponent only as far as its brackets close in it: a
    ``(`` written small and high, whose own ``)`` is back on the line, opens a
    factor (``(x - 1)(2x - 7)``, ``x^{2}(x + 1)``), not a power; and a ``)``
    closing a bracket opened before the base is back on the line too. With no
    bracket open before it, a ``)`` is left in the run (the ``(`` may be read
    as a 1 there, and the grammar should see the run whole).
    """
    opened: list[int] = []
    for k, u in enumerate(run):
        if isinstance(u, Sym) and u.label == "(":
            opened.append(k)
        elif isinstance(u, Sym) and u.label == ")":
            if not opened and before > 0:
                # A bracket it closes without opening was opened before its base: the
                # exponent ends before it ((x^{3} - x)(2x - 7) on a rising line).
                return k
            if opened:
                opened.pop()
    return opened[0] if opened else None


def _depth(row: Row) -> int:
    """How many brackets opened in *row* are still open."""
    depth = 0
    for u in row:
        if isinstance(u, Sym) and u.label in ("(", ")"):
            depth = depth + 1 if u.label == "(" else max(depth - 1, 0)
    return depth


def _bar(f: Frac) -> float:
    """The height of a fraction's bar: between its numerator's foot and its
    denominator's top."""
    return (row_box(f.num).y1 + row_box(f.den).y0) / 2


def _lone_minus(run: list[Item]) -> bool:
    return len(run) == 1 and isinstance(run[0], Sym) and run[0].label == "-"


def _is_digit(u: Item) -> bool:
    return isinstance(u, Sym) and u.label in DIGITS


def _line_height(units: list[Item]) -> float:
    """Typical digit height on this row (an x counts as 0.8 of a digit)."""
    heights = []
    for u in units:
        if isinstance(u, Sym) and u.label in _BASES:
            heights.append(u.box.h / X_SHARE if u.label == "x" else u.box.h)
    return sorted(heights)[len(heights) // 2] if heights else 0.0


def raised(u: Item, base: Box, line_height: float, size: float | None = None) -> bool:
    """Whether *u* starts a superscript of the symbol whose box is *base*.

    Operators sit on the middle line, half a digit above the baseline, so a
    minus opens an exponent only when its centre is well above that (measured
    in the row's digit height: a short x alone is no yardstick). Other symbols
    must have their bottom well above the base's bottom and their centre above
    the base's centre, by shares of *size* (the base's own height if None).
    """
    if base.h <= 0:
        return False
    b = u.box
    if isinstance(u, Sym) and u.label in CENTRED:
        # Only a minus sign opens an exponent (x^{-1}).
        scale = max(base.h, line_height)
        return u.label == "-" and base.y1 - b.cy > SUP_OPERATOR * scale
    h = base.h if size is None else size
    return base.y1 - b.y1 > SUP_RISE * h and b.cy < base.cy - SUP_CENTRE * h
