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
import zlib
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


def check_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int = 0,
    max_aspect_ratio: float = 0.0,
) -> CheckedImage:
    """Make sure *data* is one whole image of a format we read, of a sane size.

    The header gives format, size and frame count cheaply; the size and
    shape are checked before the pixels are decoded (decompression bombs stop
    here); then the full decode finds truncated or corrupt files. *max_side*
    and *max_aspect_ratio* (0: no limit) bound the shape as well as the
    area: recognition's working memory grows with the longer side, so a
    1 x 40,000,000 strip within the pixel limit still costs hundreds of MB.
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
        _check_shape(width, height, max_side=max_side, max_aspect_ratio=max_aspect_ratio)
        frames = getattr(img, "n_frames", 1)
        if frames > 1:
            # Which frame to read would be a guess (an animation, a multi-page
            # scan): the client should send the one it means.
            raise ImageInputError(
                f"the image has {frames} frames (an animation or several pages); "
                "send a single still image",
                code="multiple_frames",
            )
        if fmt == "JPEG":
            # Decode at 1/8 scale: the whole stream is still read (so
            # truncation shows) at a fraction of a full decode's cost.
            img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
        img.load()
        if fmt == "PNG":
            _check_png_stream(data, width, height)
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


def _check_shape(width: int, height: int, *, max_side: int, max_aspect_ratio: float) -> None:
    longer, shorter = max(width, height), min(width, height)
    if max_side and longer > max_side:
        raise ImageInputError(
            f"the image is {width}x{height}; no side may be longer than {max_side:,} pixels",
            code="bad_shape",
        )
    if max_aspect_ratio and longer > shorter * max_aspect_ratio:
        raise ImageInputError(
            f"the image is {width}x{height}, {longer / shorter:,.0f} times as long as it is "
            f"wide; the limit is {max_aspect_ratio:g}",
            code="bad_shape",
        )


# PNG colour type -> samples per pixel (PNG spec, IHDR).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: first column, first row, column step, row step.
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _png_scanline_bytes(width: int, height: int, bits: int, interlaced: bool) -> int:
    """How many bytes the image's zlib stream must inflate to (filter bytes included)."""

    def rows(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits + 7) // 8)

    if not interlaced:
        return rows(width, height)
    return sum(
        rows(max(0, (width - x0 + dx - 1) // dx), max(0, (height - y0 + dy - 1) // dy))
        for x0, y0, dx, dy in _ADAM7
    )


def _check_png_stream(data: bytes, width: int, height: int) -> None:
    """Refuse a PNG whose pixel data ends before its last row.

    Pillow stops quietly when the zlib stream in the IDAT chunks ends early
    and leaves the missing rows black, so a cut-off upload would be read (and
    stored) as if it were whole. The stream is inflated again here in 1 MB
    steps, only counting bytes, and compared with what the header promises.
    """
    pos, header, stream = 8, None, zlib.decompressobj()
    produced, ended = 0, False
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT" and not ended:
            chunk = body
            while chunk and not stream.eof:
                produced += len(stream.decompress(chunk, 1 << 20))
                chunk = stream.unconsumed_tail
            ended = stream.eof
        elif kind == b"IEND":
            break
    if header is None or len(header) < 13:
        raise ImageInputError("the PNG has no header chunk", code="corrupt")
    bit_depth, colour, interlace = header[8], header[9], header[12]
    bits = bit_depth * _PNG_CHANNELS.get(colour, 4)
    expected = _png_scanline_bytes(width, height, bits, interlace == 1)
    if produced < expected or not ended:
        raise ImageInputError(
            f"the image data is truncated: its pixel data ends after {produced:,} of "
            f"{expected:,} bytes",
            code="corrupt",
        )
