"""Whole-expression images from CROHME strokes: a canvas drawing and a phone photo.

The benchmark renders every in-scope expression of the held-out ``valid/``
writers this way (``bench/images.py``), and ``mathocr dataset cut`` renders
the ``train/`` writers' expressions to cut training symbols out of them where
the recognizer's detector finds them. Each expression is drawn twice, from its
real pen strokes:

- **canvas**: dark antialiased strokes on the web page's white 1000×400
  canvas, pen 3–8 px, a typical symbol 40–90 px tall (smaller when the
  expression would not fit), encoded as PNG (every third one as the
  RGBA-on-transparent image a canvas exports when nothing fills it);
- **photo**: the same ink on paper: a paper colour and grain, a light
  gradient and a soft shadow across part of the page, rotation up to ±6°,
  lens blur, sensor noise, and JPEG compression, in a 4:3 frame with a long
  side of 1600 px.

Each image carries the boxes of its true symbols (from CROHME's symbol
groups), so where symbols were found can be scored apart from how they were read. Everything is
seeded by the file name: the same images on every run and machine.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..symbols import crohme_to_class
from .inkml import InkExpression
from .render import draw_strokes, reference_size

__all__ = ["EvalImage", "all_ours", "canvas_image", "photo_image"]

PHOTO_SIZE = (1600, 1200)
#: The web page's drawing canvas (web/templates/ocr/index.html).
CANVAS_SIZE = (1000, 400)


@dataclass(frozen=True)
class EvalImage:
    """One benchmark image with its truth."""

    name: str
    """``collection/file`` without the extension."""
    kind: str
    """``"canvas"`` or ``"photo"``."""
    truth: str
    data: bytes
    """The encoded image (PNG for canvas, JPEG for photo), as a client would send it."""
    boxes: tuple[tuple[str, tuple[int, int, int, int]], ...]
    """Each true symbol's class and x, y, w, h box in the image."""
    angle: float = 0.0
    """The photo's rotation in degrees (counter-clockwise)."""


def all_ours(ink: InkExpression) -> bool:
    """Every symbol of the expression is one of our classes."""
    return bool(ink.symbols) and all(crohme_to_class(s.label) for s in ink.symbols)


def _name(ink: InkExpression) -> str:
    path = Path(ink.path)
    return f"{path.parent.name}/{path.stem}"


def _rng(name: str, kind: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{kind}:{name}".encode()))


def _symbol_boxes(
    ink: InkExpression, scale: float, pen: int, origin: tuple[float, float], padding: int
) -> list[tuple[str, np.ndarray]]:
    """Each symbol's outline box corners (4×2) in the drawing's pixels."""
    out = []
    for symbol in ink.symbols:
        pts = np.concatenate(ink.symbol_strokes(symbol))
        xy = (pts - origin) * scale + padding + pen / 2
        x0, y0 = xy.min(axis=0) - pen / 2
        x1, y1 = xy.max(axis=0) + pen / 2
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        out.append((crohme_to_class(symbol.label) or symbol.label, corners))
    return out


def _box(corners: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x1), min(height, y1)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _draw(
    ink: InkExpression, rng: np.random.Generator, symbol_px: float, pen: int, padding: int
) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    scale = symbol_px / reference_size(ink)
    strokes = list(ink.traces.values())
    pts = np.concatenate(strokes)
    origin = (float(pts[:, 0].min()), float(pts[:, 1].min()))
    image = draw_strokes(
        strokes, scale=scale, pen=pen, padding=padding, origin=origin, antialias=True
    )
    return image, _symbol_boxes(ink, scale, pen, origin, padding)


def canvas_image(ink: InkExpression, index: int = 0) -> EvalImage:
    """The expression as drawn on the web page's 1000×400 canvas.

    A writer who runs out of room writes smaller, so long expressions are
    drawn with smaller symbols to fit the canvas, and with a pen no wider
    than an eighth of a symbol (3 px at least).
    """
    name = _name(ink)
    rng = _rng(name, "canvas")
    width, height = CANVAS_SIZE
    margin = 15
    symbol_px = float(rng.uniform(40, 90))
    pen = int(rng.integers(3, 9))
    drawing, corners = _draw(ink, rng, symbol_px, pen, 0)
    dh, dw = drawing.shape
    fit = min(1.0, (width - 2 * margin) / dw, (height - 2 * margin) / dh)
    if fit < 1.0:
        symbol_px *= fit * 0.98
        # Nobody writes 20 px symbols with an 8 px pen and expects them read.
        pen = min(pen, max(3, round(symbol_px / 8)))
        drawing, corners = _draw(ink, rng, symbol_px, pen, 0)
        dh, dw = drawing.shape
    x0 = int(rng.integers(margin, max(margin, width - dw - margin) + 1))
    y0 = int(rng.integers(margin, max(margin, height - dh - margin) + 1))
    image = np.full((height, width), 255, np.uint8)
    image[y0 : y0 + dh, x0 : x0 + dw] = drawing[: height - y0, : width - x0]
    if index % 3 == 2:
        # What canvas.toBlob() gives without a filled background: black ink
        # whose alpha carries the strokes, on fully transparent pixels.
        rgba = np.zeros((height, width, 4), np.uint8)
        rgba[:, :, 3] = 255 - image
        ok, buf = cv2.imencode(".png", rgba)
    else:
        ok, buf = cv2.imencode(".png", image)
    assert ok
    boxes = tuple((label, _box(c + (x0, y0), width, height)) for label, c in corners)
    return EvalImage(name, "canvas", ink.truth, buf.tobytes(), boxes)


def _paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A sheet of paper: a tint, soft blotches and fine grain (BGR float32, 0–255)."""
    tints = [
        (250, 250, 250),  # white
        (215, 240, 250),  # cream
        (200, 200, 200),  # grey
        (250, 230, 210),  # light blue
        (175, 235, 245),  # yellow pad
        (225, 215, 245),  # pink
    ]
    tint = np.array(tints[int(rng.integers(len(tints)))], np.float32)
    tint *= float(rng.uniform(0.92, 1.0))
    low = rng.normal(0, 1, (max(2, h // 64), max(2, w // 64))).astype(np.float32)
    low = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC) * 4.0
    grain = rng.normal(0, 2.5, (h, w)).astype(np.float32)
    return tint[None, None, :] + (low + grain)[:, :, None]


def _lighting(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Uneven light: a gradient, a vignette, and a soft-edged shadow (gain map)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xx / w - 0.5) * math.cos(angle) + (yy / h - 0.5) * math.sin(angle)
    gain = 1.0 - float(rng.uniform(0.1, 0.35)) * (ramp + 0.5)
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5
    gain *= 1.0 - float(rng.uniform(0.05, 0.25)) * r2
    # A shadow (a hand or a phone) falling across part of the page.
    direction = rng.uniform(0, 2 * math.pi)
    nx, ny = math.cos(direction), math.sin(direction)
    offset = rng.uniform(-0.2, 0.35)
    d = (xx / w - 0.5) * nx + (yy / h - 0.5) * ny - offset
    softness = float(rng.uniform(0.02, 0.12))
    depth = float(rng.uniform(0.35, 0.6))
    shadow = 1.0 - depth / (1.0 + np.exp(-d / softness))
    return gain * shadow


def photo_image(ink: InkExpression) -> EvalImage:
    """The expression written with a pen on paper and photographed with a phone."""
    name = _name(ink)
    rng = _rng(name, "photo")
    width, height = PHOTO_SIZE
    pen = int(rng.integers(3, 9))
    symbol_px = 60.0
    scale_probe = symbol_px / reference_size(ink)
    pts = np.concatenate(list(ink.traces.values()))
    ink_w = float(np.ptp(pts[:, 0])) * scale_probe
    ink_h = float(np.ptp(pts[:, 1])) * scale_probe
    fill = float(rng.uniform(0.55, 0.85))
    grow = min(fill * width / max(ink_w, 1.0), 0.6 * height / max(ink_h, 1.0))
    symbol_px = float(np.clip(symbol_px * grow, 25, 220))
    drawing, corners = _draw(ink, rng, symbol_px, pen, 0)
    dh, dw = drawing.shape
    if dw > 0.8 * width or dh > 0.6 * height:  # long expressions: shrink to fit the frame
        f = min(0.8 * width / dw, 0.6 * height / dh)
        drawing = cv2.resize(drawing, (int(dw * f), int(dh * f)), interpolation=cv2.INTER_AREA)
        corners = [(label, c * f) for label, c in corners]
        dh, dw = drawing.shape
    angle = float(rng.uniform(-6, 6))
    # Keep the writing inside the frame once rotated about the frame's centre.
    mx = min(20 + int(abs(math.sin(math.radians(angle))) * height / 2), (width - dw) // 2)
    my = min(20 + int(abs(math.sin(math.radians(angle))) * width / 2), (height - dh) // 2)
    x0 = int(rng.integers(mx, width - dw - mx + 1))
    y0 = int(rng.integers(my, height - dh - my + 1))
    coverage = np.zeros((height, width), np.float32)
    coverage[y0 : y0 + dh, x0 : x0 + dw] = (255 - drawing.astype(np.float32)) / 255.0
    # Ink: dark blue, black or dark grey, never perfectly uniform.
    inks = [(90, 30, 20), (30, 30, 30), (70, 60, 60), (120, 40, 30)]
    color = np.array(inks[int(rng.integers(len(inks)))], np.float32)
    paper = _paper(rng, height, width)
    strength = np.clip(rng.normal(0.9, 0.05, (height, width)), 0.6, 1.0).astype(np.float32)
    alpha = (coverage * strength)[:, :, None]
    page = paper * (1 - alpha) + color[None, None, :] * alpha
    page *= _lighting(rng, height, width)[:, :, None]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    page = cv2.warpAffine(
        page, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    page = cv2.GaussianBlur(page, (0, 0), float(rng.uniform(0.6, 1.4)))
    page += np.asarray(rng.normal(0, float(rng.uniform(2, 7)), page.shape), np.float32)
    page8 = np.clip(page, 0, 255).astype(np.uint8)
    quality = int(rng.integers(60, 90))
    ok, buf = cv2.imencode(".jpg", page8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    boxes = []
    for label, c in corners:
        moved = c + (x0, y0)
        rotated = moved @ matrix[:, :2].T + matrix[:, 2]
        boxes.append((label, _box(rotated, width, height)))
    return EvalImage(name, "photo", ink.truth, buf.tobytes(), tuple(boxes), angle)
