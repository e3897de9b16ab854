"""The whole recognition: image → ink → symbols → expression → meaning.

:class:`Recognizer` runs the stages in order and times each one:

1. ``load``: decode, apply EXIF orientation, shrink to working size
   (:mod:`mathocr.imaging`);
2. ``binarize``: illumination-corrected ink;
3. ``deskew``: straighten the writing;
4. ``segment``: symbol candidates (:mod:`mathocr.segmentation`);
5. ``normalize``: each candidate the shape leaves open to the 32×32 input;
6. ``classify``: all of them in one batch through the shipped model;
7. ``split``: touching symbols cut (and radicands freed) where the model was
   unsure, the pieces scored in batches;
8. ``reread``: every symbol read again beside its neighbours (:mod:`mathocr.neighbours`);
9. ``interpret``: lines, layout, context fixes, LaTeX, value and each line's
   step (:func:`mathocr.meaning.page.read_page`).

Symbol boxes are reported in the original image's pixels (upright, after EXIF),
so a client can draw them on the image it sent.

>>> from mathocr.pipeline import default_recognizer
>>> default_recognizer().recognize("2plus3.png").latex  # doctest: +SKIP
'2 + 3'
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

import cv2
import numpy as np

from .geometry import mask_geometry, pen_free_sizes, symbol_geometry
from .imaging import Deskewed, LoadedImage, binarize, deskew, load_image, work_room
from .layout import PlacedSymbol
from .marks import MAX_MARKS, find_marks
from .meaning.page import read_page
from .neighbours import AsRecognizer, NeighbourModel, shipped_neighbours
from .result import DebugImages, Recognition, RecognizedSymbol
from .second_look import mask_checks, shape_checks
from .segmentation import (
    Candidate,
    ProbabilityModel,
    Segmentation,
    group_components,
    resolve_touching,
    restrict,
    score_masks,
)
from .symbols import CLASSES, normalize_symbol, normalize_symbols, thin_strokes
from .timing import Laps

__all__ = ["Recognizer", "default_recognizer"]

#: Alternatives kept per symbol (besides its label).
ALTERNATIVES = 2


class Recognizer:
    """Reads images with one classifier; safe to share between threads.

    Parameters
    ----------
    classifier : object with ``probabilities(batch)`` and ``version``, optional
        Defaults to :func:`mathocr.classifier.default_classifier`.
    neighbours : NeighbourModel, None or ``"shipped"``
        The model that rereads each symbol beside its neighbours. ``"shipped"``
        (the default) loads the one in the package when it was trained on this
        *classifier*'s readings (its card names the symbol model's version);
        with another classifier the symbols keep their first reading. ``None``
        turns the second reading off.
    """

    def __init__(
        self,
        classifier: ProbabilityModel | None = None,
        neighbours: NeighbourModel | None | Literal["shipped"] = "shipped",
    ) -> None:
        if classifier is None:
            from .classifier import default_classifier

            classifier = default_classifier()
        self.classifier = classifier
        self.model_version = str(getattr(classifier, "version", ""))
        if neighbours == "shipped":
            neighbours = shipped_neighbours(self.model_version)
        self.neighbours: NeighbourModel | None = neighbours
        # The neighbour model as the recognizer reads it: blended with the first reading.
        self._reader = AsRecognizer(neighbours) if neighbours is not None else None
        if neighbours is not None:
            # Both models made the reading; a stored result names both.
            self.model_version += f"+{neighbours.version}"

    def __repr__(self) -> str:
        return f"Recognizer(model_version={self.model_version!r})"

    def recognize(self, image: Any, *, debug: bool = False) -> Recognition:
        """Recognize one image: a path, encoded bytes, a Pillow image or an array.

        Raises :class:`~mathocr.errors.ImageError` when the input is not a
        usable image; problems with the *expression* are reported in the
        result's ``error`` instead, with the symbols and LaTeX still filled in.
        """
        laps = Laps()
        lap = laps.lap

        loaded = load_image(image)
        lap("load")
        ink = binarize(loaded.gray)
        lap("binarize")
        straight = deskew(ink.binary, pen_width=ink.pen_width)
        lap("deskew")
        marks = find_marks(straight.binary, pen_width=ink.pen_width)
        factor = _enlargement(marks.height, loaded.gray.shape)
        if factor > 1.0:
            # Writing too small to binarize and split well (written small, or a
            # low-resolution photo): read it again from an enlarged copy.
            loaded = loaded.enlarged(factor)
            ink = binarize(loaded.gray)
            straight = deskew(ink.binary, pen_width=ink.pen_width)
            marks = find_marks(straight.binary, pen_width=ink.pen_width)
        seg = group_components(straight.binary, pen_width=ink.pen_width, marks=marks)
        lap("segment")
        free = [i for i, c in enumerate(seg.candidates) if c.allowed is None]
        masks = [seg.candidates[i].mask for i in free]
        batch = normalize_symbols(masks)
        geometry = mask_geometry(masks, seg.pen_width, seg.reference)
        lap("normalize")
        first = np.asarray(self.classifier.probabilities(batch, geometry), np.float32)
        lap("classify")
        candidates = resolve_touching(seg, dict(zip(free, first, strict=True)), self.classifier)
        probs = self._probabilities(candidates, seg)
        lap("split")
        probs = self._second_look(candidates, probs, seg)
        lap("reread")
        placed = [_placed(c, p) for c, p in zip(candidates, probs, strict=True)]
        page = read_page(placed)
        parted = _parted(candidates, page.labels)
        if parted is not None:
            # An x joined from two neighbours that the expression has no room
            # for ("= 1x.36"): read the two as they were written instead.
            candidates = parted
            probs = self._second_look(candidates, self._probabilities(candidates, seg), seg)
            page = read_page([_placed(c, p) for c, p in zip(candidates, probs, strict=True)])
        lap("interpret")
        symbols = tuple(
            _recognized(c, p, label, loaded, straight)
            for c, p, label in zip(candidates, probs, page.labels or (), strict=False)
        )
        fields = page.recognition_fields()
        if seg.marks > MAX_MARKS:
            fields["error"] = (
                f"the image holds {seg.marks} separate marks, too many for one "
                "handwritten expression (noise or texture?)"
            )
        elif not candidates:
            fields["error"] = "no handwriting found in the image"
        debug_images = None
        if debug:
            debug_images = _debug_images(loaded, ink.normalized, straight, candidates, symbols)
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

    def _second_look(
        self, candidates: Sequence[Candidate], probs: list[np.ndarray], seg: Segmentation
    ) -> list[np.ndarray]:
        """*probs* read again beside the neighbours, then checked against the symbols' shapes.

        A "T" read as a doubted 7 becomes a + (mathocr.tee), an 8 with an eye
        filled in, read as 6, 0 or 9, an 8 (mathocr.filled_loop), and a ÷ with
        a dot run into its bar, read as +, a ÷ (mathocr.second_look).

        Both passes over the candidates (the first, and the one after an x is
        parted) end their reading here.
        """
        if self._reader is not None and candidates:
            probs = _reread(self._reader, candidates, probs, seg)
        probs = [
            mask_checks(c.mask, p, seg.pen_width) for c, p in zip(candidates, probs, strict=True)
        ]
        normalized = [partial(normalize_symbol, c.mask) for c in candidates]
        return list(shape_checks(normalized, np.asarray(probs, np.float32)))

    def _probabilities(
        self, candidates: Sequence[Candidate], seg: Segmentation
    ) -> list[np.ndarray]:
        """Class probabilities per candidate, restricted to what its shape allows.

        Candidates still unscored go through the model in one batch; pieces of
        split blobs were scored while splitting and are not run again.
        """
        scored: dict[int, np.ndarray] = {}
        todo = []
        for i, c in enumerate(candidates):
            if c.probabilities is not None:
                scored[i] = c.probabilities
            elif c.allowed is not None and len(c.allowed) == 1:
                # The shape alone decided (a bar, a dot, =, ÷): nothing to ask the model.
                scored[i] = np.zeros(len(CLASSES), np.float32)
                scored[i][CLASSES.index(next(iter(c.allowed)))] = 1.0
            else:
                todo.append(i)
        if todo:
            masks = [candidates[i].mask for i in todo]
            out = score_masks(self.classifier, masks, seg.pen_width, seg.reference)
            for i, row in zip(todo, out, strict=True):
                scored[i] = row
        return [restrict(scored[i], c.allowed) for i, c in enumerate(candidates)]


def _parted(
    candidates: Sequence[Candidate], labels: Sequence[str] | None
) -> list[Candidate] | None:
    """The candidates with every joined ``x`` that was read as something else parted again.

    :func:`~mathocr.segmentation.resolve_touching` joins two neighbours when
    the model reads their union as an ``x`` far more surely than each alone;
    when the grammar then finds no place for an ``x`` there and picks another
    label, the join was wrong. ``None`` when there is nothing to part.
    """
    if not labels:
        return None
    undo = {
        i
        for i, (c, label) in enumerate(zip(candidates, labels, strict=False))
        if c.parts and label not in ("x", "\\times")
    }
    if not undo:
        return None
    out = [q for i, c in enumerate(candidates) for q in (c.parts if i in undo else (c,))]
    out.sort(key=lambda c: (c.box[0], c.box[1]))
    return out


def _reread(
    model: AsRecognizer,
    candidates: Sequence[Candidate],
    probs: Sequence[np.ndarray],
    seg: Segmentation,
) -> list[np.ndarray]:
    """*probs* read again by *model*, each still restricted to what its shape allows.

    Boxes go in pen-free and in units of the expression's typical symbol, as
    the training strokes' boxes did.
    """
    pen, reference = seg.pen_width, max(seg.reference, 1e-6)
    sizes = pen_free_sizes((c.mask.shape for c in candidates), pen)  # a mask spans its box
    centres = np.array([(x + w / 2, y + h / 2) for x, y, w, h in (c.box for c in candidates)])
    boxes = np.hstack([centres - sizes / 2, centres + sizes / 2])
    geometry = symbol_geometry(sizes, reference)
    again = model.rescore(np.array(probs), boxes / reference, geometry)
    return [restrict(row, c.allowed) for row, c in zip(again, candidates, strict=True)]


def _ranked(probs: np.ndarray) -> list[tuple[str, float]]:
    order = np.argsort(-probs)[: ALTERNATIVES + 1]
    return [(CLASSES[int(k)], float(probs[k])) for k in order if probs[k] > 0]


#: Writing whose typical symbol is shorter than this many pixels is read from an enlarged copy
#: (79 valid expressions drawn 30 px tall: 49 right as they were, 57 enlarged; 40 px: 57 → 59).
#: Raising it to 50 px gained more on small writing but cost the benchmark's canvases a quarter
#: more time, since then half of them are read twice ...
SMALL_WRITING_PX = 44.0
#: ... enlarged so that its typical symbol is about this tall, at most MAX_ENLARGEMENT times.
ENLARGED_WRITING_PX = 64.0
MAX_ENLARGEMENT = 3.0


def _enlargement(height: float, shape: tuple[int, ...]) -> float:
    """How much to enlarge the working image for writing *height* pixels tall (1: not at all).

    Never beyond the working size limit, so an enlarged image costs no more
    than a large photo.
    """
    if not 0 < height < SMALL_WRITING_PX:
        return 1.0
    h, w = shape[:2]
    factor = min(MAX_ENLARGEMENT, ENLARGED_WRITING_PX / height, work_room(w, h))
    return factor if factor >= 1.2 else 1.0


def _placed(cand: Candidate, probs: np.ndarray) -> PlacedSymbol:
    ranked = _ranked(probs)
    label, confidence = ranked[0]
    return PlacedSymbol(
        label=label, box=cand.box, confidence=confidence, alternatives=tuple(ranked[1:])
    )


def _recognized(
    cand: Candidate,
    probs: np.ndarray,
    label: str,
    loaded: LoadedImage,
    straight: Deskewed,
) -> RecognizedSymbol:
    """The symbol as reported: final label, its probability, box in original pixels."""
    left, top, right, bottom = straight.box_to_input(cand.box, loaded.scale)
    width, height = loaded.size
    x0 = int(np.clip(np.floor(left), 0, width))
    y0 = int(np.clip(np.floor(top), 0, height))
    x1 = int(np.clip(np.ceil(right), 0, width))
    y1 = int(np.clip(np.ceil(bottom), 0, height))
    index = CLASSES.index(label) if label in CLASSES else None
    confidence = float(probs[index]) if index is not None else 0.0
    alternatives = tuple((a, p) for a, p in _ranked(probs) if a != label)[:ALTERNATIVES]
    return RecognizedSymbol(
        label=label,
        confidence=confidence,
        alternatives=alternatives,
        box=(x0, y0, x1 - x0, y1 - y0),
        components=cand.components,
    )


def _debug_images(
    loaded: LoadedImage,
    normalized: np.ndarray,
    straight: Deskewed,
    candidates: Sequence[Candidate],
    symbols: Sequence[RecognizedSymbol],
) -> DebugImages:
    """The steps as pictures, all in the straightened working frame.

    Thinning the whole image is slow, which is why it happens only here.
    """
    binary = straight.binary
    h, w = binary.shape
    gray = cv2.warpAffine(
        normalized, straight.matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255
    )
    ink = np.where(binary > 0, 0, 255).astype(np.uint8)
    thinned = np.where(thin_strokes(binary > 0), 0, 255).astype(np.uint8)
    boxes = cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR)
    scale = max(0.4, min(2.0, h / 400))
    for cand, sym in zip(candidates, symbols, strict=False):
        x, y, bw, bh = cand.box
        cv2.rectangle(boxes, (x, y), (x + bw - 1, y + bh - 1), (0, 0, 220), 1)
        text = sym.label.replace("\\", "")
        cv2.putText(
            boxes,
            text,
            (x, max(10, y - 3)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * scale,
            (200, 60, 0),
            1,
            cv2.LINE_AA,
        )
    return DebugImages(gray=gray, binary=ink, thinned=thinned, boxes=boxes)


_default: Recognizer | None = None
_default_lock = threading.Lock()


def default_recognizer() -> Recognizer:
    """The process-wide recognizer with the shipped model (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Recognizer()
        return _default
