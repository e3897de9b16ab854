"""One exception family for the whole library.

Callers (the CLI, the web API) catch :class:`MathOCRError` and turn it into a
clear message; anything else escaping the library is a bug.
"""

from __future__ import annotations

__all__ = [
    "MathOCRError",
    "ImageError",
    "ImageTooLargeError",
    "InkMLError",
    "ModelError",
    "ExpressionError",
]


class MathOCRError(Exception):
    """Base class of every error the library raises on purpose."""


class ImageError(MathOCRError, ValueError):
    """The input is not a usable image (empty, truncated, not an image, ...)."""


class ImageTooLargeError(ImageError):
    """The image exceeds the byte or pixel limits (decompression bombs included)."""


class InkMLError(MathOCRError, ValueError):
    """An InkML file is malformed or lacks what we need from it."""


class ModelError(MathOCRError, RuntimeError):
    """The shipped model is missing, corrupt, or does not match its card."""


class ExpressionError(MathOCRError, ValueError):
    """The recognized symbols do not form an expression we can evaluate."""
