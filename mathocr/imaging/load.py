"""Stage 1: read an image from any source, upright and at a working resolution.

A path, encoded bytes, a Pillow image or an array; EXIF orientation applied;
files over the byte or pixel limits, decompression bombs, animations and
unknown formats refused with an :class:`~mathocr.errors.ImageError` before
they cost memory; then shrunk so that the rest of the work stays fast.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps

from ..errors import ImageError, ImageTooLargeError

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "MAX_PIXELS",
    "WORK_MAX_PIXELS",
    "WORK_MAX_SIDE",
    "LoadedImage",
    "load_image",
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
