"""Stage 3: the writing straightened so that its lines run horizontally, cropped to it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Deskewed", "deskew", "estimate_skew"]


@dataclass(frozen=True)
class Deskewed:
    """A binary image rotated so that the writing runs horizontally."""

    binary: np.ndarray
    angle: float
    """Degrees the input was rotated by (counter-clockwise positive, as cv2)."""
    matrix: np.ndarray
    """2×3 affine map from input to output pixel coordinates."""

    def to_input(self, points: np.ndarray) -> np.ndarray:
        """Map (N, 2) output x, y points back to the input image's coordinates."""
        inverse = cv2.invertAffineTransform(self.matrix)
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        return pts @ inverse[:, :2].T + inverse[:, 2]


def estimate_skew(binary: np.ndarray, *, max_angle: float = 8.0) -> float:
    """The angle (degrees) by which the writing's lines are tilted.

    Projection profiles: rotate the ink points by candidate angles and keep
    the one whose row histogram is most peaked (sum of squared counts), first
    coarsely then finely. Works on a sample of ink points, so the cost does
    not grow with the image.
    """
    ys, xs = _ink_points(binary)
    if ys.size < 50:
        return 0.0
    if ys.size > 3000:
        pick = np.random.default_rng(0).choice(ys.size, 3000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs_c = xs - xs.mean()
    ys_c = ys - ys.mean()
    height = max(float(np.ptp(ys)), 1.0)
    bin_size = max(1.0, height / 60)
    coarse = np.arange(-max_angle, max_angle + 1e-9, 2.0)
    best = float(coarse[int(np.argmax(_peakedness(ys_c, xs_c, coarse, bin_size)))])
    fine = np.arange(best - 1.75, best + 1.75 + 1e-9, 0.25)
    # The upright score rides along with the fine ones (the last).
    *scores, upright = _peakedness(ys_c, xs_c, [*fine, 0.0], bin_size)
    best = float(fine[int(np.argmax(scores))])
    # Binning makes near-ties wobble; an upright image must stay upright.
    if max(scores) < 1.02 * upright:
        return 0.0
    return best


def _ink_points(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of *binary*'s ink in row-major order, as :func:`numpy.nonzero` gives them.

    OpenCV lists a uint8 image's points in a third of NumPy's time (0.2 against
    0.6 ms for a photo's writing).
    """
    if binary.dtype != np.uint8 or binary.ndim != 2 or binary.strides[1] != 1:
        rows, cols = np.nonzero(binary)
        return rows, cols
    points = cv2.findNonZero(binary)
    if points is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    points = points.reshape(-1, 2)
    return points[:, 1], points[:, 0]


def _peakedness(
    ys_c: np.ndarray, xs_c: np.ndarray, angles: Sequence[float] | np.ndarray, bin_size: float
) -> list[float]:
    """For each angle, the sum of squared counts of the points' rows rotated by it.

    All angles at once, with the very arithmetic of one angle at a time (the
    same products and sums, so the same floats and the same bins).
    """
    turns = [math.radians(a) for a in angles]
    cos = np.array([math.cos(t) for t in turns])[:, None]
    sin = np.array([math.sin(t) for t in turns])[:, None]
    rows = ys_c[None, :] * cos + xs_c[None, :] * sin
    idx = np.floor((rows - rows.min(axis=1, keepdims=True)) / bin_size).astype(np.int64)
    width = int(idx.max()) + 1
    idx += np.arange(len(turns))[:, None] * width
    counts = np.bincount(idx.ravel(), minlength=len(turns) * width).astype(np.float64)
    counts = counts.reshape(len(turns), width)
    # Whole counts: their squares and sums are exact in float64, in any order.
    return [float(v) for v in (counts * counts).sum(axis=1)]


def deskew(
    binary: np.ndarray,
    *,
    pen_width: float = 0.0,
    min_angle: float = 2.0,
    max_angle: float = 8.0,
) -> Deskewed:
    """Crop *binary* to its ink and rotate it so the writing is horizontal.

    Cropping first means a photo where the expression fills a fifth of the
    frame costs a fifth to segment. Tilts under *min_angle* are left alone:
    that much is the writer's own drift as often as the camera's, and on the
    benchmark images straightening it lost more than it gained.
    """
    pad = max(4, round(2 * pen_width) + 2)
    x, y, w, h = cv2.boundingRect(binary)
    if w == 0 or h == 0:
        return Deskewed(binary, 0.0, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(binary.shape[1], x + w + pad), min(binary.shape[0], y + h + pad)
    crop = binary[y0:y1, x0:x1]
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])
    angle = estimate_skew(crop, max_angle=max_angle)
    if abs(angle) < min_angle:
        return Deskewed(crop, 0.0, shift)
    ch, cw = crop.shape
    # Rotating by -angle undoes the tilt; enlarge the canvas to keep the corners.
    rotation = cv2.getRotationMatrix2D((cw / 2, ch / 2), -angle, 1.0)
    cos, sin = abs(rotation[0, 0]), abs(rotation[0, 1])
    new_w = int(math.ceil(ch * sin + cw * cos))
    new_h = int(math.ceil(ch * cos + cw * sin))
    rotation[0, 2] += (new_w - cw) / 2
    rotation[1, 2] += (new_h - ch) / 2
    rotated = cv2.warpAffine(crop, rotation, (new_w, new_h), flags=cv2.INTER_NEAREST, borderValue=0)
    matrix = np.hstack([rotation[:, :2], (rotation[:, :2] @ shift[:, 2] + rotation[:, 2])[:, None]])
    return Deskewed(rotated, -angle, matrix)
