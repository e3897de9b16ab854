"""Where composed symbols go: boxes of laid-out ink, and one writer's spacing on a line.

Every part of a composed expression (one glyph, a number, a fraction, a whole
statement) is a :class:`Box`: its symbols' strokes, its extent and the middle
line it sits on. This module is the geometry that all of them share: moving and
stretching a box, and setting boxes side by side on one middle line with the
spacing habits of one imaginary writer (gaps that may be negative, so digits
touch or overlap; operators that at times touch both neighbours).

:class:`Hand` is the first layer of the composing writer: its habits and its
line. :mod:`.glyphs` adds drawing one symbol, :mod:`.numbers` numbers and
decimal points, :mod:`.grammar` the expressions and statements written with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bank import SymbolBank

__all__ = ["Box", "Hand"]


@dataclass
class Box:
    """Laid-out symbols with their extent and the row's middle line."""

    items: list[tuple[str, list[np.ndarray]]]
    x0: float
    y0: float
    x1: float
    y1: float
    axis: float

    def moved(self, dx: float, dy: float) -> Box:
        d = np.array([dx, dy])
        return Box(
            [(lab, [s + d for s in st]) for lab, st in self.items],
            self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy, self.axis + dy,
        )  # fmt: skip

    def scaled(self, sx: float, sy: float) -> Box:
        """Stretched about the origin (a glyph's box starts there)."""
        return Box(
            [(lab, [s * (sx, sy) for s in st]) for lab, st in self.items],
            self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy, self.axis * sy,
        )  # fmt: skip

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


class Hand:
    """One imaginary writer's habits of spacing and size, and the line they write on.

    The habits are drawn from *rng* once, here, in a fixed order: the same seed
    gives the same writer (and the shards' names rely on it).
    """

    def __init__(self, bank: SymbolBank, rng: np.random.Generator) -> None:
        self.bank, self.rng = bank, rng
        # One writer in four is cramped: the line's symbols touch or overlap.
        cramped = rng.random() < 0.25
        self.gap = float(rng.uniform(-0.12, 0.03) if cramped else rng.uniform(-0.08, 0.35))
        self.size = float(rng.uniform(0.9, 1.1))
        #: How often an operator or relation touches both its neighbours.
        self.touch = float(rng.uniform(0.1, 0.4))

    def space(self) -> float:
        return self.gap + float(self.rng.normal(0, 0.08))

    def tight(self) -> float:
        """A gap that makes two neighbours' ink meet: their boxes overlap a little."""
        return -float(self.rng.uniform(0.0, 0.12))

    def row(self, parts: list[Box], gaps: list[float | None] | None = None) -> Box:
        """*parts* left to right on one middle line.

        ``gaps[i]``, when given and not ``None``, is the space before part *i*
        instead of the writer's usual one.
        """
        items: list[tuple[str, list[np.ndarray]]] = []
        x = 0.0
        x0, y0, x1, y1 = 0.0, np.inf, 0.0, -np.inf
        for i, part in enumerate(parts):
            if i:
                gap = gaps[i] if gaps is not None else None
                x += self.space() if gap is None else gap
            moved = part.moved(x - part.x0, -part.axis)
            items.extend(moved.items)
            # A thin part after a negative gap may end left of its neighbour's ink.
            x0, x1 = min(x0, moved.x0), max(x1, moved.x1)
            y0, y1 = min(y0, moved.y0), max(y1, moved.y1)
            x = moved.x1
        return Box(items, x0, float(y0), x1, float(y1), 0.0)

    def link(self, parts: list[Box], gaps: list[float | None], op: Box, right: Box) -> None:
        """Append *op* and *right*; at the writer's ``touch`` rate *op* meets both."""
        joined = self.rng.random() < self.touch
        parts += [op, right]
        gaps += [self.tight(), self.tight()] if joined else [None, None]
