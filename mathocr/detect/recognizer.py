"""Recognition: image → prepared ink → symbols → meaning; the one path every client uses.

:func:`default_recognizer` is what :func:`mathocr.recognize`, ``mathocr
recognize``, the web service and ``mathocr serve``'s warm-up call. The
stages, each timed:

1. ``load``: decode, EXIF, working size (:mod:`mathocr.imaging`);
2. ``prepare``: flat paper, polarity, straightened, typical symbol 32 px
   (:mod:`mathocr.detect.prepare`);
3. ``detect``: the ONNX detector finds and labels every symbol, each box
   fitted to its ink (:mod:`mathocr.detect.model`);
4. ``relabel``: the symbol classifier and the neighbour model give their
   reading of each symbol, blended with the detector's, and ink that no
   symbol explains is read by the classifier (:mod:`mathocr.detect.relabel`);
5. ``interpret``: lines, layout, LaTeX, value and each line's step
   (:func:`mathocr.meaning.page.read_page`).

Boxes are reported in the original image's pixels, upright after EXIF, so a
client can draw them on the image it sent.

>>> from mathocr.detect.recognizer import default_recognizer
>>> default_recognizer().recognize("2plus3.png").latex  # doctest: +SKIP
'2 + 3'
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import cv2
import numpy as np

from ..imaging import load_image
from ..layout.build import PlacedSymbol
from ..meaning.page import read_page
from ..result import DebugImages, Recognition, RecognizedSymbol
from ..symbols import thin_strokes
from ..timing import Laps
from .marks import MAX_MARKS
from .model import Found, SymbolDetector, default_detector
from .prepare import Prepared, prepare
from .relabel import Relabeller

__all__ = ["DetectorRecognizer", "default_recognizer"]


class DetectorRecognizer:
    """Reads images with the symbol detector; safe to share between threads."""

    def __init__(
        self,
        detector: SymbolDetector | None = None,
        relabeller: Relabeller | None | Literal["shipped"] = "shipped",
    ) -> None:
        self.detector = detector if detector is not None else default_detector()
        if relabeller == "shipped":
            relabeller = Relabeller()
        self.relabeller: Relabeller | None = relabeller
        self.model_version = f"detector-{self.detector.version}"
        if relabeller is not None:
            self.model_version += f"+{relabeller.version}"

    def __repr__(self) -> str:
        return f"DetectorRecognizer(model_version={self.model_version!r})"

    def recognize(self, image: Any, *, debug: bool = False) -> Recognition:
        """Recognize one image: a path, encoded bytes, a Pillow image or an array.

        Raises :class:`~mathocr.errors.ImageError` when the input is not a
        usable image; problems with the expression are reported in ``error``.
        """
        laps = Laps()
        lap = laps.lap

        loaded = load_image(image)
        lap("load")
        prepared = prepare(loaded.gray)
        lap("prepare")
        found, unexplained = self.detector.read(prepared)
        lap("detect")
        if self.relabeller is not None:
            found = self.relabeller.relabel(found, prepared, unexplained)
            lap("relabel")
        page = read_page([_placed(f) for f in found])
        lap("interpret")
        working = prepared.to_working(np.array([f.box for f in found]).reshape(-1, 4))
        labels = page.labels or tuple(f.label for f in found)
        symbols = tuple(
            _recognized(f, label, box / loaded.scale, loaded.size)
            for f, label, box in zip(found, labels, working, strict=False)
        )
        fields = page.recognition_fields()
        if prepared.marks > MAX_MARKS:
            fields["error"] = (
                f"the image holds {prepared.marks} separate marks, too many for one "
                "handwritten expression (noise or texture?)"
            )
        elif not found:
            fields["error"] = "no handwriting found in the image"
        debug_images = _debug_images(prepared, found) if debug else None
        if debug:
            lap("debug")
        timings = laps.done()
        return Recognition(
            **fields,  # type: ignore[arg-type]
            symbols=symbols,
            timings=timings,
            model_version=self.model_version,
            image_size=loaded.size,
            debug=debug_images,
        )


def _placed(found: Found) -> PlacedSymbol:
    x0, y0, x1, y1 = found.box
    box = (int(round(x0)), int(round(y0)), max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0))))
    return PlacedSymbol(found.label, box, found.confidence, found.alternatives)


def _recognized(
    found: Found, label: str, box: np.ndarray, size: tuple[int, int]
) -> RecognizedSymbol:
    width, height = size
    x0 = int(np.clip(np.floor(box[0]), 0, width))
    y0 = int(np.clip(np.floor(box[1]), 0, height))
    x1 = int(np.clip(np.ceil(box[2]), 0, width))
    y1 = int(np.clip(np.ceil(box[3]), 0, height))
    if label == found.label:
        confidence, alternatives = found.confidence, found.alternatives
    else:
        # Context chose a runner-up (x for ×): report that reading's own share.
        shares = dict(found.alternatives)
        confidence = float(shares.get(label, 0.0))
        alternatives = ((found.label, found.confidence),) + tuple(
            (a, p) for a, p in found.alternatives if a != label
        )
    return RecognizedSymbol(label, confidence, alternatives[:2], (x0, y0, x1 - x0, y1 - y0))


def _debug_images(prepared: Prepared, found: list[Found]) -> DebugImages:
    """The prepared ink, its binarization, its skeleton and the boxes, in the detector's frame.

    The detector reads the grey ink, not a skeleton; the thinned picture is
    kept because the page's "show steps" offers it and it shows at a glance
    where strokes touch. Thinning the whole image is slow, hence only here.
    """
    gray = (255 - np.clip(prepared.image * 255, 0, 255)).astype(np.uint8)
    binary = np.where(prepared.ink, 0, 255).astype(np.uint8)
    thinned = np.where(thin_strokes(prepared.ink), 0, 255).astype(np.uint8)
    boxes = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    for f in found:
        x0, y0, x1, y1 = (int(round(v)) for v in f.box)
        cv2.rectangle(boxes, (x0, y0), (x1 - 1, y1 - 1), (0, 0, 220), 1)
        cv2.putText(boxes, f.label.replace("\\", ""), (x0, max(8, y0 - 2)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, (200, 60, 0), 1, cv2.LINE_AA)  # fmt: skip
    return DebugImages(gray=gray, binary=binary, thinned=thinned, boxes=boxes)


_default: DetectorRecognizer | None = None
_default_lock = threading.Lock()


def default_recognizer() -> DetectorRecognizer:
    """The process-wide recognizer with the shipped models, created on first use.

    Loading the detector, the classifier and the neighbour model takes a
    while and their sessions are thread-safe, so one instance serves every
    request of a process.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = DetectorRecognizer()
        return _default
