"""The layout tree's nodes: rows of symbols, fractions, roots, superscripts, subscripts.

:mod:`mathocr.layout.build` builds these from placed symbols (with
:mod:`mathocr.layout.row_scripts` deciding the superscripts and subscripts), and
the readers of the tree (:mod:`mathocr.layout.context`, :mod:`mathocr.meaning.syntax`,
:mod:`mathocr.layout.notation`, :mod:`mathocr.meaning.expression`) take them from here. They
live apart from the builder so that both layout passes can share them without
importing each other.

>>> row_box([Sym("2", (0,), Box(0, 40, 20, 80)), Sym("3", (1,), Box(24, 10, 38, 34))])
Box(x0=0, y0=10, x1=38, y1=80)
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Box",
    "Sym",
    "Frac",
    "Root",
    "Sup",
    "Sub",
    "Item",
    "Row",
    "row_box",
    "DIGITS",
    "RELATIONS",
    "CENTRED",
]

DIGITS = frozenset("0123456789")
#: Labels that relate two sides: the row splits at them (``=`` and the comparisons
#: a detector emits as whole symbols).
RELATIONS = ("=", "<", ">", "\\le", "\\ge", "\\ne")
#: Labels written on the middle line, half a digit above the baseline.
CENTRED = {"+", "-", "\\times", "\\div", *RELATIONS}


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )


@dataclass
class Sym:
    """A plain symbol (``indices`` has two entries for an ``=`` drawn as two bars)."""

    label: str
    indices: tuple[int, ...]
    box: Box = field(repr=False, compare=False, default=Box(0, 0, 0, 0))


@dataclass
class Frac:
    bar: int
    num: Row
    den: Row
    box: Box = field(repr=False, compare=False, default=Box(0, 0, 0, 0))


@dataclass
class Root:
    """A root: its radical sign, what lies under its bar, and the index in its crook.

    ``index`` is the radical sign's symbol index (as in :attr:`Sym.indices`);
    ``degree`` is the row written small in the sign's crook (the 3 of a cube
    root), None for a square root.
    """

    index: int
    body: Row
    box: Box = field(repr=False, compare=False, default=Box(0, 0, 0, 0))
    degree: Row | None = None


@dataclass
class Sup:
    """A superscript; it applies to the item just before it in the row."""

    row: Row
    box: Box = field(repr=False, compare=False, default=Box(0, 0, 0, 0))


@dataclass
class Sub:
    """A subscript; with the ``x`` just before it, it forms a name (``x_1``)."""

    row: Row
    box: Box = field(repr=False, compare=False, default=Box(0, 0, 0, 0))


Item = Sym | Frac | Root | Sup | Sub
Row = list[Item]


def row_box(row: Row) -> Box:
    out = row[0].box
    for u in row[1:]:
        out = out.union(u.box)
    return out
