"""A symbol's size relative to its expression: what the 32×32 box throws away.

:func:`mathocr.symbols.normalize_symbol` scales every symbol to fill the box,
so a ``(`` that spans the whole line and a ``1`` of digit height come out as
the same slightly curved stroke, and a decimal point looks like an ``o``. The
writer's proportions are still known before scaling: each symbol's height and
width against the expression's typical symbol. The classifier gets those two
numbers beside the image.

Training (symbols drawn from InkML strokes, in ink units) and recognition
(symbols detected in an image, in pixels) both call :func:`typical_size`
and :func:`symbol_geometry` here, so the two sides measure alike. Sizes are
pen-free: a symbol cut from an image has the pen's width taken off its box
(:func:`pen_free_sizes`), since training measures the strokes' centre lines.

>>> sizes = np.array([[10.0, 20.0], [12.0, 20.0], [4.0, 30.0]])
>>> typical_size(sizes)
20.0
>>> symbol_geometry(sizes, 20.0).round(2).tolist()
[[0.0, -0.69, 0.0], [0.0, -0.51, 0.0], [0.41, -1.61, 0.0]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "GEOMETRY_FEATURES",
    "MISSING",
    "mask_geometry",
    "missing_geometry",
    "pen_free_sizes",
    "symbol_geometry",
    "typical_mask_size",
    "typical_size",
]

#: Per symbol: log(height / typical), log(width / typical), 1 when unknown.
GEOMETRY_FEATURES = 3
#: The row a symbol gets when its context is unknown (a lone symbol).
MISSING = np.array([0.0, 0.0, 1.0], np.float32)

_LOG_RANGE = (-4.0, 3.0)


def typical_size(sizes: np.ndarray) -> float:
    """The height of a typical symbol of an expression, from (N, 2) ``(w, h)`` sizes.

    The median height over symbols that are neither flat (bars: a ``-`` is
    wide, not tall) nor tiny (dots), so neither kind drags it down. Falls
    back on the median of the larger sides when every symbol is flat or tiny.
    """
    sizes = np.asarray(sizes, np.float64).reshape(-1, 2)
    if len(sizes) == 0:
        return 1.0
    w, h = sizes[:, 0], sizes[:, 1]
    big = np.maximum(w, h)
    overall = float(np.median(big))
    keep = (h >= 0.25 * w) & (h >= 0.3 * overall)
    size = float(np.median(h[keep])) if keep.any() else overall
    return size if size > 0 else 1.0


def symbol_geometry(sizes: np.ndarray, reference: float) -> np.ndarray:
    """(N, 2) pen-free ``(w, h)`` sizes → (N, 3) float32 classifier side input."""
    sizes = np.asarray(sizes, np.float64).reshape(-1, 2)
    ref = max(float(reference), 1e-6)
    logs = np.log(np.maximum(sizes, 1e-3 * ref) / ref)
    out = np.zeros((len(sizes), GEOMETRY_FEATURES), np.float32)
    out[:, 0] = np.clip(logs[:, 1], *_LOG_RANGE)
    out[:, 1] = np.clip(logs[:, 0], *_LOG_RANGE)
    return out


def missing_geometry(n: int) -> np.ndarray:
    """(n, 3) rows that tell the classifier the context is unknown."""
    return np.tile(MISSING, (n, 1))


# --------------------------------------------------------------------------- masks from images


def pen_free_sizes(shapes: Iterable[tuple[int, int]], pen: float) -> np.ndarray:
    """(N, 2) ``(w, h)`` of boxes given as ``(h, w)``, less the pen's width."""
    return np.array(
        [[max(1.0, w - pen), max(1.0, h - pen)] for h, w in shapes], np.float64
    ).reshape(-1, 2)


def typical_mask_size(masks: Iterable[np.ndarray], pen: float) -> float:
    """The expression's typical pen-free symbol size, from its symbols' tight masks."""
    return typical_size(pen_free_sizes((m.shape for m in masks), pen))


def mask_geometry(masks: Sequence[np.ndarray], pen: float, reference: float) -> np.ndarray:
    """The classifier's side input for tight symbol *masks* in an expression of typical size *reference*.

    A mask cropped to its own ink spans the symbol's box, so its shape is the size.
    """
    return symbol_geometry(pen_free_sizes((m.shape for m in masks), pen), reference)
