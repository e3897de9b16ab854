"""mathocr: read a handwritten arithmetic expression from an image.

>>> import mathocr
>>> result = mathocr.recognize("photo.jpg")  # doctest: +SKIP
>>> result.latex, result.value  # doctest: +SKIP
('2 + 3', '5')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "recognize"]

if TYPE_CHECKING:
    from .result import Recognition


def recognize(image: Any, **options: Any) -> Recognition:
    """Recognize one image (path, bytes or array); see :mod:`mathocr.detect.recognizer`."""
    from .detect.recognizer import default_recognizer

    return default_recognizer().recognize(image, **options)
