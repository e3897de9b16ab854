"""Stages 1–3: load an image, turn it into clean ink, and straighten it.

A browser drawing and a phone photo must end up as the same thing: a binary
image, ink = 1, at a working resolution small enough to be fast, with the
expression's baseline horizontal. Everything that depends on the source
(file format, EXIF orientation, paper colour, shadows, white-on-dark) is
handled here so that the detector never sees it: :mod:`.load`,
:mod:`.binarize` (with :mod:`.paper` for printed rules and page edges) and
:mod:`.deskew`.

>>> import numpy as np
>>> page = np.full((60, 120), 255, np.uint8); page[20:40, 30:34] = 0
>>> loaded = load_image(page)
>>> ink = binarize(loaded.gray)
>>> int(ink.binary[30, 31]), int(ink.binary[5, 5])
(1, 0)
"""

from __future__ import annotations

from .binarize import STRONG_INK, Binarized, binarize, estimate_pen_width
from .deskew import Deskewed, deskew, estimate_skew
from .load import (
    FORMATS,
    MAX_BYTES,
    MAX_PIXELS,
    WORK_MAX_PIXELS,
    WORK_MAX_SIDE,
    LoadedImage,
    load_image,
    work_room,
)

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "WORK_MAX_PIXELS",
    "WORK_MAX_SIDE",
    "FORMATS",
    "STRONG_INK",
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
