"""CROHME InkML → placed symbols: a perfect segmentation to test the layout with.

Each InkML symbol lists its strokes, so the bounding box of those strokes is
what an ideal segmenter would report. Feeding these boxes (with the true
labels) to :func:`mathocr.meaning.expression.interpret` measures layout and meaning
without any image, classifier or segmentation error in the way.

>>> from mathocr.data.inkml import InkExpression, InkSymbol
>>> import numpy as np
>>> e = InkExpression("t", "1+1", None,
...     {"a": np.array([[0, 0], [0, 10.0]]), "b": np.array([[5, 5], [9, 5.0]])},
...     (InkSymbol("1", ("a",)), InkSymbol("-", ("b",))))
>>> [s.label for s in placed_symbols(e)]
['1', '-']
"""

from __future__ import annotations

import statistics

from ..layout.build import PlacedSymbol
from ..symbols import crohme_to_class
from .inkml import InkExpression
from .render import stroke_box

__all__ = ["placed_symbols", "COMPARISONS"]

#: CROHME's spellings of the comparison signs → the labels the layout reads.
COMPARISONS = {
    "<": "<",
    "\\lt": "<",
    ">": ">",
    "\\gt": ">",
    "\\leq": "\\le",
    "\\le": "\\le",
    "\\geq": "\\ge",
    "\\ge": "\\ge",
    "\\neq": "\\ne",
    "\\ne": "\\ne",
}


def placed_symbols(
    expr: InkExpression, *, symbol_px: float = 40.0, pen_pad: int = 2, comparisons: bool = False
) -> list[PlacedSymbol] | None:
    """The expression's symbols as pixel boxes, or None if a label is not ours.

    Collections use different units, so coordinates are scaled until the median
    symbol (bars and dots aside) is *symbol_px* tall; *pen_pad* pixels are added
    around each box, as a drawn pen's width would. With *comparisons*, the
    comparison signs count as ours too (:data:`COMPARISONS`): the classifier
    has no such class, but a detector may give them, and the layout reads them.
    """
    labels = [
        COMPARISONS.get(s.label.strip())
        if comparisons and s.label.strip() in COMPARISONS
        else crohme_to_class(s.label)
        for s in expr.symbols
    ]
    if not labels or any(lab is None for lab in labels):
        return None
    raw = []
    for sym in expr.symbols:
        raw.append(stroke_box(expr.symbol_strokes(sym)))
    tall = [b[3] - b[1] for b, lab in zip(raw, labels, strict=True) if lab not in ("-", ".", "=")]
    ref = statistics.median(tall) if tall else max(b[3] - b[1] for b in raw)
    scale = symbol_px / max(ref, 1e-9)
    left = min(b[0] for b in raw)
    top = min(b[1] for b in raw)
    out = []
    for (x0, y0, x1, y1), lab in zip(raw, labels, strict=True):
        box = (
            round((x0 - left) * scale) + 10 - pen_pad,
            round((y0 - top) * scale) + 10 - pen_pad,
            round((x1 - x0) * scale) + 2 * pen_pad,
            round((y1 - y0) * scale) + 2 * pen_pad,
        )
        out.append(PlacedSymbol(str(lab), box))
    return out
