"""Synthetic expressions composed from the train writers' own handwritten symbols.

CROHME holds few expressions with long numbers, touching digits, ``÷``, ``/``,
decimal points or comparisons. This module writes more: a random expression
(numbers, operators, powers, fractions, roots, brackets, comparisons) is laid
out from isolated symbols taken from the training writers' expressions, with
the spacing of one imaginary writer: gaps that may be negative (digits that
touch or overlap), exponents close to their base, a root stretched over its
radicand, a fraction bar over the wider of its two rows.

Version 2 adds cramped writers, whose symbols touch all along the line, and
operators or relations that touch both neighbours (``3+2`` written as one
piece of ink, ``=`` run into the digit after it): the shapes the first
detector read as one symbol.

Units are the expression's typical symbol size (about 1 for a digit), as the
bank stores each symbol relative to its own expression's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...detect.classes import COMPARISONS, OTHER, detector_class
from ...errors import InkMLError
from ...inkml import read_inkml
from ...render import reference_size
from .scenes import Scene

__all__ = ["COMPOSE_VERSION", "SymbolBank", "compose_scene"]

#: Bumped whenever the same seed composes different expressions (names the shards).
COMPOSE_VERSION = 2

_DIGITS = tuple("0123456789")
_OPS = ("+", "-", "\\times", "\\div", "/")
#: Classes that are tall by nature.
_TALL = ("(", ")", "\\sqrt", "/", OTHER)
#: Bank entries kept per class (enough variety, bounded memory).
_PER_CLASS = 4000


@dataclass
class SymbolBank:
    """Handwritten symbols by class: strokes with their box's top-left at 0, in size units."""

    glyphs: dict[str, list[list[np.ndarray]]] = field(default_factory=dict)

    @classmethod
    def from_inkml(cls, files: Iterable[str | Path], seed: int = 0) -> SymbolBank:
        bank = cls()
        for path in files:
            try:
                ink = read_inkml(path)
            except InkMLError:
                continue
            if not ink.symbols:
                continue
            unit = reference_size(ink)
            for symbol in ink.symbols:
                label = detector_class(symbol.label)
                strokes = ink.symbol_strokes(symbol)
                pts = np.concatenate(strokes)
                origin = pts.min(axis=0)
                bank.glyphs.setdefault(label, []).append([(s - origin) / unit for s in strokes])
        rng = np.random.default_rng(seed)
        for label, items in bank.glyphs.items():
            if len(items) > _PER_CLASS:
                keep = rng.choice(len(items), _PER_CLASS, replace=False)
                bank.glyphs[label] = [items[i] for i in sorted(keep)]
        return bank


@dataclass
class _Box:
    """Laid-out symbols with their extent and the row's middle line."""

    items: list[tuple[str, list[np.ndarray]]]
    x0: float
    y0: float
    x1: float
    y1: float
    axis: float

    def moved(self, dx: float, dy: float) -> _Box:
        d = np.array([dx, dy])
        return _Box(
            [(lab, [s + d for s in st]) for lab, st in self.items],
            self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy, self.axis + dy,
        )  # fmt: skip

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


class _Writer:
    """One imaginary writer: a bank, a random generator and habits of spacing and size."""

    def __init__(self, bank: SymbolBank, rng: np.random.Generator) -> None:
        self.bank, self.rng = bank, rng
        # One writer in four is cramped: the line's symbols touch or overlap.
        cramped = rng.random() < 0.25
        self.gap = float(rng.uniform(-0.12, 0.03) if cramped else rng.uniform(-0.08, 0.35))
        self.size = float(rng.uniform(0.9, 1.1))
        #: How often an operator or relation touches both its neighbours.
        self.touch = float(rng.uniform(0.1, 0.4))

    def glyph(self, label: str, w: float | None = None, h: float | None = None) -> _Box:
        """One handwritten *label*, at the writer's size or stretched to *w* × *h*."""
        choices = self.bank.glyphs.get(label) or self.bank.glyphs["1"]
        for _ in range(8):
            strokes = choices[int(self.rng.integers(len(choices)))]
            pts = np.concatenate(strokes)
            # A symbol far larger than its expression's typical one (a big bracket, a
            # badly segmented group) looks wrong anywhere else: draw another.
            if w is not None or h is not None or label in _TALL or pts.max() <= 1.8:
                break
        gw, gh = max(float(pts[:, 0].max()), 1e-3), max(float(pts[:, 1].max()), 1e-3)
        f = self.size * float(np.exp(self.rng.normal(0, 0.08)))
        sx = (w / gw) if w is not None else f
        sy = (h / gh) if h is not None else f
        scaled = [s * (sx, sy) for s in strokes]
        bw, bh = gw * sx, gh * sy
        if label == ".":
            # A point sits on the line's foot, not its middle.
            axis = bh - 0.45 * self.size
        elif label in ("-", "=", "+", "\\times", "\\div") or label in COMPARISONS:
            axis = bh / 2 + float(self.rng.normal(0, 0.05))
        else:
            axis = bh / 2 + float(self.rng.normal(0, 0.04))
        return _Box([(label, scaled)], 0.0, 0.0, bw, bh, axis)

    def space(self) -> float:
        return self.gap + float(self.rng.normal(0, 0.08))

    def tight(self) -> float:
        """A gap that makes two neighbours' ink meet: their boxes overlap a little."""
        return -float(self.rng.uniform(0.0, 0.12))

    def row(self, parts: list[_Box], gaps: list[float | None] | None = None) -> _Box:
        """*parts* left to right on one middle line.

        ``gaps[i]``, when given and not ``None``, is the space before part *i*
        instead of the writer's usual one.
        """
        items: list[tuple[str, list[np.ndarray]]] = []
        x = 0.0
        y0, y1 = np.inf, -np.inf
        for i, part in enumerate(parts):
            if i:
                gap = gaps[i] if gaps is not None else None
                x += self.space() if gap is None else gap
            moved = part.moved(x - part.x0, -part.axis)
            items.extend(moved.items)
            y0, y1 = min(y0, moved.y0), max(y1, moved.y1)
            x = moved.x1
        return _Box(items, 0.0, float(y0), x, float(y1), 0.0)

    # ------------------------------------------------------------------ grammar

    def number(self, longest: int = 7) -> _Box:
        n = min(longest, int(self.rng.choice([1, 1, 2, 2, 3, 4, 5, 7])))
        labels = [str(int(self.rng.integers(10))) for _ in range(n)]
        if n > 1 and self.rng.random() < 0.2:
            labels.insert(int(self.rng.integers(1, n)), ".")
        # Digits sit close, but a digit never hides most of the one before it.
        gap, self.gap = self.gap, max(-0.15, self.gap - float(self.rng.uniform(0, 0.15)))
        out = self.row([self.glyph(label) for label in labels])
        self.gap = gap
        return out

    def atom(self, depth: int) -> _Box:
        r = self.rng.random()
        if depth >= 2 or r < 0.45:
            return self.number()
        if r < 0.57:
            return (
                self.glyph("x")
                if self.rng.random() < 0.7
                else self.row([self.number(), self.glyph("x")])
            )
        if r < 0.67:
            inner = self.expr(depth + 1)
            lo, hi = self.glyph("("), self.glyph(")")
            if inner.h > 1.4 * lo.h:
                lo, hi = (
                    self.glyph("(", lo.w, inner.h * 1.05),
                    self.glyph(")", hi.w, inner.h * 1.05),
                )
            return self.row([lo, inner, hi])
        if r < 0.8:
            return self.power(depth)
        if r < 0.9:
            return self.fraction(depth)
        return self.root(depth)

    def power(self, depth: int) -> _Box:
        base = self.glyph("x") if self.rng.random() < 0.5 else self.atom(2)
        saved = self.size
        self.size *= float(self.rng.uniform(0.5, 0.75))
        exp = self.number(2) if self.rng.random() < 0.8 else self.glyph("x")
        self.size = saved
        dx = base.x1 + float(self.rng.uniform(-0.1, 0.2))
        dy = base.y0 + float(self.rng.uniform(0.1, 0.45)) * base.h - exp.y1
        exp = exp.moved(dx - exp.x0, dy)
        return _Box(
            base.items + exp.items, base.x0, min(base.y0, exp.y0), max(base.x1, exp.x1),
            max(base.y1, exp.y1), base.axis,
        )  # fmt: skip

    def fraction(self, depth: int) -> _Box:
        top, bottom = self.expr(depth + 1, short=True), self.expr(depth + 1, short=True)
        width = max(top.w, bottom.w) + float(self.rng.uniform(0.1, 0.5))
        bar = self.glyph("-", width, max(0.03, float(self.rng.uniform(0.03, 0.12))))
        gap = float(self.rng.uniform(0.05, 0.3))
        top = top.moved((width - top.w) / 2 - top.x0, -gap - top.y1)
        bottom = bottom.moved((width - bottom.w) / 2 - bottom.x0, bar.h + gap - bottom.y0)
        items = bar.items + top.items + bottom.items
        return _Box(items, 0.0, top.y0, width, bottom.y1, bar.h / 2)

    def root(self, depth: int) -> _Box:
        inner = (
            self.atom(depth + 1) if self.rng.random() < 0.6 else self.expr(depth + 1, short=True)
        )
        lead = 0.3 * inner.h + float(self.rng.uniform(0.1, 0.4))
        sign = self.glyph(
            "\\sqrt", lead + inner.w + 0.15, inner.h + float(self.rng.uniform(0.15, 0.45))
        )
        inner = inner.moved(lead - inner.x0, sign.y1 - 0.05 - inner.y1)
        return _Box(sign.items + inner.items, 0.0, sign.y0, sign.x1, sign.y1, inner.axis)

    def expr(self, depth: int = 0, short: bool = False) -> _Box:
        n = int(self.rng.integers(1, 3 if short else 5))
        parts = [self.atom(depth)]
        gaps: list[float | None] = [None]
        for _ in range(n - 1):
            op = str(self.rng.choice(_OPS, p=[0.3, 0.3, 0.15, 0.12, 0.13]))
            self._joined(parts, gaps, self.glyph(op))
            if self.rng.random() < 0.08:
                parts.append(self.glyph("-"))  # several operators in a row: "× -3"
                gaps.append(None)
            parts.append(self.atom(depth))
            gaps.append(self.tight() if gaps[-1] is not None else None)
        return self.row(parts, gaps)

    def _joined(self, parts: list[_Box], gaps: list[float | None], op: _Box) -> None:
        """Append *op*; with the writer's ``touch`` chance it meets both neighbours.

        A non-``None`` gap before *op* tells the caller to make the next gap
        tight as well.
        """
        parts.append(op)
        gaps.append(self.tight() if self.rng.random() < self.touch else None)

    def statement(self) -> _Box:
        parts = [self.expr()]
        gaps: list[float | None] = [None]
        for _ in range(int(self.rng.choice([0, 1, 1, 1, 2]))):
            rel = "=" if self.rng.random() < 0.55 else str(self.rng.choice(COMPARISONS))
            self._joined(parts, gaps, self.glyph(rel))
            parts.append(self.expr())
            gaps.append(self.tight() if gaps[-1] is not None else None)
        if self.rng.random() < 0.1 and self.bank.glyphs.get(OTHER):
            parts.insert(0, self.glyph(OTHER))
            gaps.insert(1, None)
        return self.row(parts, gaps)


def compose_scene(bank: SymbolBank, rng: np.random.Generator) -> Scene:
    """One random expression written from *bank*, as a scene of strokes and symbols."""
    laid = _Writer(bank, rng).statement()
    strokes: list[np.ndarray] = []
    symbols: list[tuple[str, tuple[int, ...]]] = []
    for label, glyph in laid.items:
        first = len(strokes)
        strokes.extend(glyph)
        symbols.append((label, tuple(range(first, len(strokes)))))
    return Scene(tuple(strokes), tuple(symbols))
