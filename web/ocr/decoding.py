"""From what a client posts to checked image bytes, or a clear error.

The checks run before anything is stored: a post that is not a usable image
(bad base64, empty, not an image, truncated, an unsupported format, too many
bytes or pixels) is refused with a message that says which, so the client can
fix it. Pillow only reads and decodes here; recognition happens in mathocr.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

__all__ = ["CheckedImage", "ImageInputError", "decode_base64", "read_upload", "check_image"]

# Pillow format name -> the extension we store the file under.
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}

_DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^;,]*)*),", re.ASCII)
_WHITESPACE = re.compile(r"\s+")


class ImageInputError(Exception):
    """The posted image cannot be used; ``code`` names the problem for clients."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    format: str
    """Pillow's format name, one of :data:`FORMATS`."""
    width: int
    height: int
    decoded: Image.Image | None = None
    """The pixels, when they were decoded at full size while checking."""

    @property
    def extension(self) -> str:
        return FORMATS[self.format]


def _too_large(size: int, limit: int) -> ImageInputError:
    return ImageInputError(
        f"the image is {size:,} bytes; the limit is {limit:,} bytes",
        code="too_large",
        status=413,
    )


def decode_base64(text: str, *, max_bytes: int) -> bytes:
    """Decode a bare base64 string or a ``data:image/...;base64,`` URL.

    Whitespace (line breaks from some encoders) is ignored and missing
    padding is restored; anything else outside the base64 alphabet is an error.
    """
    text = text.strip()
    match = _DATA_URL.match(text)
    if match:
        if ";base64" not in match.group("params").lower():
            raise ImageInputError(
                "the data URL is not base64-encoded (expected data:image/...;base64,...)",
                code="invalid_base64",
            )
        text = text[match.end() :]
    elif text.startswith("data:"):
        raise ImageInputError("malformed data URL", code="invalid_base64")
    text = _WHITESPACE.sub("", text)
    if not text:
        raise ImageInputError("the image is empty", code="empty")
    # Refuse before decoding: 4 base64 characters carry 3 bytes.
    if len(text) * 3 // 4 > max_bytes + 2:
        raise _too_large(len(text) * 3 // 4, max_bytes)
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ImageInputError(
            "the image is not valid base64 (send base64 or a data:image/...;base64, URL)",
            code="invalid_base64",
        ) from None
    if not data:
        raise ImageInputError("the image is empty", code="empty")
    return data


def read_upload(upload: UploadedFile, *, max_bytes: int) -> bytes:
    """The bytes of a multipart upload, refusing oversize files before reading them."""
    size = upload.size or 0
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    data = upload.read(max_bytes + 1)
    if not data:
        raise ImageInputError("the uploaded file is empty", code="empty")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def check_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Make sure *data* is one whole image of a format we read, of a sane size.

    The header gives format and size cheaply; the size is checked before the
    pixels are decoded (decompression bombs stop here); then the full decode
    finds truncated or corrupt files.
    """
    if not data:
        raise ImageInputError("the image is empty", code="empty")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    try:
        img = Image.open(io.BytesIO(data))
        fmt = img.format or ""
        if fmt not in FORMATS:
            raise ImageInputError(
                f"unsupported image format {fmt or 'unknown'}; send {', '.join(sorted(FORMATS))}",
                code="unsupported_format",
            )
        width, height = img.size
        if width < 1 or height < 1:
            raise ImageInputError("the image has no pixels", code="empty")
        if width * height > max_pixels:
            raise _too_many_pixels(width, height, max_pixels)
        if fmt == "JPEG":
            # Decode at 1/8 scale: the whole stream is still read (so
            # truncation shows) at a fraction of a full decode's cost.
            img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
        img.load()
    except ImageInputError:
        raise
    except UnidentifiedImageError:
        raise ImageInputError(
            "the data is not an image (expected PNG, JPEG, WebP, BMP or TIFF)",
            code="not_an_image",
        ) from None
    except Image.DecompressionBombError:  # past Pillow's own limit, before ours could look
        raise ImageInputError(
            f"the image has too many pixels (the limit is {max_pixels:,})",
            code="too_many_pixels",
        ) from None
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError... for broken data
        raise ImageInputError(
            f"the image data is truncated or corrupt ({e})", code="corrupt"
        ) from None
    # A full-size decode is handed on, so recognition does not decode twice.
    decoded = None if fmt == "JPEG" else img
    return CheckedImage(content=data, format=fmt, width=width, height=height, decoded=decoded)


def _too_many_pixels(width: int, height: int, limit: int) -> ImageInputError:
    return ImageInputError(
        f"the image is {width}x{height} = {width * height:,} pixels; the limit is {limit:,}",
        code="too_many_pixels",
    )
