"""The index of a root (the 3 of a cube root) written in the crook of its radical sign.

A radical sign's box runs from its tick to the end of its top bar, so an
index written where it belongs, small, above the tick's upstroke and left of
the bar's start, lies in the box's upper-left corner, or sticks out a little
past its left edge or above its top. :mod:`mathocr.layout.build` lets a root claim
what lies under its box as the radicand; this module takes the index back out
of what it claimed (and out of the free symbols that reach into its box), so
that ``\\sqrt[5]{55}`` is no ``\\sqrt{555}`` and no ``5\\sqrt{55}``.

An index is a short run of digits or x's that:

- reaches into the root's box (its right edge past the box's left edge, its
  foot below the box's top) over the sign's tick (:data:`TICK_WIDTH`): it
  sits in the crook, not beside the root as an exponent of the symbol before
  it would, nor under the bar;
- has its centre above the middle of the root's box, and stands above the
  line the radicand starts on: its foot clearly above the baseline of a first
  digit or x (:data:`INDEX_RISE`), above the middle of a first operator. A
  coefficient stands on that baseline, and a radicand's first digit is level
  with what follows it, however far the sign's tick hangs below them. Before
  a fraction the sign is tall and its crook low, at about the bar, and
  writers put the index there, its foot above or below the bar: the middle
  of the box is the only height it is held to;
- stands left of where the radicand starts, and left of a nested root's box
  (an index there is that root's own);
- is clearly smaller than the radicand's digits and x's (:data:`INDEX_SIZE`),
  as an exponent is smaller than its base: a digit as tall as them is part
  of the radicand, or a factor.

Everything is measured against the root's own box and its radicand's
symbols, so it holds at any writing size.

>>> from mathocr.layout.tree import Box, Sym
>>> root = Box(0, 0, 100, 60)
>>> three, two = Sym("3", (1,), Box(2, 6, 14, 22)), Sym("2", (2,), Box(40, 14, 62, 56))
>>> split_degree(root, [three, two], [])
([Sym(label='3', indices=(1,))], [Sym(label='2', indices=(2,))])
"""

from __future__ import annotations

from .tree import DIGITS, Box, Frac, Item, Root, Row, Sym

__all__ = ["split_degree", "small_in_crook", "INDEX_SIZE", "INDEX_RISE", "TICK_WIDTH"]

#: An index's symbols are under this share of the radicand's typical digit (or x)
#: height: the share under which a digit counts as smaller than the x it indexes
#: (:data:`mathocr.layout.row_scripts.SUB_SIZE`). The CROHME writers' indices are
#: 0.3-0.8 of their radicand's digits.
INDEX_SIZE = 0.85
#: An index's foot is more than this share of the radicand's digit height above the
#: baseline of the radicand's first digit. A coefficient's is on it: the layout
#: counts a digit's foot within 0.15 x heights of an x's as level
#: (:data:`mathocr.layout.row_scripts.SUB_FOOT`).
INDEX_RISE = 0.25
#: A radical sign's tick is at most this share of the sign's height wide: an index's
#: centre lies within it of the sign's left edge (the CROHME writers' within 0.3).
TICK_WIDTH = 0.5
#: An x is drawn this share of a digit's height (as :mod:`mathocr.layout.row_scripts`
#: measures a line's digit height), so sizes compare in digit heights.
_X_HEIGHT = 0.8


def split_degree(
    root: Box, inside: list[Item], nearby: list[Item]
) -> tuple[list[Item], list[Item]]:
    """(index, radicand) of the root whose sign's box is *root*.

    *inside* is what the root claimed as lying under it; *nearby* the
    unclaimed units around it, of which a symbol sticking out past the box's
    left edge or top may be the index. The index is the leftmost units, in
    the crook, that fit (see the module docstring); the radicand the rest of
    *inside*. No index is taken that would leave no radicand.
    """
    pool = [*inside, *(u for u in nearby if _in_crook(u, root))]
    pool.sort(key=lambda u: u.box.x0)
    run: list[Item] = []
    for u in pool:
        if not _in_crook(u, root):
            break
        run.append(u)
    while run:
        rest = [u for u in inside if not any(u is v for v in run)]
        if rest and _fits(run, rest):
            return run, rest
        run.pop()
    return [], inside


def small_in_crook(u: Sym, root: Box, size: float) -> bool:
    """Whether *u* may be the index of the root whose sign's box is *root*, by its
    place and against symbols *size* tall (a fraction's level, before the root
    has claimed its radicand)."""
    return _in_crook(u, root) and _size(u) < INDEX_SIZE * size


def _in_crook(u: Item, root: Box) -> bool:
    """Whether *u* is a digit or x in the upper part of the root's box, reaching into it."""
    if not (isinstance(u, Sym) and (u.label in DIGITS or u.label == "x")):
        return False
    b = u.box
    over_tick = b.cx < min(root.cx, root.x0 + TICK_WIDTH * root.h)
    return b.x1 > root.x0 and b.y1 > root.y0 and b.cy < root.cy and over_tick


def _fits(run: list[Item], rest: list[Item]) -> bool:
    """Whether *run* stands before radicand *rest*, raised and small against it."""
    typical = _typical_size(_own_level(rest)) or _typical_size(rest)
    if typical is None:
        return False
    first = min(rest, key=lambda u: u.box.x0)
    nested = [u.box.x0 for u in rest if isinstance(u, Sym) and u.label == "\\sqrt"]
    for u in run:
        if u.box.cx >= first.box.x0 or any(u.box.x1 > x0 for x0 in nested):
            return False
        if not _raised_before(u, first, typical) or _size(u) >= INDEX_SIZE * typical:
            return False
    return True


def _raised_before(u: Item, first: Item, typical: float) -> bool:
    """Whether *u* stands above the line the radicand starts on, at its *first* unit.

    A digit or x starts it on its baseline: *u*'s foot must be clearly above
    that. An operator or a bracket is centred on the line's middle: *u*'s foot
    must be above that (``2 + \\sqrt{3}`` under a root has its 2 level with
    the +). Before a fraction or a nested root, the middle of the sign's box
    is the only height an index is held to (see the module docstring).
    """
    b = first.box
    if isinstance(first, Sym) and (first.label in DIGITS or first.label == "x"):
        return b.y1 - u.box.y1 > INDEX_RISE * typical
    if isinstance(first, Sym) and first.label != "\\sqrt":
        return u.box.y1 < b.cy
    return True


def _own_level(units: list[Item]) -> list[Item]:
    """*units* without those under a nested root's sign: a continued root's inner
    radicands are written smaller, level by level."""
    signs = [u.box for u in units if isinstance(u, Sym) and u.label == "\\sqrt"]
    return [
        u
        for u in units
        if not any(
            u.box is not s and s.x0 < u.box.cx < s.x1 and s.y0 < u.box.cy < s.y1 for s in signs
        )
    ]


def _typical_size(units: list[Item]) -> float | None:
    """The median digit height of the radicand's digits and x's, its fractions'
    levels included.

    Exponents already split off (in a fraction's levels) are left out, small
    by design; the median outweighs one on the radicand's line, not yet split.
    """
    sizes: list[float] = []
    _collect(units, sizes)
    sizes.sort()
    return sizes[len(sizes) // 2] if sizes else None


def _collect(row: Row, out: list[float]) -> None:
    for u in row:
        if isinstance(u, Sym):
            if u.label in DIGITS or u.label == "x":
                out.append(_size(u))
        elif isinstance(u, Frac):
            _collect(u.num, out)
            _collect(u.den, out)
        elif isinstance(u, Root):
            _collect(u.body, out)


def _size(u: Item) -> float:
    """The height of *u* in digit heights (an x is shorter than a digit by design)."""
    h = u.box.h
    return h / _X_HEIGHT if isinstance(u, Sym) and u.label == "x" else h
