"""What a composed expression says: the grammar of atoms, brackets, powers, fractions, roots.

This is where the mix of composed expressions is decided, and so where most
changes to what the detector sees go. A statement is plain arithmetic (three in
ten: ``a op b = c``, ``(a op b) op (c op d) = e``, often ending in a decimal),
or expressions joined by ``=`` or comparisons. An expression is a chain of
atoms: numbers (:mod:`.numbers`), ``x``, bracketed groups (nested ones whose
inner group starts or ends the outer one), powers, fractions and roots
(continued ones two to four deep). How often each is written is set by the
draws below; a change that makes the same seed write anything else must bump
``COMPOSE_VERSION`` in :mod:`mathocr.training.detector.compose`.
"""

from __future__ import annotations

import numpy as np

from ....detect.classes import COMPARISONS, OTHER
from .layout import Box
from .numbers import NumberPen

__all__ = ["Writer"]

_OPS = ("+", "-", "\\times", "\\div", "/")
#: How often each of _OPS joins two terms, in expressions and in plain arithmetic.
_EXPR_OPS = (0.3, 0.3, 0.15, 0.12, 0.13)
_PLAIN_OPS = (0.24, 0.18, 0.22, 0.18, 0.18)
#: The share of statements that are plain arithmetic.
_PLAIN = 0.3


class Writer(NumberPen):
    """One imaginary writer composing a random statement: :meth:`statement` writes one."""

    def atom(self, depth: int) -> Box:
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

    # ----------------------------------------------------------------- brackets

    def group(self, inner: Box) -> Box:
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

    def nested(self, depth: int) -> Box:
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

    # ------------------------------------------------- powers, fractions, roots

    def power(self, depth: int) -> Box:
        base = self.glyph("x") if self.rng.random() < 0.5 else self.atom(2)
        saved = self.size
        self.size *= float(self.rng.uniform(0.5, 0.75))
        exp = self.number(2) if self.rng.random() < 0.8 else self.glyph("x")
        self.size = saved
        dx = base.x1 + float(self.rng.uniform(-0.1, 0.2))
        dy = base.y0 + float(self.rng.uniform(0.1, 0.45)) * base.h - exp.y1
        exp = exp.moved(dx - exp.x0, dy)
        return Box(
            base.items + exp.items, min(base.x0, exp.x0), min(base.y0, exp.y0),
            max(base.x1, exp.x1), max(base.y1, exp.y1), base.axis,
        )  # fmt: skip

    def fraction(self, depth: int) -> Box:
        top, bottom = self.expr(depth + 1, short=True), self.expr(depth + 1, short=True)
        width = max(top.w, bottom.w) + float(self.rng.uniform(0.1, 0.5))
        bar = self.glyph("-", width, max(0.03, float(self.rng.uniform(0.03, 0.12))))
        gap = float(self.rng.uniform(0.05, 0.3))
        top = top.moved((width - top.w) / 2 - top.x0, -gap - top.y1)
        bottom = bottom.moved((width - bottom.w) / 2 - bottom.x0, bar.h + gap - bottom.y0)
        items = bar.items + top.items + bottom.items
        return Box(items, 0.0, top.y0, width, bottom.y1, bar.h / 2)

    def root(self, depth: int) -> Box:
        if depth < 2 and self.rng.random() < 0.25:
            return self.continued_root(int(self.rng.integers(2, 5)))
        inner = (
            self.atom(depth + 1) if self.rng.random() < 0.6 else self.expr(depth + 1, short=True)
        )
        return self.radical(inner)

    def continued_root(self, levels: int) -> Box:
        """``\\sqrt{1 + \\sqrt{2 + \\sqrt{3}}}``: *levels* roots, each over a term and the next.

        CROHME writers copy such continued roots, and the detector missed the
        inner ones: each inner root's long stroke lies under the outer one's and
        ends where it ends, so the two roots' centres are close.
        """
        inner = self.radical(self.number(2, decimal=False))
        for _ in range(levels - 1):
            inner = self.radical(self.chain([self.number(2, decimal=False), inner]))
        return inner

    # ------------------------------------------------ expressions and statements

    def chain(self, terms: list[Box], plain: bool = False) -> Box:
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

    def expr(self, depth: int = 0, short: bool = False) -> Box:
        n = int(self.rng.integers(1, 3 if short else 5))
        return self.chain([self.atom(depth) for _ in range(n)])

    def operand(self) -> Box:
        """A number of plain arithmetic: mostly two or three digits, at times a decimal."""
        if self.rng.random() < 0.1:
            return self.number(decimal=True)
        return self.number(length=int(self.rng.choice([1, 2, 2, 3, 3, 3])), decimal=False)

    def arithmetic(self) -> Box:
        """A plain statement, CROHME's commonest: ``a op b = c``, ``(a op b) op (c op d) = e``.

        A left side that starts or ends with a group is at times bracketed whole
        (``((177 - 72) × (104 × 164))``). The result is often a decimal (``= 0.71``).
        """

        def pair() -> Box:
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

    def statement(self) -> Box:
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
