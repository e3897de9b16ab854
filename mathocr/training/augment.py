"""Handwriting-like distortions applied to pen strokes before they are drawn.

Distorting the *strokes* rather than the 32×32 image keeps what the network
sees faithful to a real pen: the line stays one stroke wide after drawing and
normalization, a rotated symbol is re-thinned like a live one, and a stroke
break is a real gap in the ink, not a hole punched in a skeleton.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> strokes = [np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])]
>>> out = augment_strokes(strokes, rng)
>>> len(out) >= 1 and out[0].shape[1] == 2
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Distortion", "augment_strokes"]


@dataclass(frozen=True)
class Distortion:
    """How strongly to distort; the defaults stay within what people write."""

    rotate_deg: float = 10.0
    shear: float = 0.2
    stretch: float = 0.15
    """Anisotropic scale: each axis scaled by a factor in [1-s, 1+s]."""
    elastic: float = 0.04
    """Amplitude of the smooth displacement field, as a share of the symbol size."""
    jitter: float = 0.006
    """Per-point noise, as a share of the symbol size."""
    break_prob: float = 0.15
    """Chance of cutting a short gap out of one stroke."""


def augment_strokes(
    strokes: Sequence[np.ndarray],
    rng: np.random.Generator,
    distortion: Distortion = Distortion(),
) -> list[np.ndarray]:
    """A randomly distorted copy of one symbol's strokes (same units)."""
    if not strokes:
        raise ValueError("no strokes to augment")
    pts = np.concatenate(strokes)
    centre = (pts.max(axis=0) + pts.min(axis=0)) / 2
    size = float(max(np.ptp(pts, axis=0))) or 1.0
    matrix = _random_affine(rng, distortion)
    field = _random_field(rng, distortion.elastic * size, size)
    out: list[np.ndarray] = []
    for stroke in strokes:
        xy = (stroke - centre) @ matrix.T
        xy = xy + field(xy)
        if distortion.jitter > 0 and len(xy) > 2:
            xy = xy + rng.normal(0.0, distortion.jitter * size, xy.shape)
        out.append(xy + centre)
    if distortion.break_prob > 0 and rng.random() < distortion.break_prob:
        out = _break_one_stroke(out, rng)
    return out


def _random_affine(rng: np.random.Generator, d: Distortion) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-d.rotate_deg, d.rotate_deg))
    c, s = np.cos(angle), np.sin(angle)
    rotate = np.array([[c, -s], [s, c]])
    shear = np.array([[1.0, rng.uniform(-d.shear, d.shear)], [0.0, 1.0]])
    stretch = np.diag(rng.uniform(1 - d.stretch, 1 + d.stretch, 2))
    return rotate @ shear @ stretch


def _random_field(rng: np.random.Generator, amplitude: float, size: float):
    """A smooth displacement: a few low-frequency sine waves per axis."""
    waves = 3
    freq = rng.uniform(0.5, 2.0, (2, waves)) * (2 * np.pi / size)
    phase = rng.uniform(0, 2 * np.pi, (2, waves))
    amp = rng.normal(0.0, amplitude / np.sqrt(waves), (2, waves))
    axis = rng.integers(0, 2, (2, waves))  # which coordinate each wave follows

    def field(xy: np.ndarray) -> np.ndarray:
        disp = np.zeros_like(xy)
        for k in range(2):
            for w in range(waves):
                disp[:, k] += amp[k, w] * np.sin(freq[k, w] * xy[:, axis[k, w]] + phase[k, w])
        return disp

    return field


def _break_one_stroke(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Remove a short run of points from the middle of one long stroke."""
    candidates = [i for i, s in enumerate(strokes) if len(s) >= 10]
    if not candidates:
        return strokes
    i = int(rng.choice(candidates))
    stroke = strokes[i]
    n = len(stroke)
    gap = max(1, int(round(n * rng.uniform(0.04, 0.1))))
    start = int(rng.integers(n // 4, max(n // 4 + 1, 3 * n // 4 - gap)))
    head, tail = stroke[:start], stroke[start + gap :]
    parts = [p for p in (head, tail) if len(p) >= 2]
    if len(parts) < 2:
        return strokes
    return strokes[:i] + parts + strokes[i + 1 :]
