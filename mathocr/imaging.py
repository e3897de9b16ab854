"""Stages 1–2: load an image, turn it into clean ink, and straighten it.

A browser drawing and a phone photo must end up as the same thing: a binary
image, ink = 1, at a working resolution small enough to be fast, with the
expression's baseline horizontal. Everything that depends on the source
(file format, EXIF orientation, paper colour, shadows, white-on-dark) is
handled here so that the detector never sees it.

>>> import numpy as np
>>> page = np.full((60, 120), 255, np.uint8); page[20:40, 30:34] = 0
>>> loaded = load_image(page)
>>> ink = binarize(loaded.gray)
>>> int(ink.binary[30, 31]), int(ink.binary[5, 5])
(1, 0)
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError, ImageTooLargeError

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "WORK_MAX_PIXELS",
    "WORK_MAX_SIDE",
    "FORMATS",
    "LoadedImage",
    "Binarized",
    "Deskewed",
    "load_image",
    "binarize",
    "estimate_pen_width",
    "estimate_skew",
    "deskew",
    "work_room",
]

#: Largest encoded file we read (a 12-megapixel JPEG is 3–8 MB).
MAX_BYTES = 40 * 1024 * 1024
#: Largest decoded image we accept, in pixels (≈ 50 megapixels).
MAX_PIXELS = 50_000_000
#: The working image is at most this many pixels ...
WORK_MAX_PIXELS = 1_600_000
#: ... and at most this long on its longer side.
WORK_MAX_SIDE = 2400
#: Decoders we let Pillow use; anything else is refused by name.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")


@dataclass(frozen=True)
class LoadedImage:
    """A grayscale image at working resolution, and how it maps to the original."""

    gray: np.ndarray
    """(H, W) uint8 at working resolution, upright (EXIF applied)."""
    scale: float
    """Working pixels per original pixel (≤ 1)."""
    size: tuple[int, int]
    """Width, height of the original image, upright."""


@dataclass(frozen=True)
class Binarized:
    """Ink found in a grayscale image."""

    binary: np.ndarray
    """(H, W) uint8, 1 on ink."""
    normalized: np.ndarray
    """(H, W) uint8 grayscale after illumination correction, dark ink on white."""
    inverted: bool
    """The input was light ink on a dark ground."""
    pen_width: float
    """Typical stroke width in pixels (0 when there is no ink)."""


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


# --------------------------------------------------------------------------- loading


def load_image(
    source: Any,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    work_max_pixels: int = WORK_MAX_PIXELS,
    work_max_side: int = WORK_MAX_SIDE,
) -> LoadedImage:
    """Read a path, encoded bytes, a Pillow image or an array into a working image.

    Large images are decoded at reduced size where the format allows it (JPEG)
    and then shrunk, so a 12-megapixel photo costs about as much as a 1.5
    megapixel one. Transparent pixels count as white paper: a browser canvas
    exported as PNG is black strokes on transparency.

    Raises
    ------
    ImageTooLargeError
        The file or the decoded image exceeds the limits (decompression bombs).
    ImageError
        Anything else that is not a usable image: empty, truncated, unknown format.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels, work_max_pixels, work_max_side)
    if isinstance(source, Image.Image):
        return _from_pil(source, max_pixels, work_max_pixels, work_max_side)
    if isinstance(source, (str, Path)):
        data = _read_file(Path(source), max_bytes)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise ImageError(f"cannot read an image from a {type(source).__name__}")
    if not data:
        raise ImageError("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    return _decode(data, max_pixels, work_max_pixels, work_max_side)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageTooLargeError(f"{path}: {size} bytes; the limit is {max_bytes}")
        return path.read_bytes()
    except IsADirectoryError as e:
        raise ImageError(f"{path} is a directory") from e
    except OSError as e:
        raise ImageError(f"cannot read {path}: {e.strerror or e}") from e


def _decode(data: bytes, max_pixels: int, work_max_pixels: int, work_max_side: int) -> LoadedImage:
    # Pillow's plugins raise a zoo of exception types on hostile input (OSError,
    # SyntaxError, struct.error, IndexError, ...); this boundary turns all of them
    # into ImageError so callers have exactly one thing to catch.
    with warnings.catch_warnings():
        # Corrupt metadata is not worth a warning on every request; a bomb is an error.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width <= 0 or height <= 0:
                raise ImageError("the image has no pixels")
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"the image is {width}×{height} pixels; the limit is {max_pixels} pixels"
                )
            if image.format == "JPEG":
                factor = _work_factor(width, height, work_max_pixels, work_max_side)
                if factor < 1.0:
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 size directly.
                    image.draft("L", (math.ceil(width * factor), math.ceil(height * factor)))
            image.load()
            return _from_pil(image, max_pixels, work_max_pixels, work_max_side, (width, height))
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageTooLargeError(f"refused a decompression bomb: {e}") from e
        except MemoryError as e:
            raise ImageTooLargeError("the image is too large to decode") from e
        except Exception as e:  # noqa: BLE001 - see the comment above
            message = str(e) or type(e).__name__
            if "cannot identify image file" in message:
                message = f"not an image in a supported format ({', '.join(FORMATS)})"
            raise ImageError(f"cannot decode the image: {message}") from e


def _from_pil(
    image: Image.Image,
    max_pixels: int,
    work_max_pixels: int,
    work_max_side: int,
    encoded_size: tuple[int, int] | None = None,
) -> LoadedImage:
    """Upright, flatten transparency onto white, gray, shrink to working size."""
    width, height = encoded_size or image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(f"the image is {width}×{height} pixels; the limit is {max_pixels}")
    orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
    if orientation in (5, 6, 7, 8):  # a quarter turn swaps the sides
        width, height = height, width
    if orientation != 1:
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels are paper: gray = a·L + (1 − a)·white.
        la = np.asarray(image.convert("LA"), np.uint8)
        ink = cv2.multiply(255 - la[:, :, 0], la[:, :, 1], scale=1 / 255)
        return _shrink(255 - ink, (width, height), work_max_pixels, work_max_side)
    if image.mode == "I;16" or image.mode.startswith("I;16"):
        image = image.point(lambda v: v / 256).convert("L")
    elif image.mode in ("I", "F"):
        arr = np.asarray(image, np.float64)
        return _from_array(arr, max_pixels, work_max_pixels, work_max_side, (width, height))
    # (a JPEG is decoded to grey already: converting would only copy it)
    gray = np.asarray(image if image.mode == "L" else image.convert("L"), np.uint8)
    return _shrink(gray, (width, height), work_max_pixels, work_max_side)


def _from_array(
    array: np.ndarray,
    max_pixels: int,
    work_max_pixels: int,
    work_max_side: int,
    size: tuple[int, int] | None = None,
) -> LoadedImage:
    """Accept (H, W), (H, W, 3) BGR or (H, W, 4) BGRA arrays (OpenCV's order)."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(
            f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got {array.shape}"
        )
    h, w = array.shape[:2]
    if h == 0 or w == 0:
        raise ImageError("the image has no pixels")
    if h * w > max_pixels:
        raise ImageTooLargeError(f"the image is {w}×{h} pixels; the limit is {max_pixels}")
    if array.dtype == bool:
        array = np.where(array, 255, 0).astype(np.uint8)
    elif array.dtype != np.uint8:
        values = np.asarray(array, np.float64)
        if not np.isfinite(values).all():
            raise ImageError("the image array holds NaN or infinite values")
        top = float(values.max()) if values.size else 0.0
        span = 1.0 if top <= 1.0 else (255.0 if top <= 255.0 else 65535.0)
        array = np.clip(values * (255.0 / span), 0, 255).astype(np.uint8)
    if array.ndim == 3:
        if array.shape[2] == 4:
            alpha = array[:, :, 3:4].astype(np.float32) / 255.0
            bgr = array[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
            array = bgr.astype(np.uint8)
        gray = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGR2GRAY)
    else:
        gray = np.ascontiguousarray(array)
    return _shrink(gray, size or (w, h), work_max_pixels, work_max_side)


def work_room(
    width: int,
    height: int,
    work_max_pixels: int = WORK_MAX_PIXELS,
    work_max_side: int = WORK_MAX_SIDE,
) -> float:
    """The scale that brings an image to the working size limits (above 1: room to grow)."""
    return min(
        math.sqrt(work_max_pixels / float(width * height)),
        work_max_side / float(max(width, height)),
    )


def _work_factor(width: int, height: int, work_max_pixels: int, work_max_side: int) -> float:
    return min(1.0, work_room(width, height, work_max_pixels, work_max_side))


def _shrink(
    gray: np.ndarray, size: tuple[int, int], work_max_pixels: int, work_max_side: int
) -> LoadedImage:
    width, height = size
    factor = _work_factor(width, height, work_max_pixels, work_max_side)
    h, w = gray.shape
    target_w = max(1, round(width * factor))
    target_h = max(1, round(height * factor))
    if (target_w, target_h) != (w, h):
        gray = cv2.resize(gray, (target_w, target_h), interpolation=cv2.INTER_AREA)
    return LoadedImage(gray=gray, scale=target_w / width, size=(width, height))


# --------------------------------------------------------------------------- binarizing


#: How far from the threshold towards the darkest ink a piece's darkest pixel must reach
#: (0.5 lost faint pencil-like strokes; 0.15 kept the specks of ruled paper).
STRONG_INK = 0.25


def binarize(gray: np.ndarray, *, min_contrast: float = 0.22) -> Binarized:
    """Find the ink: dark or light, on white, coloured, grey or shadowed paper.

    The paper's brightness is estimated at low resolution with a maximum filter
    (ink is thin, paper is everywhere) and divided out, so a shadow across the
    page becomes white paper again. The original chain's Gaussian blur and a
    global Otsu threshold then work on that flat image; the threshold is kept
    within bounds so an ink-free page does not turn its grain into "ink":
    *min_contrast* below the paper, or less on paper with so fine a grain that
    faint pencil stands far out of it (:func:`_grain_ceiling`), unless a
    notebook's printed lines come in with the pencil (:func:`_has_printed_lines`).
    Specks smaller than a pen dot are dropped, and so are pieces nowhere much
    darker than the threshold (:data:`STRONG_INK`).

    Parameters
    ----------
    gray : (H, W) uint8 ndarray
    min_contrast : float
        Ink must be at least this much darker than the paper (as a fraction of
        the paper's brightness) to count.
    """
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"gray must be a 2-D uint8 array, got {gray.dtype} {gray.shape}")
    small, factor = _small(gray, 320)
    inverted = _light_on_dark(small)
    ceiling = round(255 * (1.0 - min_contrast))
    region = _ink_region(255 - small if inverted else small, factor, gray.shape, min_contrast)
    binary = np.zeros_like(gray)
    flat = np.full_like(gray, 255)
    if region is None:
        return Binarized(binary, flat, inverted, 0.0)
    y0, y1, x0, x1 = region
    crop = gray[y0:y1, x0:x1]
    work = 255 - crop if inverted else crop
    background = _paper_brightness(work)
    part = cv2.divide(work, background, scale=255)
    part = cv2.GaussianBlur(part, (0, 0), 1.0)
    flat[y0:y1, x0:x1] = part
    # Ink is what stays clearly below the paper level (255 after the division).
    otsu, _ = cv2.threshold(part, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on an almost blank page splits the paper grain; keep it sensible.
    level = float(np.clip(otsu, 255 * 0.45, ceiling))
    if otsu > ceiling:
        # On clean paper faint ink may be lighter than *min_contrast* allows,
        # unless that lets the printed lines of a notebook in, which are as faint.
        faint = float(np.clip(otsu, 255 * 0.45, _grain_ceiling(part)))
        if faint > level:
            faint_only = ((part < faint) & (part >= ceiling)).astype(np.uint8)
            if not _has_printed_lines(faint_only):
                level = faint
    ink = (part < level).astype(np.uint8)
    if not ink.any():
        return Binarized(binary, flat, inverted, 0.0)
    if _spans_region(ink):
        rules = _ruling(_printed_lines(ink), ink.shape)
        if len(rules):
            ink = _erase_printed_lines(ink, rules, part)
    pen = estimate_pen_width(ink)
    # Hysteresis: a piece of ink must somewhere be clearly darker than the
    # threshold, a quarter of the way to the ink's own darkest tenth. Writing has dark
    # cores; what is only just below the threshold everywhere (the specks a
    # notebook's printed rules leave, paper texture) is dropped.
    core = _level_below(np.bincount(part[ink > 0], minlength=256), 0.1)
    strong = part < level - STRONG_INK * (level - core)
    _open_sunken_holes(part, ink, pen, [core + share * (level - core) for share in HOLE_LEVELS])
    binary[y0:y1, x0:x1] = _drop_specks(ink, pen, strong)
    return Binarized(binary, flat, inverted, pen)


#: The least contrast ink can have on the cleanest paper, as a share of its brightness.
FAINT_CONTRAST = 0.08
#: How many times the paper's grain (a robust standard deviation) ink must lie below it.
GRAIN_MARGIN = 8.0


def _grain_ceiling(part: np.ndarray) -> int:
    """The lightest grey that can still be ink on this paper, from how grainy the paper is.

    Faint pencil on smooth paper is only 10-20% darker than the paper, under
    the fixed *min_contrast*, yet many times darker than the paper's own grain.
    The grain is measured on the lighter half of the histogram's lower side
    (median to first quartile), which is paper unless a quarter of the region
    is ink.
    """
    counts = np.bincount(part.ravel(), minlength=256)
    middle = _level_below(counts, 0.5)
    grain = max(1.0, (middle - _level_below(counts, 0.25)) / 0.674)
    return round(min(middle - GRAIN_MARGIN * grain, 255 * (1.0 - FAINT_CONTRAST)))


def _has_printed_lines(faint: np.ndarray) -> bool:
    """Do the pieces of *faint* ink form a long straight line that runs out of the region?

    Such lines are a ruled or squared page's, printed as faint as pencil; the
    region around the writing has a margin on every side, so no written
    stroke reaches its edges. Below the threshold the rules break into
    dashes, which the Hough transform bridges.
    """
    return len(_printed_lines(faint)) > 0


def _printed_lines(ink: np.ndarray) -> np.ndarray:
    """(N, 4) segments ``x1, y1, x2, y2`` of *ink* that are long, straight and run out of the region.

    Found by the probabilistic Hough transform at half size (0.5° steps, gaps
    of 8 px bridged): at least half the region's short side long, with an
    end within the region's margin of an edge.
    """
    small, scale = ink, 1.0
    if min(ink.shape) >= 64:
        small = cv2.resize(ink * 255, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        small = (small >= 64).astype(np.uint8)
        scale = 2.0
    h, w = small.shape
    span = 0.5 * min(h, w)
    lines = cv2.HoughLinesP(
        small, 1, np.pi / 360, threshold=max(10, int(span / 3)), minLineLength=span, maxLineGap=8
    )
    if lines is None:
        return np.zeros((0, 4), np.int32)
    seg = lines.reshape(-1, 4)
    x1, y1, x2, y2 = seg.T
    out = _near_edge(x1, y1, w, h) | _near_edge(x2, y2, w, h)
    return (seg[out] * scale).astype(np.int32)


def _edge_margin(w: int, h: int) -> tuple[float, float]:
    """How near an edge of a *w* × *h* region a printed line's end comes: 2% of a side, and 2 px.

    Written strokes stay further in: the region around writing has a wider margin.
    """
    return 2 + 0.02 * w, 2 + 0.02 * h


def _near_edge(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Which points (*x*, *y*) lie within :func:`_edge_margin` of an edge of the region."""
    near_x, near_y = _edge_margin(w, h)
    return (x <= near_x) | (x >= w - 1 - near_x) | (y <= near_y) | (y >= h - 1 - near_y)


def _spans_region(ink: np.ndarray) -> bool:
    """Is there ink at two opposite edges of the region, as a page's printed lines put there?

    The region around writing has a margin on every side, so this cheap test
    spares a drawing the Hough transform of :func:`_printed_lines`.
    """
    h, w = ink.shape
    near_x, near_y = _edge_margin(w, h)
    mx, my = int(near_x) + 1, int(near_y) + 1
    across = ink[:, :mx].any() and ink[:, -mx:].any()
    return bool(across or (ink[:my].any() and ink[-my:].any()))


def _ruling(lines: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The *lines* that are a notebook's ruling (possibly none), as (N, 4) segments.

    A ruling is three or more parallel lines (within a degree of their median
    direction) each crossing 70% of the region; with them come a margin line
    square to them and the rules parallel to them that run from edge to edge
    through a corner. A long fraction bar or a root's bar may reach the
    region's edge on a tight drawing, but not three parallel ones across most
    of it; and a line slanting across the rules is a chance alignment of their
    pieces, not one of them.
    """
    none = lines[:0]
    if len(lines) < 3:
        return none
    x1, y1, x2, y2 = lines.T.astype(np.float64)
    angle = np.degrees(np.arctan2(y2 - y1, x2 - x1)) % 180.0
    angle = np.where(angle > 135.0, angle - 180.0, angle)  # flat lines near 0, steep near 90
    flat = np.abs(angle) < 45.0
    across = np.where(flat, np.abs(x2 - x1) / shape[1], np.abs(y2 - y1) / shape[0])
    h, w = shape[:2]
    # A rule that runs out through a corner of the region crosses only part
    # of it, but it goes from edge to edge as no written stroke does.
    edge_to_edge = _near_edge(x1, y1, w, h) & _near_edge(x2, y2, w, h)
    for group in (flat, ~flat):
        long = group & (across >= 0.7)
        if np.count_nonzero(long) < 3:
            continue
        direction = float(np.median(angle[long]))
        parallel = np.abs(angle - direction) <= 1.0
        rules = long & parallel
        if np.count_nonzero(rules) < 3:
            continue
        # The margin line runs square to the rules, from one edge for at least
        # half the region (where writing covers it, the transform may break it).
        square = np.abs(np.abs(angle - direction) - 90.0) <= 10.0
        margin = ~group & square & (across >= 0.5)
        return lines[rules | margin | (group & parallel & edge_to_edge)]
    return none


def _erase_printed_lines(ink: np.ndarray, lines: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """*ink* without a notebook's rules, keeping the strokes that cross them.

    Along each line a band a few pixels wide is cleared, except where the ink
    runs on across the band (a stroke crossing the rule): a run of ink across
    it longer than the band survives an opening. Flat rules are crossed by
    vertical runs, a steep margin line by horizontal ones. A stroke lying
    along a rule (a bar of an ``=`` on a tilted page) has no such run; it is
    kept where the writing is clearly darker than the print (*gray*, the
    region's flattened gray), as pen on a printed page usually is.
    """
    thick = max(5, round(0.0015 * max(ink.shape)) * 2 + 1)
    bands = {False: np.zeros_like(ink), True: np.zeros_like(ink)}
    ys, xs = np.nonzero(ink)
    h, w = ink.shape
    fits: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
    span_of = {False: w, True: h}
    for x1, y1, x2, y2 in lines:
        steep = abs(int(y2) - int(y1)) > abs(int(x2) - int(x1))
        # Along and across the line: x and y for a flat rule, y and x for a steep one.
        along, across = (ys, xs) if steep else (xs, ys)
        p1, q1, p2, q2 = (y1, x1, y2, x2) if steep else (x1, y1, x2, y2)
        slope = float(q2 - q1) / float(p2 - p1) if p2 != p1 else 0.0
        offset = q1 - slope * p1
        if any(
            abs(o - offset) <= thick and abs(sl - slope) * span_of[steep] <= thick
            for sl, o, _ in fits[steep]
        ):
            continue  # another segment of a rule already fitted
        if not steep:
            along, across = _flat_strip(xs, ys, slope, offset, w, 3 * thick)
        fitted = _fit_rule(along, across, slope, offset, thick)
        if fitted is not None:
            fits[steep].append(fitted)
    fits[False] += _missed_rules(fits[False], xs, ys, w, h, thick)
    for steep, found in fits.items():
        for slope, offset, width in found:
            ends = [(p, slope * p + offset) for p in (0.0, float(span_of[steep] - 1))]
            points = [(round(q), round(p)) if steep else (round(p), round(q)) for p, q in ends]
            cv2.line(bands[steep], points[0], points[1], 1, max(thick, width))
    run = thick + 4
    grow = np.ones((5, 5), np.uint8)
    near_flat: np.ndarray = cv2.dilate(bands[False], grow)
    near_steep: np.ndarray = cv2.dilate(bands[True], grow)
    near = near_flat | near_steep
    # Where two printed lines cross, their inks add up to a darker spot.
    dark = _darker_than_print(ink, near, gray) & (1 - (near_flat & near_steep))
    # Flat rules first, so that what is left of them does not count as a
    # stroke crossing a margin line.
    for steep, band in bands.items():
        if band.any():
            kernel = np.ones((1, run) if steep else (run, 1), np.uint8)
            crossing = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
            ink = ink & (1 - (band & (1 - crossing) & (1 - dark)))
    # Pieces lying mostly on a rule are dropped whole: what the band left of
    # a rule, the margin line's dashes between rules; not the dark writing.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    on_rule = np.bincount(labels[near > 0], minlength=count)
    written = np.bincount(labels[dark > 0], minlength=count)
    area = stats[:, cv2.CC_STAT_AREA]
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    short_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    # A dash of a rule's dark core is no writing; a dot on a rule may be a decimal point.
    dash = (area < 3 * run * run) & (long_side >= 2 * short_side)
    drop = (on_rule >= 0.8 * area) & ((written < 0.5 * area) | dash)
    drop[0] = False
    if drop.any():
        ink = ink & (1 - drop[labels]).astype(np.uint8)
    return ink


#: How much darker than the printed rules (in gray levels) the writing must be
#: for its own dark pixels to be kept on them.
PRINT_CONTRAST = 40.0


def _darker_than_print(ink: np.ndarray, near: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """The ink pixels clearly darker than the rules (all zeros when the two are alike).

    The rules' level is the median gray of the ink on them (most of it is
    print); the writing's, the median of the ink away from them. Pixels below
    the midpoint are writing.
    """
    on = ink.astype(bool) & (near > 0)
    off = ink.astype(bool) & (near == 0)
    if not on.any() or not off.any():
        return np.zeros_like(ink)
    printed, written = float(np.median(gray[on])), float(np.median(gray[off]))
    if printed - written < PRINT_CONTRAST:
        return np.zeros_like(ink)
    return (ink.astype(bool) & (gray < 0.5 * (printed + written))).astype(np.uint8)


def _missed_rules(
    found: list[tuple[float, float, int]],
    xs: np.ndarray,
    ys: np.ndarray,
    w: int,
    h: int,
    thick: int,
) -> list[tuple[float, float, int]]:
    """The ruling's other rules, at its spacing, that the Hough transform missed.

    A rule that leaves the region through a corner is too short for the
    transform, and one that the writing covers may be broken into pieces; but
    rules are evenly spaced, so each place a rule should be is fitted, and kept
    if ink lies along at least half of its length inside the region.
    """
    if len(found) < 3:
        return []
    offsets = np.unique(np.round([o for _, o, _ in found]))
    gaps = np.diff(offsets)
    gaps = gaps[gaps > 2 * thick]
    if len(gaps) < 2:
        return []
    steps = np.round(gaps / np.min(gaps))
    if np.median(np.abs(gaps / np.min(gaps) - steps)) > 0.1:
        return []  # not an even ruling
    spacing = float(np.median(gaps / steps))
    slope = float(np.median([sl for sl, _, _ in found]))
    # Offsets for which the line y = slope * x + offset crosses the region,
    # stepped out from the nearest rule found (and into the gaps between them).
    low, high = min(0.0, -slope * (w - 1)), max(float(h - 1), h - 1 - slope * (w - 1))
    wanted = [offsets[0] - k * spacing for k in range(1, int((offsets[0] - low) / spacing) + 1)]
    wanted += [offsets[-1] + k * spacing for k in range(1, int((high - offsets[-1]) / spacing) + 1)]
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        wanted += [
            a + k * (b - a) / round((b - a) / spacing) for k in range(1, round((b - a) / spacing))
        ]
    out = []
    for offset in wanted:
        if np.min(np.abs(offsets - offset)) <= thick:
            continue
        near_x, near_y = _flat_strip(xs, ys, slope, float(offset), w, 3 * thick)
        fitted = _fit_rule(near_x, near_y, slope, float(offset), thick)
        if fitted is None:
            continue
        inside = [x for x in range(0, w, 4) if 0 <= fitted[0] * x + fitted[1] < h]
        close = np.abs(ys - (fitted[0] * xs + fitted[1])) <= 2
        if inside and len(np.unique(xs[close])) >= 0.5 * 4 * len(inside):
            out.append(fitted)
    return out


def _flat_strip(
    xs: np.ndarray, ys: np.ndarray, slope: float, offset: float, w: int, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """The points (*ys* ascending, as :func:`numpy.nonzero` gives them) in the rows a flat line crosses.

    A page's rules make hundreds of thousands of ink pixels; each rule is
    fitted to the few rows it passes through, found by bisection.
    """
    top = offset + min(0.0, slope * (w - 1)) - margin
    bottom = offset + max(0.0, slope * (w - 1)) + margin
    a, b = np.searchsorted(ys, [top, bottom])
    return xs[a:b], ys[a:b]


def _fit_rule(
    along: np.ndarray, across: np.ndarray, slope: float, offset: float, thick: int
) -> tuple[float, float, int] | None:
    """A printed line fitted to its own ink: (slope, offset, width in pixels), or None.

    The Hough segment's angle is only good to a quarter of a degree, which
    drifts by several pixels across a page; a least-squares line through the
    ink near it, refitted on the pixels closest to the last fit (writing that
    crosses the rule is the outlier), follows the rule from edge to edge. The
    width is what the rule's own pixels spread across that line.
    """
    # Every later pass looks only near the first guess: one pass over the region's ink.
    nearby = np.abs(across - (slope * along + offset)) <= 3 * thick
    along, across = along[nearby], across[nearby]
    near = float(thick)
    for _ in range(3):
        residual = across - (slope * along + offset)
        close = np.abs(residual) <= near
        if np.count_nonzero(close) < 20:
            return None
        p, q = along[close].astype(np.float64), across[close].astype(np.float64)
        p_mean, q_mean = float(p.mean()), float(q.mean())
        spread = float(((p - p_mean) ** 2).sum())
        if spread <= 0.0:
            return None
        slope = float(((p - p_mean) * (q - q_mean)).sum()) / spread
        offset = q_mean - slope * p_mean
        near = max(2.0, 0.5 * thick)
    residual = np.abs(across - (slope * along + offset))
    spread = float(np.percentile(residual[residual <= thick], 80))
    return float(slope), float(offset), int(2 * math.ceil(spread) + 3)


#: Where between the ink's dark core (0) and the threshold (1) a loop's filled-in
#: centre must be lighter than, to be opened again. The lower level finds the
#: shallow centres, but there the lighter ring of a stroke may join a centre to
#: the paper outside; the higher level still sees those centres enclosed.
HOLE_LEVELS = (0.2, 0.3)


def _open_sunken_holes(
    part: np.ndarray, ink: np.ndarray, pen: float, levels: Sequence[float]
) -> None:
    """Open loops that blur and a thick pen filled in: light spots ringed by dark ink.

    A small loop (the eyes of a narrow 8, a 6's belly) drawn with a thick pen
    comes out of the blur as one dark blob with a slightly lighter centre,
    which the threshold counts as ink (or all but a pinhole of it); thinned,
    such a blob reads as a ``1`` or a ``(``. Under a stricter threshold
    (*levels*) the centre is paper again, and it is a hole: a patch of
    lighter ink that touches no paper but pinholes smaller than a pen dot.
    The lighter pixels on a stroke's edge touch the paper around the stroke,
    or inside a loop, and stay ink. *ink* is changed in place, after all
    levels were looked at.
    """
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    # Only around the ink: a photo's region of interest is often most of the page.
    y0, x0 = max(0, y - 1), max(0, x - 1)
    part, ink = part[y0 : y + h + 1, x0 : x + w + 1], ink[y0 : y + h + 1, x0 : x + w + 1]
    background = (ink == 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=8)
    pinhole = np.bincount(labels.ravel(), minlength=count) < pen * pen
    pinhole[0] = False  # label 0 is the ink
    paper = background
    if pinhole.any():  # (mostly none: the loops of writing are larger than a pen dot)
        paper[pinhole[labels]] = 0
    paper = cv2.dilate(paper, _CROSS, borderType=cv2.BORDER_CONSTANT)
    holes: list[np.ndarray] = []
    for level in levels:
        lighter = ((part >= level) & (ink > 0)).astype(np.uint8)
        # (without stats: OpenCV's 4-connected labelling with stats is ten times slower)
        count, labels = cv2.connectedComponents(lighter, connectivity=4)
        if count <= 1:
            continue
        enclosed = np.ones(count, bool)
        enclosed[0] = False
        edge = cv2.findNonZero(cv2.bitwise_and(lighter, paper))
        if edge is not None:
            xy = edge.reshape(-1, 2)
            enclosed[labels[xy[:, 1], xy[:, 0]]] = False
        if enclosed.any():
            holes.append(enclosed[labels])
    for hole in holes:
        ink[hole] = 0


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _level_below(counts: np.ndarray, share: float) -> int:
    """The grey level under which *share* of the pixels lie, from their 256-bin histogram."""
    return int(np.searchsorted(np.cumsum(counts), share * counts.sum()))


def _ink_region(
    small: np.ndarray, factor: float, shape: tuple[int, ...], min_contrast: float
) -> tuple[int, int, int, int] | None:
    """Rows and columns (y0, y1, x0, x1) of the full image that hold the ink.

    Found on the small image, where the ink is blurred but still darker than
    its paper, so the full-resolution work only covers the writing: on a
    photo that is a fraction of the frame. A generous margin keeps thin
    strokes at the edges.
    """
    paper = _paper_brightness(small)
    flat = cv2.divide(small, paper, scale=255)
    dark = (flat < round(255 * (1.0 - 0.5 * min_contrast))).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= 2]
    if not keep:
        return None
    x0 = min(int(stats[i, cv2.CC_STAT_LEFT]) for i in keep)
    y0 = min(int(stats[i, cv2.CC_STAT_TOP]) for i in keep)
    x1 = max(int(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]) for i in keep)
    y1 = max(int(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT]) for i in keep)
    h, w = shape[:2]
    pad_x = 3 / factor + 0.05 * (x1 - x0) / factor + 8
    pad_y = 3 / factor + 0.05 * (y1 - y0) / factor + 8
    return (
        max(0, int(y0 / factor - pad_y)),
        min(h, int(math.ceil(y1 / factor + pad_y))),
        max(0, int(x0 / factor - pad_x)),
        min(w, int(math.ceil(x1 / factor + pad_x))),
    )


def _small(gray: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    factor = min(1.0, long_side / max(h, w))
    if factor >= 1.0:
        return gray, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), factor


def _light_on_dark(gray: np.ndarray) -> bool:
    """Is the minority (the ink) brighter than its surroundings? (*gray* is small.)

    A drawing (a canvas export, a screenshot) has a frame of even background,
    and the ink is whatever differs from it: that holds for a fat brush too,
    whose strokes are no thinner than the gaps between them.

    A photo's frame is paper, a shadow or the desk under the page. There two
    measures vote, each the log of a light-to-dark ratio: clear outliers from
    the local median at low resolution (neutral to polarity, but a page's
    edge on a dark desk gives light outliers along the page), and the
    strength of thin strokes (:func:`_thin_stroke_strengths`, which broad
    edges do not touch). Faint ink leaves too few clear outliers; then the
    thin strokes decide alone, and only a page without any goes by its
    overall brightness, which a shadow can decide wrongly.
    """
    small = gray
    if min(small.shape) < 3:
        return float(np.median(small)) < 96
    drawn = _drawing_background(small)
    if drawn is not None:
        return drawn < float(small.mean())
    k = max(3, (min(small.shape) // 8) | 1)
    k = min(k, 31)
    local = cv2.medianBlur(small, k)
    diff = small.astype(np.int16) - local.astype(np.int16)
    darker = int(np.count_nonzero(diff < -40))
    lighter = int(np.count_nonzero(diff > 40))
    strokes = _thin_stroke_strengths(small)
    if darker + lighter >= 0.0005 * small.size:
        vote = math.log((lighter + 1) / (darker + 1))
        if strokes is not None:
            vote += math.log((strokes[1] + 1) / (strokes[0] + 1))
        return vote > 0
    if strokes is None:
        return float(np.median(small)) < 96
    return strokes[1] > strokes[0]


def _drawing_background(small: np.ndarray) -> float | None:
    """The background's grey level if *small* looks like a drawing, else ``None``.

    A drawing's frame is of one even grey, and what differs from it is
    strokes. A drawing program makes it flat to a grey level; a photo has
    grain. A page photographed on a smooth desk has a nearly even frame, but
    what differs from the desk is the page: a broad shape, some of which
    survives an erosion that wipes out any stroke narrower than a twelfth of
    the picture's short side.
    """
    frame = np.concatenate(
        [small[:2].ravel(), small[-2:].ravel(), small[:, :2].ravel(), small[:, -2:].ravel()]
    ).astype(np.float32)
    if float(frame.std()) >= EVEN_FRAME:
        return None
    level = float(np.median(frame))
    if np.count_nonzero(np.abs(frame - level) <= 1) >= 0.98 * frame.size:
        return level  # flat as only a drawing program makes it
    differs = (np.abs(small.astype(np.int16) - level) > 25).astype(np.uint8)
    if not differs.any():
        return None
    side = 2 * max(3, round(0.04 * min(small.shape))) + 1
    core = cv2.erode(differs, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    if np.count_nonzero(core) > 0.002 * core.size:
        return None
    return level


#: The largest standard deviation of grey levels along the image's frame that is
#: a drawing's even background (a photo's paper has grain, light and shadow).
EVEN_FRAME = 3.0


def _thin_stroke_strengths(gray: np.ndarray) -> tuple[float, float] | None:
    """How strongly thin strokes in *gray* stand out dark and light (``None``: none found).

    A black top-hat (closing minus image) keeps dark strokes narrower than
    its 5-pixel kernel and a white top-hat (image minus opening) light ones;
    shadows, vignettes and the page's edge are broader and drop out of both.
    Each strength is what the response keeps above the two's common noise
    floor. It needs strokes thinner than the kernel, which the reduced image
    has unless the input was small and drawn with a thick pen; such input is
    a drawing, whose even frame settles the matter first.
    """
    if min(gray.shape) < 5:
        return None
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    dark = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
    light = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, kernel)
    # The noise floor: the 95th percentile of both responses (from their histogram).
    counts = np.bincount(dark.ravel(), minlength=256) + np.bincount(light.ravel(), minlength=256)
    floor = np.full_like(dark, max(6, _level_below(counts, 0.95)))
    strength_dark = float(cv2.subtract(dark, floor).sum(dtype=np.float64))
    strength_light = float(cv2.subtract(light, floor).sum(dtype=np.float64))
    if strength_dark + strength_light == 0:
        return None
    return strength_dark, strength_light


def _paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness under each pixel, as if the ink were not there.

    A maximum filter a little wider than any pen stroke sees paper around
    every ink pixel; keeping the window that small lets it follow a shadow's
    edge or a crease. It runs at reduced resolution, where the window is a
    few pixels, and is smoothed before being scaled back up.
    """
    h, w = gray.shape
    window = max(15.0, 0.015 * max(h, w))
    factor = min(1.0, 5.0 / window)
    small = gray
    if factor < 1.0:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    k = max(3, round(window * factor) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    paper = cv2.dilate(small, kernel)
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    if paper.shape != gray.shape:
        paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    # The smooth estimate runs over the edge of a page lying on a darker desk,
    # and the desk along the edge would look like a band of ink. A closing
    # (the largest brightness around, then the least of those) keeps the
    # edge where it is, and it still fills every stroke, and every blob of
    # ink (a loop a fat pen filled) narrower than twice the window; it caps
    # the smooth estimate.
    full = max(3, round(2 * window) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (full, full))
    # The frame is repeated outwards first: a strip of desk cut by the frame
    # must not pass for a narrow dark stroke.
    padded = cv2.copyMakeBorder(gray, full, full, full, full, cv2.BORDER_REPLICATE)
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, kernel)[full:-full, full:-full]
    return np.maximum(np.minimum(paper, closed), 1)


def estimate_pen_width(binary: np.ndarray) -> float:
    """Typical stroke width: twice the ink area over the ink's outline length.

    A stroke of length L and width w has area ≈ wL and outline ≈ 2L, so the
    ratio gives w without thinning or a distance transform.
    """
    area = int(np.count_nonzero(binary))
    if area == 0:
        return 0.0
    eroded = cv2.erode(binary, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT)
    outline = area - int(np.count_nonzero(eroded))
    return max(1.0, 2.0 * area / max(outline, 1))


def _drop_specks(binary: np.ndarray, pen: float, strong: np.ndarray | None = None) -> np.ndarray:
    """Remove components too small to be a dot made with this pen, or without a *strong* pixel."""
    min_area = max(3, round(0.25 * pen * pen))
    # Only the areas are needed: labelling alone and a bincount cost a third of
    # OpenCV's labelling with statistics (whose labels are the same).
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    small = np.bincount(labels.ravel(), minlength=count) < min_area
    if strong is not None:
        faint = np.ones(count, bool)
        # Label 0 (no ink) may be marked too: it is never dropped, below.
        faint[labels[strong]] = False
        small |= faint
    small[0] = False
    if not small[1:].any():
        return binary
    keep = (~small).astype(np.uint8)
    keep[0] = 0
    return keep[labels]


# --------------------------------------------------------------------------- deskewing


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
