"""The bank of handwritten symbols that composed expressions are written with.

Composing reads CROHME once, up front, and then draws thousands of expressions
from memory: this module is that one read. It cuts every symbol out of the
training writers' expressions, moves its box to the origin and scales it by its
own expression's typical symbol size, so that symbols of writers who wrote large
and small sit side by side at one size. Which glyph is drawn, and how, is
:mod:`.glyphs`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ....data.inkml import read_inkml
from ....data.render import reference_size
from ....detect.classes import detector_class
from ....errors import InkMLError

__all__ = ["SymbolBank"]

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
