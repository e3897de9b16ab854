"""The detector's view of an image: ink grey, flat paper, typical symbol 32 px tall.

One function, :func:`prepare`, used both when serving and when building the
training images (``mathocr.training.detector_data`` renders a scene, then
prepares it with this very code), so the detector is trained on exactly what
it will be shown, estimation errors of the scale included.

The steps reuse the recognizer's imaging: the paper's brightness is divided
out and light-on-dark writing is inverted (:func:`mathocr.imaging.binarize`),
the typical symbol height is measured on the ink's components
(:func:`mathocr.detect.marks.find_marks`), the writing is cropped and
straightened (:func:`mathocr.imaging.deskew`), then the grey ink (not a
thinned mask: the detector sees stroke width and antialiasing) is rescaled so
that the typical symbol is :data:`TARGET_HEIGHT` pixels tall.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..imaging import binarize, deskew
from .marks import find_marks

__all__ = [
    "MARGIN",
    "MULTIPLE",
    "PREPARATION_VERSION",
    "TARGET_HEIGHT",
    "Prepared",
    "prepare",
    "transform_boxes",
]

#: Bumped whenever :func:`prepare` changes what it produces: cached training
#: images made by another version are never reused (they name it).
PREPARATION_VERSION = 2

#: The typical symbol's height in the detector's input.
TARGET_HEIGHT = 32.0
#: Empty border around the writing, in input pixels.
MARGIN = 16
#: The input's sides are padded to a multiple of this (the network's coarsest stride).
MULTIPLE = 16
#: At most this many input pixels: writing measured as tiny on a large page is
#: not enlarged into a huge tensor.
MAX_PIXELS = 1_500_000
#: Enlarge or shrink by at most this much.
MIN_SCALE, MAX_SCALE = 0.05, 4.0


@dataclass(frozen=True)
class Prepared:
    """The detector's input and how it maps back to the working image."""

    image: np.ndarray
    """(H, W) float32, ink 1 and paper 0; H and W are multiples of :data:`MULTIPLE`."""
    ink: np.ndarray
    """(H, W) bool: the binarized ink in the same frame, for fitting boxes to ink."""
    matrix: np.ndarray
    """2×3 affine map from working-image pixels to input pixels."""
    typical: float
    """The typical symbol height measured in the working image (0 when there is no ink)."""
    pen_width: float
    """The pen width in working-image pixels."""
    angle: float
    """Degrees the writing was rotated by to straighten it."""
    marks: int = 0
    """Separate marks of ink found; past :data:`mathocr.detect.marks.MAX_MARKS` the image is a
    texture or noise, not writing, and nothing is prepared (the recognizer says why)."""

    @property
    def scale(self) -> float:
        """Input pixels per working-image pixel, as applied (after clipping and the size cap).

        Read from :attr:`matrix` (a rotation times the resize), not from
        ``TARGET_HEIGHT / typical``: the two differ whenever the scale was
        clipped or the page was too large to enlarge fully.
        """
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    @property
    def symbol_height(self) -> float:
        """The typical symbol's height in the input: :data:`TARGET_HEIGHT` unless the scale was clipped."""
        return self.typical * self.scale

    @property
    def empty(self) -> bool:
        """No ink was found."""
        return self.typical <= 0

    def to_working(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x0, y0, x1, y1 input boxes as the upright boxes around them in the working image."""
        return transform_boxes(boxes, cv2.invertAffineTransform(self.matrix))


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 boxes mapped by a 2×3 affine *matrix*: the upright box of each's corners.

    The preparation rotates as well as scales, so a box's image is the box
    around its four mapped corners, not its two mapped ends.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    corners = np.stack(
        [boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]]], axis=1
    )
    pts = corners @ matrix[:, :2].T + matrix[:, 2]
    return np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)


def _empty(marks: int = 0) -> Prepared:
    blank = np.zeros((MULTIPLE, MULTIPLE), np.float32)
    return Prepared(blank, blank > 0, np.eye(2, 3), 0.0, 0.0, 0.0, marks)


def _ink_grey(normalized: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The flattened grey as ink (255 - paper), mapped by the deskew's *matrix* into *size*.

    Most writing is not straightened (tilts under two degrees are left), and
    then the matrix only moves the crop's corner to the origin: by whole
    pixels, which bilinear warping copies exactly. So the crop is cut out
    instead, and only it is inverted, not the whole photo (a third of a
    millisecond to a millisecond saved per photo, the same pixels).
    """
    w, h = size
    if np.array_equal(matrix[:, :2], np.eye(2)) and np.array_equal(
        matrix[:, 2], np.round(matrix[:, 2])
    ):
        x0, y0 = -int(matrix[0, 2]), -int(matrix[1, 2])
        rows, cols = normalized.shape
        if min(x0, y0) >= 0 and x0 + w <= cols and y0 + h <= rows:
            return 255 - normalized[y0 : y0 + h, x0 : x0 + w]
    return cv2.warpAffine(255 - normalized, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def prepare(gray: np.ndarray, *, target: float = TARGET_HEIGHT) -> Prepared:
    """The detector's input for a working-resolution grey image (uint8, any polarity)."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"gray must be a 2-D uint8 array, got {gray.dtype} {gray.shape}")
    found = binarize(gray)
    if not found.binary.any():
        return _empty()
    # Straightened first: the deskewed crop holds only the writing, so labelling
    # its marks costs a fraction of labelling a whole photo.
    straight = deskew(found.binary, pen_width=found.pen_width)
    marks = find_marks(straight.binary, pen_width=found.pen_width)
    typical = marks.height
    if typical <= 0:
        # Too many marks (a texture) or none usable: nothing to read.
        return _empty(len(marks.components))
    ch, cw = straight.binary.shape
    scale = float(np.clip(target / typical, MIN_SCALE, MAX_SCALE))
    room = MAX_PIXELS / max(1.0, (cw * scale + 2 * MARGIN) * (ch * scale + 2 * MARGIN))
    if room < 1.0:
        scale *= float(np.sqrt(room))
    new_w, new_h = max(1, round(cw * scale)), max(1, round(ch * scale))
    rotated = _ink_grey(found.normalized, straight.matrix, (cw, ch))
    shrink = new_w < cw
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    small = cv2.resize(rotated, (new_w, new_h), interpolation=interpolation)
    small_ink = cv2.resize(
        straight.binary.astype(np.float32), (new_w, new_h), interpolation=interpolation
    )
    width = -(-(new_w + 2 * MARGIN) // MULTIPLE) * MULTIPLE
    height = -(-(new_h + 2 * MARGIN) // MULTIPLE) * MULTIPLE
    image = np.zeros((height, width), np.float32)
    image[MARGIN : MARGIN + new_h, MARGIN : MARGIN + new_w] = small.astype(np.float32) / 255.0
    ink = np.zeros((height, width), bool)
    ink[MARGIN : MARGIN + new_h, MARGIN : MARGIN + new_w] = small_ink > 0.3
    sx, sy = new_w / cw, new_h / ch
    resize = np.array([[sx, 0.0, MARGIN], [0.0, sy, MARGIN]])
    matrix = resize[:, :2] @ straight.matrix
    matrix = np.hstack(
        [matrix[:, :2], (resize[:, :2] @ straight.matrix[:, 2] + resize[:, 2])[:, None]]
    )
    return Prepared(
        image,
        ink,
        matrix,
        float(typical),
        float(found.pen_width),
        straight.angle,
        len(marks.components),
    )
