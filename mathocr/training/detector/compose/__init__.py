"""Synthetic expressions composed from the train writers' own handwritten symbols.

CROHME holds few expressions with long numbers, touching digits, ``÷``, ``/``,
decimal points or comparisons. This package writes more: a random expression
(numbers, operators, powers, fractions, roots, brackets, comparisons) is laid
out from isolated symbols taken from the training writers' expressions, with
the spacing of one imaginary writer: gaps that may be negative (digits that
touch or overlap), exponents close to their base, a root stretched over its
radicand, a fraction bar over the wider of its two rows.

Where things are, from the bottom up (each layer of the writer extends the one
before it):

- :mod:`.bank`: :class:`SymbolBank`, the symbols read once from CROHME;
- :mod:`.layout`: :class:`~.layout.Box` of laid-out ink, and :class:`~.layout.Hand`,
  the writer's habits of size and spacing and its line;
- :mod:`.glyphs`: drawing one symbol from the bank, and a root sign over a radicand;
- :mod:`.numbers`: whole numbers and decimal points;
- :mod:`.grammar`: :class:`Writer`, what is written (atoms, brackets, powers,
  fractions, roots, plain arithmetic, statements) and how often;
- here: :func:`compose_scene`, one statement as a scene of strokes and symbols,
  and :data:`COMPOSE_VERSION`.

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

import numpy as np

from ..scenes import Scene
from .bank import SymbolBank
from .grammar import Writer

__all__ = ["COMPOSE_VERSION", "SymbolBank", "Writer", "compose_scene"]

#: Bumped whenever the same seed composes different expressions (names the shards).
COMPOSE_VERSION = 3


def compose_scene(bank: SymbolBank, rng: np.random.Generator) -> Scene:
    """One random expression written from *bank*, as a scene of strokes and symbols."""
    laid = Writer(bank, rng).statement()
    strokes: list[np.ndarray] = []
    symbols: list[tuple[str, tuple[int, ...]]] = []
    for label, glyph in laid.items:
        first = len(strokes)
        strokes.extend(glyph)
        symbols.append((label, tuple(range(first, len(strokes)))))
    return Scene(tuple(strokes), tuple(symbols))
