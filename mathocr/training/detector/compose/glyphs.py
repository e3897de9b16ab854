"""Drawing one handwritten symbol from the bank: a glyph at the writer's size, or a root sign.

Everything a composed expression shows is a bank glyph drawn here, so this is
where a symbol's look is decided: which bank glyph is taken (a symbol far larger
than its expression's typical one is drawn again), how much its size wavers,
where its middle line sits, and how a root sign is drawn over a radicand of any
length (its tick at the writer's size, only its bar pulled out). Where the
symbols then go is :mod:`.layout`'s and the grammar's.
"""

from __future__ import annotations

import numpy as np

from ....detect.classes import COMPARISONS, OTHER
from .layout import Box, Hand

__all__ = ["Pen"]

#: Classes that are tall by nature.
_TALL = ("(", ")", "\\sqrt", "/", OTHER)


class Pen(Hand):
    """A writer who draws single symbols from the bank, at their size or stretched to a box."""

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

    def glyph(self, label: str, w: float | None = None, h: float | None = None) -> Box:
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
        return Box([(label, scaled)], 0.0, 0.0, bw, bh, axis)

    def radical(self, inner: Box) -> Box:
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
        sign = Box([("\\sqrt", drawn)], 0.0, 0.0, width, h, h / 2)
        inner = inner.moved(lead - inner.x0, sign.y1 - 0.05 - inner.y1)
        return Box(sign.items + inner.items, 0.0, sign.y0, sign.x1, sign.y1, inner.axis)
