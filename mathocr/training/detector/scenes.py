"""Training images for the detector: an expression's strokes drawn as a canvas or a photo.

Unlike :mod:`mathocr.data.scenes` (fixed, seeded by file name, for the benchmark),
every call draws a new variant from a random generator: pen width, symbol
size, slant, rotation, paper, ruled or squared lines, lighting and shadow,
blur, noise, JPEG quality, light ink on a dark ground. The image then goes
through the serving preprocessing (:func:`mathocr.detect.prepare.prepare`),
and each symbol's true box is carried through the same transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...data.render import draw_strokes
from ...data.scenes import _lighting
from ...detect.classes import class_index
from ...detect.prepare import prepare, transform_boxes

__all__ = ["Sample", "Scene", "draw_scene", "make_sample"]


@dataclass(frozen=True)
class Scene:
    """An expression as strokes with its symbols: what both real and composed data give."""

    strokes: tuple[np.ndarray, ...]
    """(K, 2) float arrays, y down, in any units."""
    symbols: tuple[tuple[str, tuple[int, ...]], ...]
    """Each symbol's detector class and the indices of its strokes."""


@dataclass(frozen=True)
class Sample:
    """One training image in the detector's input frame."""

    image: np.ndarray
    """(H, W) uint8, ink 255."""
    boxes: np.ndarray
    """(N, 4) float32 x0, y0, x1, y1."""
    labels: np.ndarray
    """(N,) int16 detector class indices."""


def _symbol_size(scene: Scene) -> float:
    sizes = []
    for _, ids in scene.symbols:
        pts = np.concatenate([scene.strokes[i] for i in ids])
        sizes.append(float(max(np.ptp(pts, axis=0))))
    size = float(np.median(sizes)) if sizes else 0.0
    if size <= 0:
        pts = np.concatenate(scene.strokes)
        size = float(max(np.ptp(pts, axis=0))) or 1.0
    return size


def _geometry(rng: np.random.Generator, photo: bool) -> np.ndarray:
    """A random slant, rotation and stretch (2×2)."""
    slant = float(rng.normal(0, 0.12))
    angle = math.radians(float(rng.uniform(-7, 7) if photo else rng.normal(0, 1.5)))
    stretch = float(np.exp(rng.normal(0, 0.08)))
    shear = np.array([[1.0, -slant], [0.0, 1.0]])
    rot = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    return rot @ shear @ np.diag([stretch, 1.0 / stretch])


def _paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Grey paper: a level, soft blotches and grain (float32, 0–255)."""
    level = float(rng.uniform(150, 252))
    low = rng.normal(0, 1, (max(2, h // 48), max(2, w // 48))).astype(np.float32)
    low = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC) * float(rng.uniform(0, 6))
    grain = rng.normal(0, float(rng.uniform(0.5, 4)), (h, w)).astype(np.float32)
    return level + low + grain


def _rules(rng: np.random.Generator, page: np.ndarray, symbol_px: float) -> None:
    """Printed ruled or squared lines, as light as faint ink or as dark as the pen."""
    h, w = page.shape
    spacing = symbol_px * float(rng.uniform(0.7, 1.6))
    darkness = float(rng.uniform(20, 110))
    thickness = max(1, round(float(rng.uniform(0.5, 2.0))))
    offset = float(rng.uniform(0, spacing))
    for y in np.arange(offset, h, spacing):
        cv2.line(page, (0, int(y)), (w - 1, int(y)), float(page.mean() - darkness), thickness)
    if rng.random() < 0.4:
        for x in np.arange(offset, w, spacing):
            cv2.line(page, (int(x), 0), (int(x), h - 1), float(page.mean() - darkness), thickness)


def draw_scene(
    scene: Scene, rng: np.random.Generator, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scene as a grey image (uint8), its symbols' boxes (N, 4) in it, and their classes."""
    photo = kind == "photo"
    symbol_px = float(np.exp(rng.uniform(math.log(20), math.log(75))))
    pen = int(np.clip(round(symbol_px * float(rng.uniform(0.04, 0.13))), 1, 10))
    transform = _geometry(rng, photo) * (symbol_px / _symbol_size(scene))
    strokes = [s @ transform.T for s in scene.strokes]
    pts = np.concatenate(strokes)
    margin_lo = rng.integers(8, 60, size=2)
    margin_hi = rng.integers(8, 60, size=2)
    origin = pts.min(axis=0) - margin_lo
    size = np.ceil(pts.max(axis=0) - origin + margin_hi).astype(int)
    w, h = int(size[0]), int(size[1])
    drawing = draw_strokes(
        strokes, scale=1.0, pen=pen, padding=0, origin=(float(origin[0]), float(origin[1])),
        canvas=(h, w), antialias=True,
    )  # fmt: skip
    shift = pen / 2 - origin
    boxes = []
    for _, ids in scene.symbols:
        sp = np.concatenate([strokes[i] for i in ids]) + shift
        boxes.append([*(sp.min(axis=0) - pen / 2), *(sp.max(axis=0) + pen / 2)])
    labels = [class_index(label) for label, _ in scene.symbols]
    coverage = (255 - drawing.astype(np.float32)) / 255.0
    if not photo:
        ink_level = float(rng.uniform(0, 60)) if rng.random() < 0.3 else 0.0
        gray = 255 - coverage * (255 - ink_level)
    else:
        page = _paper(rng, h, w)
        if rng.random() < 0.35:
            _rules(rng, page, symbol_px)
        ink_level = float(rng.uniform(5, 110))
        strength = np.clip(rng.normal(0.92, 0.06, (h, w)), 0.5, 1.0).astype(np.float32)
        alpha = coverage * strength
        gray = page * (1 - alpha) + ink_level * alpha
        gray *= _lighting(rng, h, w)
        gray = cv2.GaussianBlur(gray, (0, 0), float(rng.uniform(0.3, 1.3)))
        gray += rng.normal(0, float(rng.uniform(1, 6)), gray.shape).astype(np.float32)
        if rng.random() < 0.12:
            gray = 255 - gray  # chalk on a board, white pen on dark paper
    gray8 = np.clip(gray, 0, 255).astype(np.uint8)
    if photo:
        quality = int(rng.integers(45, 92))
        ok, buf = cv2.imencode(".jpg", gray8, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        gray8 = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return gray8, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int16)


def make_sample(scene: Scene, rng: np.random.Generator, kind: str) -> Sample | None:
    """The scene drawn, prepared as the server prepares an image, with its boxes carried along.

    ``None`` when the preparation finds no ink to read (nothing to learn from).
    """
    gray, boxes, labels = draw_scene(scene, rng, kind)
    prepared = prepare(gray)
    if prepared.empty:
        return None
    out = transform_boxes(boxes, prepared.matrix).astype(np.float32)
    image = np.clip(prepared.image * 255, 0, 255).astype(np.uint8)
    return Sample(image, out, labels)
