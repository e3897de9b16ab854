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

Version 3 adds the shapes the detector still misread in unseen writers' plain
arithmetic. Nested brackets whose inner group starts or ends the outer one
(``((177 - 72) × (104 × 164))``), the two brackets close or touching and of
heights of their own, in about one expression in five. Decimal points where
CROHME writers put them: a dot of varying size on or a little above the line,
spaced from the digits or close to one of them (version 2 squeezed it into the
digits' own, often negative, gaps), and numbers led by ``0.``. Plain statements
(``a op b = c``, ``(a op b) op (c op d) = e``, with ``×``, ``÷`` and ``/``
more often), three in ten, half of them ending ``= <decimal>``. Both brackets
of a pair now share one height, at most two symbol sizes unless stretched over
a tall group, and a minus is at most 1.3 wide (a fraction bar is not a minus).
Continued roots (``\\sqrt{1 + \\sqrt{2 + \\sqrt{3 + \\sqrt{4}}}}``), two to four
deep, in one root in four.

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
COMPOSE_VERSION = 3

_DIGITS = tuple("0123456789")
_OPS = ("+", "-", "\\times", "\\div", "/")
#: How often each of _OPS joins two terms, in expressions and in plain arithmetic.
_EXPR_OPS = (0.3, 0.3, 0.15, 0.12, 0.13)
_PLAIN_OPS = (0.24, 0.18, 0.22, 0.18, 0.18)
#: The share of statements that are plain arithmetic.
_PLAIN = 0.3
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

    def scaled(self, sx: float, sy: float) -> _Box:
        """Stretched about the origin (a glyph's box starts there)."""
        return _Box(
            [(lab, [s * (sx, sy) for s in st]) for lab, st in self.items],
            self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy, self.axis * sy,
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

    def _pick(self, label: str, sized: bool) -> tuple[list[np.ndarray], float, float]:
        """A bank glyph of *label* (a ``1`` when the bank has none) and its width and height.

        Unless it is to be *sized* to a box, or is tall by nature, a symbol far
        larger than its expression's typical one (a big bracket, a badly
        segmented group, a fraction bar read as a minus) looks wrong anywhere
        else: another is drawn, up to eight times.
        """
        choices = self.bank.glyphs.get(label) or self.bank.glyphs["1"]
        for _ in range(8):
            strokes = choices[int(self.rng.integers(len(choices)))]
            pts = np.concatenate(strokes)
            limit = 1.3 if label == "-" else 1.8
            if sized or label in _TALL or pts.max() <= limit:
                break
        gw, gh = max(float(pts[:, 0].max()), 1e-3), max(float(pts[:, 1].max()), 1e-3)
        return strokes, gw, gh

    def glyph(self, label: str, w: float | None = None, h: float | None = None) -> _Box:
        """One handwritten *label*, at the writer's size or stretched to *w* × *h*."""
        strokes, gw, gh = self._pick(label, sized=w is not None or h is not None)
        f = self.size * float(np.exp(self.rng.normal(0, 0.08)))
        sx = (w / gw) if w is not None else f
        sy = (h / gh) if h is not None else f
        scaled = [s * (sx, sy) for s in strokes]
        bw, bh = gw * sx, gh * sy
        if label in ("-", "=", "+", "\\times", "\\div") or label in COMPARISONS:
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
        return _Box(items, x0, float(y0), x1, float(y1), 0.0)

    def link(self, parts: list[_Box], gaps: list[float | None], op: _Box, right: _Box) -> None:
        """Append *op* and *right*; at the writer's ``touch`` rate *op* meets both."""
        joined = self.rng.random() < self.touch
        parts += [op, right]
        gaps += [self.tight(), self.tight()] if joined else [None, None]

    # ------------------------------------------------------------------ grammar

    def digits(self, n: int, lead_zero: bool = True) -> list[str]:
        """*n* random digits; with ``lead_zero=False`` a long number does not start with 0."""
        out = [str(int(self.rng.integers(10))) for _ in range(n)]
        if not lead_zero and n > 1 and out[0] == "0":
            out[0] = str(int(self.rng.integers(1, 10)))
        return out

    def number(
        self, longest: int = 7, decimal: bool | None = None, length: int | None = None
    ) -> _Box:
        """Digits written close together, or a decimal number (``0.71``, ``11.15``).

        *decimal* asks for or forbids the point; by default one number in five
        that may be three symbols long has one. *length* sets a whole number's
        count of digits, then never led by a zero.
        """
        if decimal is None:
            decimal = longest >= 3 and self.rng.random() < 0.2
        if decimal:
            lead = self.rng.random() < 0.4
            whole = ["0"] if lead else self.digits(int(self.rng.choice([1, 1, 2, 3])), False)
            tail = self.digits(int(self.rng.choice([1, 2, 2, 2, 3])))
        else:
            n = length or min(longest, int(self.rng.choice([1, 1, 2, 2, 3, 4, 5, 7])))
            whole, tail = self.digits(n, lead_zero=length is None), []
        # Digits sit close, but a digit never hides most of the one before it.
        gap, self.gap = self.gap, max(-0.15, self.gap - float(self.rng.uniform(0, 0.15)))
        left = self.row([self.glyph(label) for label in whole])
        right = self.row([self.glyph(label) for label in tail]) if tail else None
        self.gap = gap
        if right is None:
            return left
        return self.row([left, self.point(left), right], [None, *self.point_gaps()])

    def point(self, left: _Box) -> _Box:
        """A decimal point on (or a little above) the foot of *left*'s last digit.

        Its size varies around the bank's (a dot is often a touch of the pen, far
        smaller than the digits); a stray large "dot" is drawn small.
        """
        dot = self.glyph(".")
        side = max(dot.w, dot.h)
        want = float(np.clip(side * np.exp(self.rng.normal(0, 0.35)), 0.015, 0.2 * self.size))
        dot = dot.scaled(want / side, want / side)
        foot = float(max(st[:, 1].max() for st in left.items[-1][1]))
        # Mostly on the line, at times lifted by up to a third of a digit.
        lift = float(
            self.rng.uniform(-0.04, 0.1) if self.rng.random() < 0.7 else self.rng.uniform(0.1, 0.32)
        )
        # row() puts the axis on the line's middle: the dot's foot lands on foot - lift.
        dot.axis = dot.h - (foot - lift * self.size)
        return dot

    def point_gaps(self) -> tuple[float, float]:
        """Spaces before and after a decimal point: close to either digit, or to neither."""
        r = self.rng.random()
        if r < 0.35:
            lo, hi = self.rng.uniform(0.0, 0.08), self.rng.uniform(0.1, 0.5)
        elif r < 0.6:
            lo, hi = self.rng.uniform(0.1, 0.45), self.rng.uniform(0.0, 0.08)
        else:
            lo, hi = self.rng.uniform(0.05, 0.45), self.rng.uniform(0.15, 0.6)
        return float(lo) * self.size, float(hi) * self.size

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
            return (
                self.nested(depth) if self.rng.random() < 0.22 else self.group(self.expr(depth + 1))
            )
        if r < 0.8:
            return self.power(depth)
        if r < 0.9:
            return self.fraction(depth)
        return self.root(depth)

    def group(self, inner: _Box) -> _Box:
        """*inner* in brackets, stretched over a tall *inner*.

        A bracket beside one of *inner*'s own (``((`` or ``))``) stands close to
        it, at times touching, and at a height of its own near the inner one's.
        """
        lo, hi = self.glyph("("), self.glyph(")")
        # One height for the pair: a bank bracket that held a fraction would tower
        # over plain digits, and a small "(" with a giant ")" looks like no writer.
        h = min(lo.h, 2.0 * self.size)
        if inner.h > 1.4 * h:
            h = inner.h * 1.05
        heights = [h, h * float(np.exp(self.rng.normal(0, 0.08)))]
        gaps: list[float | None] = [None, None, None]
        first = min(inner.items, key=lambda it: min(float(s[:, 0].min()) for s in it[1]))
        last = max(inner.items, key=lambda it: max(float(s[:, 0].max()) for s in it[1]))
        if first[0] == "(":
            heights[0] = _height(first[1]) * self.bracket_ratio()
            gaps[1] = self.bracket_gap()
        if last[0] == ")":
            heights[1] = _height(last[1]) * self.bracket_ratio()
            gaps[2] = self.bracket_gap()
        # Taller brackets grow a little wider too.
        lo = lo.scaled((heights[0] / lo.h) ** 0.3, heights[0] / lo.h)
        hi = hi.scaled((heights[1] / hi.h) ** 0.3, heights[1] / hi.h)
        return self.row([lo, inner, hi], gaps)

    def bracket_ratio(self) -> float:
        """An outer bracket's height over the inner one's (CROHME's ``((``: 0.8–1.4)."""
        return float(np.exp(self.rng.normal(0.06, 0.15)))

    def bracket_gap(self) -> float:
        """The space between two brackets side by side (CROHME's ``((``: -0.1 to 0.4)."""
        return float(
            self.rng.uniform(-0.1, 0.1) if self.rng.random() < 0.5 else self.rng.uniform(0.1, 0.35)
        )

    def nested(self, depth: int) -> _Box:
        """Brackets whose content starts or ends with a group: ``((a+b)×c)``, ``(a-(b+c))``."""
        inner = self.group(self.expr(2, short=True))
        r = self.rng.random()
        if r < 0.4:
            parts = [inner, self.atom(depth + 1)]
        elif r < 0.8:
            parts = [self.atom(depth + 1), inner]
        else:
            parts = [inner, self.group(self.expr(2, short=True))]
        return self.group(self.chain(parts))

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
            base.items + exp.items, min(base.x0, exp.x0), min(base.y0, exp.y0),
            max(base.x1, exp.x1), max(base.y1, exp.y1), base.axis,
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
        if depth < 2 and self.rng.random() < 0.25:
            return self.continued_root(int(self.rng.integers(2, 5)))
        inner = (
            self.atom(depth + 1) if self.rng.random() < 0.6 else self.expr(depth + 1, short=True)
        )
        return self.radical(inner)

    def continued_root(self, levels: int) -> _Box:
        """``\\sqrt{1 + \\sqrt{2 + \\sqrt{3}}}``: *levels* roots, each over a term and the next.

        CROHME writers copy such continued roots, and the detector missed the
        inner ones: each inner root's long stroke lies under the outer one's and
        ends where it ends, so the two roots' centres are close.
        """
        inner = self.radical(self.number(2, decimal=False))
        for _ in range(levels - 1):
            inner = self.radical(self.chain([self.number(2, decimal=False), inner]))
        return inner

    def radical(self, inner: _Box) -> _Box:
        """A root sign over *inner*: its tick at the writer's size, its bar drawn out.

        A writer draws the tick as always and pulls the bar over the radicand; a
        glyph stretched whole to the radicand's width would have a tick as long as
        the expression, which no writer draws.
        """
        h = inner.h + float(self.rng.uniform(0.15, 0.45))
        strokes, gw, gh = self._pick("\\sqrt", sized=True)
        pts = np.concatenate(strokes)
        # The tick ends where the bar starts: the leftmost point near the glyph's top
        # (a bank root was drawn over its own radicand, so its bar may rise or fall).
        natural_tick = float(pts[pts[:, 1] <= pts[:, 1].min() + 0.15 * gh, 0].min())
        # A glyph whose top starts at its left edge, or a bar rising all the way, has
        # no readable corner: take a tick of an ordinary share of the glyph.
        natural_tick = min(max(natural_tick, 0.1 * gw), 0.6 * gw)
        # Tall roots keep a tick about as wide as a short one's; short ones scale whole.
        f = h / gh
        tick = natural_tick * min(f, self.size * 2.2 / gh)
        lead = tick + float(self.rng.uniform(0.05, 0.25))
        width = lead + inner.w + float(self.rng.uniform(0.05, 0.25))

        def x_of(x: np.ndarray) -> np.ndarray:
            # Piecewise linear: the tick to its own width, the rest out to the end.
            inside = x * (tick / max(natural_tick, 1e-3))
            beyond = tick + (x - natural_tick) * (width - tick) / max(gw - natural_tick, 1e-3)
            return np.where(x <= natural_tick, inside, beyond)

        drawn = [np.stack([x_of(st[:, 0]), st[:, 1] * f], axis=1) for st in strokes]
        sign = _Box([("\\sqrt", drawn)], 0.0, 0.0, width, h, h / 2)
        inner = inner.moved(lead - inner.x0, sign.y1 - 0.05 - inner.y1)
        return _Box(sign.items + inner.items, 0.0, sign.y0, sign.x1, sign.y1, inner.axis)

    def chain(self, terms: list[_Box], plain: bool = False) -> _Box:
        """*terms* joined by operators.

        *plain* arithmetic favours ``×``, ``÷`` and ``/`` and never writes two
        operators in a row.
        """
        parts = [terms[0]]
        gaps: list[float | None] = [None]
        for term in terms[1:]:
            op = self.glyph(str(self.rng.choice(_OPS, p=_PLAIN_OPS if plain else _EXPR_OPS)))
            if not plain and self.rng.random() < 0.08:
                op = self.row([op, self.glyph("-")])  # several operators in a row: "× -3"
            self.link(parts, gaps, op, term)
        return self.row(parts, gaps)

    def expr(self, depth: int = 0, short: bool = False) -> _Box:
        n = int(self.rng.integers(1, 3 if short else 5))
        return self.chain([self.atom(depth) for _ in range(n)])

    def operand(self) -> _Box:
        """A number of plain arithmetic: mostly two or three digits, at times a decimal."""
        if self.rng.random() < 0.1:
            return self.number(decimal=True)
        return self.number(length=int(self.rng.choice([1, 2, 2, 3, 3, 3])), decimal=False)

    def arithmetic(self) -> _Box:
        """A plain statement, CROHME's commonest: ``a op b = c``, ``(a op b) op (c op d) = e``.

        A left side that starts or ends with a group is at times bracketed whole
        (``((177 - 72) × (104 × 164))``). The result is often a decimal (``= 0.71``).
        """

        def pair() -> _Box:
            return self.group(self.chain([self.operand(), self.operand()], plain=True))

        shape = int(self.rng.choice(5, p=[0.35, 0.15, 0.15, 0.12, 0.23]))
        if shape == 0:
            terms = [self.operand(), self.operand()]
        elif shape == 1:
            terms = [self.operand(), self.operand(), self.operand()]
        elif shape == 2:
            terms = [pair(), self.operand()]
        elif shape == 3:
            terms = [self.operand(), pair()]
        else:
            terms = [pair(), pair()]
        lhs = self.chain(terms, plain=True)
        if shape >= 2 and self.rng.random() < 0.5:
            lhs = self.group(lhs)
        result = self.number(
            decimal=bool(self.rng.random() < 0.55),
            length=int(self.rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6])),
        )
        if self.rng.random() < 0.12:
            result = self.row([self.glyph("-"), result])
        parts = [lhs]
        gaps: list[float | None] = [None]
        self.link(parts, gaps, self.glyph("="), result)
        return self.row(parts, gaps)

    def statement(self) -> _Box:
        """Plain arithmetic, or expressions joined by ``=`` or comparisons."""
        if self.rng.random() < _PLAIN:
            return self.arithmetic()
        parts = [self.expr()]
        gaps: list[float | None] = [None]
        for _ in range(int(self.rng.choice([0, 1, 1, 1, 2]))):
            rel = "=" if self.rng.random() < 0.55 else str(self.rng.choice(COMPARISONS))
            self.link(parts, gaps, self.glyph(rel), self.expr())
        if self.rng.random() < 0.1 and self.bank.glyphs.get(OTHER):
            parts.insert(0, self.glyph(OTHER))
            gaps.insert(1, None)
        return self.row(parts, gaps)


def _height(strokes: list[np.ndarray]) -> float:
    """The height of one symbol's ink."""
    pts = np.concatenate(strokes)
    return max(float(np.ptp(pts[:, 1])), 1e-3)


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
