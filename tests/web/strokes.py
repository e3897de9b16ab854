"""Hand-made pen strokes for a few characters, so tests can write expressions.

The same strokes are rendered into PNG files for the API tests and replayed
as pointer events on the page's canvas by the browser tests. Each glyph is a
list of strokes in a box 1 unit tall (x right, y down); arcs are sampled
densely so that a pen drawing them looks like handwriting, not a polygon.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["GLYPHS", "expression_strokes", "page_strokes", "render_png", "render_page_png"]

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points on an ellipse from angle *start* to *end* (degrees, clockwise on screen)."""
    steps = max(8, int(abs(end - start) / 8))
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * i / steps)),
            cy + ry * math.sin(math.radians(start + (end - start) * i / steps)),
        )
        for i in range(steps + 1)
    ]


def _line(*points: tuple[float, float], steps: int = 12) -> Stroke:
    out: Stroke = []
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out.extend((x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(steps))
    out.append(points[-1])
    return out


# width of each glyph's box, and its strokes
GLYPHS: dict[str, tuple[float, list[Stroke]]] = {
    "0": (0.6, [_arc(0.3, 0.5, 0.28, 0.48, -90, 270)]),
    "1": (0.35, [_line((0.05, 0.18), (0.25, 0.0), (0.25, 1.0))]),
    "2": (
        0.6,
        [_arc(0.3, 0.28, 0.27, 0.26, 200, 360) + _line((0.56, 0.32), (0.02, 1.0), (0.62, 1.0))],
    ),
    "3": (
        0.6,
        [_arc(0.28, 0.25, 0.26, 0.24, 210, 450) + _arc(0.28, 0.74, 0.3, 0.26, -90, 150)],
    ),
    "4": (0.65, [_line((0.45, 0.0), (0.02, 0.65), (0.64, 0.65)), _line((0.48, 0.3), (0.48, 1.0))]),
    "7": (0.6, [_line((0.0, 0.02), (0.6, 0.0), (0.2, 1.0))]),
    "+": (0.6, [_line((0.0, 0.5), (0.6, 0.5)), _line((0.3, 0.2), (0.3, 0.8))]),
    "-": (0.6, [_line((0.0, 0.5), (0.6, 0.5))]),
    "=": (0.6, [_line((0.0, 0.38), (0.6, 0.38)), _line((0.0, 0.64), (0.6, 0.64))]),
}


def expression_strokes(
    text: str, *, height: float = 120.0, origin: tuple[float, float] = (40.0, 40.0)
) -> list[list[tuple[float, float]]]:
    """The strokes of *text* laid out left to right, *height* pixels tall, in pixel units."""
    x, y = origin
    strokes = []
    for char in text.replace(" ", ""):
        width, glyph = GLYPHS[char]
        for stroke in glyph:
            strokes.append([(x + px * height, y + py * height) for px, py in stroke])
        x += (width + 0.35) * height
    return strokes


def page_strokes(
    lines: list[str], *, height: float = 90.0, origin: tuple[float, float] = (60.0, 40.0)
) -> list[list[tuple[float, float]]]:
    """A page of working: *lines* one under another (a line and a gap 0.9 of a line
    tall), the lines after the first indented as a continued ``= 7`` is written."""
    x, y = origin
    strokes = []
    for k, text in enumerate(lines):
        at = (x + (height * 5 / 3 if k else 0.0), y + height * 17 / 9 * k)
        strokes.extend(expression_strokes(text, height=height, origin=at))
    return strokes


def render_png(text: str, *, height: float = 120.0, pen: int = 8) -> bytes:
    """*text* written in black on white, as PNG bytes (like a browser canvas export)."""
    return _png(expression_strokes(text, height=height), pen)


def render_page_png(lines: list[str], *, height: float = 90.0, pen: int = 7) -> bytes:
    """A page of working (:func:`page_strokes`) as PNG bytes."""
    return _png(page_strokes(lines, height=height), pen)


def _png(strokes: list[list[tuple[float, float]]], pen: int) -> bytes:
    pts = np.concatenate([np.asarray(s) for s in strokes])
    w = int(pts[:, 0].max() + 40)
    h = int(pts[:, 1].max() + 40)
    image = np.full((h, w), 255, np.uint8)
    for stroke in strokes:
        poly = np.round(np.asarray(stroke)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [poly], False, 0, pen, cv2.LINE_AA)
    ok, png = cv2.imencode(".png", image)
    assert ok
    return png.tobytes()
