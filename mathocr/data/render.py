"""Drawing pen strokes as images, the way a canvas or a pen on paper would.

Used to build the training symbols and the benchmark's expression images from
CROHME strokes, and by the tests to draw their own handwriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .inkml import InkExpression

__all__ = ["stroke_box", "stroke_span", "reference_size", "draw_strokes", "render_expression"]


def stroke_box(strokes: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` of the box around all points of *strokes*, in their own units."""
    pts = np.concatenate(strokes)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def stroke_span(strokes: Sequence[np.ndarray]) -> tuple[float, float]:
    """``(w, h)`` of the box around all points of *strokes*, in their own units."""
    pts = np.concatenate(strokes)
    w, h = np.ptp(pts, axis=0)
    return float(w), float(h)


def reference_size(ink: InkExpression) -> float:
    """A typical symbol size of the expression, in its own units.

    The median over symbols of the larger side of each symbol's box; flat or
    tiny symbols (``-``, ``.``) would drag a plain height down. Falls back on
    the expression's height when the file has no symbol groups.
    """
    sizes = [max(stroke_span(ink.symbol_strokes(symbol))) for symbol in ink.symbols]
    if sizes:
        size = float(np.median(sizes))
    else:
        pts = np.concatenate(list(ink.traces.values()))
        size = float(np.ptp(pts[:, 1]))
    if size <= 0:
        pts = np.concatenate(list(ink.traces.values()))
        size = float(max(np.ptp(pts, axis=0))) or 1.0
    return size


def draw_strokes(
    strokes: Sequence[np.ndarray],
    *,
    scale: float,
    pen: int,
    padding: int = 10,
    origin: tuple[float, float] | None = None,
    canvas: tuple[int, int] | None = None,
    antialias: bool = False,
) -> np.ndarray:
    """Draw strokes dark-on-white into a uint8 grayscale image.

    Parameters
    ----------
    strokes : sequence of (K, 2) ndarray
        Points in source units.
    scale : float
        Pixels per source unit.
    pen : int
        Pen width in pixels (≥ 1).
    padding : int
        White border around the ink (ignored when *canvas* is given).
    origin : (x, y), optional
        Source point mapped to pixel (padding, padding); defaults to the
        strokes' top-left corner.
    canvas : (height, width), optional
        Fixed output size instead of fitting the ink.
    antialias : bool
        Smooth edges (a browser canvas does); off gives a clean binary drawing.
    """
    if pen < 1:
        raise ValueError(f"pen must be ≥ 1, got {pen}")
    if not strokes:
        raise ValueError("no strokes to draw")
    pts = np.concatenate(strokes)
    x0, y0 = origin if origin is not None else (pts[:, 0].min(), pts[:, 1].min())
    if canvas is None:
        w = int(np.ceil((pts[:, 0].max() - x0) * scale)) + 2 * padding + pen
        h = int(np.ceil((pts[:, 1].max() - y0) * scale)) + 2 * padding + pen
    else:
        h, w = canvas
    image = np.full((max(h, 1), max(w, 1)), 255, np.uint8)
    shift = 4  # sub-pixel precision for cv2 drawing
    line = cv2.LINE_AA if antialias else cv2.LINE_8
    for stroke in strokes:
        xy = (stroke - (x0, y0)) * scale + padding + pen / 2
        fixed = np.round(xy * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
        if len(fixed) == 1 or np.all(fixed == fixed[0]):
            center = (int(fixed[0, 0, 0]), int(fixed[0, 0, 1]))
            cv2.circle(image, center, max(1, pen // 2) << shift, 0, -1, line, shift)
        else:
            cv2.polylines(image, [fixed], False, 0, pen, line, shift)
    return image


def render_expression(
    ink: InkExpression,
    *,
    symbol_px: float = 60.0,
    pen: int = 4,
    padding: int = 20,
    antialias: bool = True,
) -> np.ndarray:
    """Draw a whole expression so that a typical symbol is *symbol_px* tall."""
    scale = symbol_px / reference_size(ink)
    return draw_strokes(
        list(ink.traces.values()), scale=scale, pen=pen, padding=padding, antialias=antialias
    )
