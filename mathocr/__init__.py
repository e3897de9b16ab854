"""mathocr: read a handwritten arithmetic expression from an image.

One package per stage, in the order :mod:`mathocr.detect.recognizer` runs them:

1. :mod:`mathocr.imaging`: load the image, make it clean ink, straighten it;
2. :mod:`mathocr.detect`: find and label every symbol, then read each again
   with the symbol classifier (:mod:`mathocr.classifier`) and the neighbour
   model (:mod:`mathocr.neighbours`);
3. :mod:`mathocr.layout`: split the page into lines, lay each line out as a
   tree, and let the grammar settle the labels;
4. :mod:`mathocr.meaning`: parse the tree, evaluate it exactly, solve and
   compare, and check each line of working against the one before.

Beside them: :mod:`mathocr.symbols` (the symbol classes and the one
normalization) and :mod:`mathocr.geometry` (a symbol's size in its
expression), shared by serving and training and named, like
:mod:`mathocr.neighbours`, in the shipped models' cards;
:mod:`mathocr.model_files` (what every shipped model shares),
:mod:`mathocr.result`, :mod:`mathocr.timing` and :mod:`mathocr.errors`.
Around the pipeline: :mod:`mathocr.data` (CROHME read, drawn, split and
scored against), :mod:`mathocr.training`, and the command line
(:mod:`mathocr.cli`, :mod:`mathocr.commands`).

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
