"""A second opinion on what each detected symbol is: the symbol classifier and its neighbours.

The detector is good at *where* symbols are, and reads *what* they are from
a 32-pixel view of the whole line with one network for all classes. The
symbol classifier reads each symbol's own ink alone, larger and thinned, and
the neighbour model rereads those readings along the line (a ``(`` is
followed by a ``)``, a ``\\times`` stands between two numbers). Combined
as a weighted geometric mean with the detector's own class scores, the two
opinions correct each other's slips: on the dev writers (126 canvases and
126 photos, the epoch-14 detector) reading whole went from 75 to 77 and from
60 to 62 with their share at :data:`SHARE`.

Only symbols of the classifier's classes get a second opinion; a comparison
or an ``other`` keeps the detector's reading.

Ink that no detected symbol explains (:meth:`mathocr.detect.model.InkFitter.unexplained`:
the long stroke of a root over a nested expression, a faint stroke on a
photo) is read by the classifier too, and becomes a symbol when the classifier
is sure of it (:data:`SURE`); on the dev writers with the epoch-32 detector
this took reading whole from 79 to 87 canvases and from 76 to 91 photos of 126.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from ..geometry import mask_geometry, pen_free_sizes, symbol_geometry, typical_mask_size
from ..neighbours import AsRecognizer, NeighbourModel, shipped_neighbours
from ..symbols import CLASSES, normalize_symbols
from .classes import DETECTOR_CLASSES
from .decode import box_iou
from .model import ALTERNATIVES, Found, Unexplained
from .prepare import Prepared

__all__ = ["SHARE", "SURE", "ClassifierView", "Relabeller", "classifier_view", "prepared_pen"]

#: Weight of the classifier-and-neighbours reading against the detector's class scores
#: (0 keeps the detector's, 1 takes theirs). Chosen on the dev writers, 126 canvases
#: and 126 photos read whole (epoch-14 detector): none → 75 / 60, 0.5 → 77 / 62,
#: 0.7 → 76 / 60, 1 → 76 / 57.
SHARE = 0.5

#: The classifier's least probability for a piece of unexplained ink to become a symbol.
#: Chosen with :data:`mathocr.detect.model.UNEXPLAINED_SIDE` on the dev writers
#: (epoch-32 detector; 126 canvases / 126 photos read whole, side in typical heights:
#: probability): none 79 / 76; 1 : 0.95 → 79 / 82; 1 : 0.8 → 82 / 87; 1 : 0.7 → 83 / 88;
#: 0.75 : 0.7 → 86 / 90; 0.5 : 0.8 → 85 / 89; 0.5 : 0.7, 0.5 : 0.6 and 0.25 : 0.7 → 87 / 91.
SURE = 0.7

#: A sure piece of unexplained ink overlapping a detected symbol of its class this much
#: (IoU) is that symbol's stroke, and widens its box, rather than a symbol of its own
#: (a root found with a box too short took a second root). Dev writers, read whole,
#: 126 canvases / 126 photos: epoch-48 detector 89 / 90 without, 91 / 92 with.
SAME_STROKE_IOU = 0.5

_OURS = np.array([DETECTOR_CLASSES.index(c) for c in CLASSES])


def prepared_pen(prepared: Prepared) -> float:
    """The pen width in the detector's frame, where the symbols' ink masks are cut."""
    return max(1.0, prepared.pen_width * prepared.scale)


@dataclass(frozen=True)
class ClassifierView:
    """The detected symbols the classifier reads, as it reads them."""

    picked: list[int]
    """Indices of those symbols among the found ones."""
    masks: list[np.ndarray]
    """Their ink, each within its fitted box."""
    reference: float
    """The typical symbol's pen-free size among them (the geometry's unit)."""
    images: np.ndarray
    """(N, 32, 32) the classifier's normalized inputs."""
    geometry: np.ndarray
    """(N, 3) each one's size against the typical symbol (:mod:`mathocr.geometry`)."""


def classifier_view(found: Sequence[Found], pen: float) -> ClassifierView | None:
    """What the symbol classifier is given of *found*; ``None`` when it reads none of them.

    Only symbols the detector labels with one of the classifier's classes,
    and that hold ink, are read. One function for the recognizer and for
    ``mathocr dataset cut``, so that the classifier is trained on exactly
    the inputs it is shown when serving.
    """
    picked = [k for k, f in enumerate(found) if f.label in CLASSES and f.ink.any()]
    if not picked:
        return None
    masks = [found[k].ink for k in picked]
    reference = max(typical_mask_size(masks, pen), 1e-6)
    return ClassifierView(
        picked,
        masks,
        reference,
        normalize_symbols(masks),
        mask_geometry(masks, pen, reference),
    )


class ProbabilityModel(Protocol):
    """The symbol classifier as used here."""

    version: str

    def probabilities(
        self, batch: np.ndarray, geometry: np.ndarray | None = None
    ) -> np.ndarray: ...


class Relabeller:
    """Rereads detected symbols with the symbol classifier and the neighbour model.

    Parameters
    ----------
    classifier : the symbol classifier (default: the shipped one).
    neighbours : the neighbour model trained on *classifier*'s readings
        (default: the shipped one, if its card names *classifier*).
    share : weight of their reading against the detector's.
    """

    def __init__(
        self,
        classifier: ProbabilityModel | None = None,
        neighbours: NeighbourModel | None = None,
        *,
        share: float = SHARE,
        threads: int = 1,
    ) -> None:
        if classifier is None:
            from ..classifier import SymbolClassifier

            classifier = SymbolClassifier(threads=threads)
        self.classifier = classifier
        if neighbours is None:
            neighbours = shipped_neighbours(classifier.version, threads=threads)
        #: The neighbour model, or None when none was trained on *classifier*'s readings.
        self.neighbours: NeighbourModel | None = neighbours
        self._reader = AsRecognizer(neighbours) if neighbours is not None else None
        self.share = share
        self.version = classifier.version + (f"+{neighbours.version}" if neighbours else "")

    def relabel(
        self, found: list[Found], prepared: Prepared, unexplained: Sequence[Unexplained] = ()
    ) -> list[Found]:
        """*found* with every symbol of the classifier's classes read again, left to right,
        and the pieces of *unexplained* ink the classifier is sure of added as symbols."""
        pen = prepared_pen(prepared)
        found = self._recovered(found, unexplained, pen, prepared.symbol_height)
        view = classifier_view(found, pen)
        if view is None:
            return found
        picked, masks, reference = view.picked, view.masks, view.reference
        theirs = np.asarray(self.classifier.probabilities(view.images, view.geometry), np.float32)
        if self._reader is not None:
            sizes = pen_free_sizes((m.shape for m in masks), pen)
            centres = np.array(
                [
                    ((f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2)
                    for f in (found[k] for k in picked)
                ]
            )
            boxes = np.hstack([centres - sizes / 2, centres + sizes / 2]) / reference
            theirs = self._reader.rescore(theirs, boxes, symbol_geometry(sizes, reference))
        out = list(found)
        blended = _blended([found[k] for k in picked], theirs, self.share)
        for k, reread in zip(picked, blended, strict=True):
            out[k] = reread
        return out

    def _recovered(
        self,
        found: list[Found],
        unexplained: Sequence[Unexplained],
        pen: float,
        symbol_height: float,
    ) -> list[Found]:
        """*found* and the unexplained pieces the classifier is :data:`SURE` of, left to right."""
        pieces = [u for u in unexplained if u.ink.any()]
        if not pieces:
            return found
        masks = [u.ink for u in pieces]
        probs = self.classifier.probabilities(
            normalize_symbols(masks), mask_geometry(masks, pen, max(symbol_height, 1e-6))
        )
        out = list(found)
        for piece, row in zip(pieces, probs, strict=True):
            k = int(np.argmax(row))
            if row[k] < SURE:
                continue
            same = [j for j, f in enumerate(out) if f.label == CLASSES[k]]
            if same:
                overlap = box_iou(np.array(piece.box), np.array([out[j].box for j in same]))[0]
                j = int(np.argmax(overlap))
                if overlap[j] >= SAME_STROKE_IOU:
                    # The detector found this symbol but its box fell short of the
                    # stroke (a tall root): the stroke is the symbol's, not another.
                    f = out[same[j]]
                    box = (
                        min(f.box[0], piece.box[0]),
                        min(f.box[1], piece.box[1]),
                        max(f.box[2], piece.box[2]),
                        max(f.box[3], piece.box[3]),
                    )
                    out[same[j]] = replace(f, box=box)
                    continue
            scores = np.zeros(len(DETECTOR_CLASSES), np.float32)
            scores[_OURS[k]] = row[k]
            p = float(row[k])
            out.append(Found(CLASSES[k], p, (), piece.box, p, scores=scores, ink=piece.ink))
        out.sort(key=lambda f: (f.box[0], f.box[1]))
        return out


def _blended(found: Sequence[Found], theirs: np.ndarray, share: float) -> list[Found]:
    """Each of *found* read by the weighted geometric mean of the detector's and its row of *theirs*.

    All symbols in one go: the same element-wise arithmetic, row by row, as
    reading each alone, at a fraction of the calls.
    """
    if not found:
        return []
    ours = np.stack([f.scores[_OURS] for f in found]).astype(np.float64)
    ours = ours / np.maximum(ours.sum(axis=1, keepdims=True), 1e-9)
    logs = (1 - share) * np.log(np.clip(ours, 1e-6, 1)) + share * np.log(np.clip(theirs, 1e-6, 1))
    p = np.exp(logs - logs.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    orders = np.argsort(-p, axis=1)
    return [_reread(f, row, order) for f, row, order in zip(found, p, orders, strict=True)]


def _reread(found: Found, p: np.ndarray, order: np.ndarray) -> Found:
    """*found* read as the blend's probabilities *p* (our classes), *order* most likely first."""
    label = CLASSES[int(order[0])]
    # The detector's calibrated confidence stands when both agree; when they
    # disagree, only the share of it that the blend gives the new reading.
    confidence = found.confidence if label == found.label else found.confidence * float(p[order[0]])
    rest = max(float(p[order[1:]].sum()), 1e-9)
    alternatives = tuple(
        (CLASSES[int(j)], round((1 - confidence) * float(p[j]) / rest, 4))
        for j in order[1 : 1 + ALTERNATIVES]
        if p[j] > 0.01
    )
    return replace(found, label=label, confidence=confidence, alternatives=alternatives)
