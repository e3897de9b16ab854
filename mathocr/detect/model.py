"""The shipped symbol detector, served with ONNX Runtime.

:class:`SymbolDetector` checks the card beside the model (format, classes,
the preparation its input must come from, checksum) and turns a prepared
image into symbols: decoded peaks, each box fitted to the ink it covers, and
a calibrated confidence with the runner-up classes. No torch here.

>>> from mathocr.detect.model import default_detector
>>> found = default_detector().detect(prepared)  # doctest: +SKIP
>>> found[0].label, found[0].confidence  # doctest: +SKIP
('7', 0.98)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import ModelError
from ..model_files import checked_card, cpu_session, expected_input
from ..symbols import crop_to_ink
from .classes import DETECTOR_CLASSES, OTHER
from .decode import SAME_SYMBOL_IOU, Detection, box_iou, decode
from .prepare import MULTIPLE, TARGET_HEIGHT, Prepared

__all__ = [
    "CARD_FORMAT",
    "CARD_NAME",
    "DEFAULT_DETECTOR",
    "Found",
    "SymbolDetector",
    "calibrated",
    "default_detector",
    "InkFitter",
    "Unexplained",
]

CARD_FORMAT = 1
CARD_NAME = "detector_card.json"
PREPARATION = "mathocr.detect.prepare.prepare"
DEFAULT_DETECTOR = Path(__file__).resolve().parent.parent / "models" / "detector.onnx"
#: Runner-up classes kept per symbol.
ALTERNATIVES = 2
#: A peak read best as ``other`` is read as our likeliest class instead when that
#: scores at least this share of ``other``'s: a 1 is also an l, an x also a y, and
#: the expression's own classes are what a user of this tool writes. Chosen on the
#: dev writers (epoch-6 model, 126 canvases: 35.7% read whole with no yield, 38.9%
#: at 0.5, 38.1% at 0.25 and at 0.1).
OTHER_YIELD = 0.5
_OTHER = DETECTOR_CLASSES.index(OTHER)
#: The share of a piece of ink that must lie inside a box for the box to claim it.
CLAIM = 0.5
#: The share of a piece another box must hold for a box to keep only its own part of it.
SHARED = 0.25
#: The least longer side, in typical symbol heights, of a piece of ink left unexplained
#: that is worth a second look (smaller ones are specks, dots and stray marks); chosen
#: with :data:`mathocr.detect.relabel.SURE` on the dev writers.
UNEXPLAINED_SIDE = 0.5


@dataclass(frozen=True)
class Found:
    """One symbol found in a prepared image."""

    label: str
    confidence: float
    """Calibrated probability that this symbol is there and is *label*."""
    alternatives: tuple[tuple[str, float], ...]
    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 in the prepared image, fitted to the ink inside the predicted box."""
    score: float
    """The raw peak score (what the decoding threshold applies to)."""
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), compare=False)
    """(C,) every class's raw heatmap score at the peak, in :data:`DETECTOR_CLASSES` order."""
    ink: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool), compare=False)
    """The symbol's own ink within *box* (:meth:`InkFitter.symbol_ink`)."""


@dataclass(frozen=True)
class Unexplained:
    """A piece of ink that no detected symbol explains: a symbol the detector missed, or noise."""

    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 of the piece in the prepared image."""
    ink: np.ndarray
    """The piece's own pixels within *box*."""


def calibrated(score: np.ndarray | float, a: float, b: float) -> np.ndarray:
    """Platt scaling of a peak score: ``sigmoid(a · logit(score) + b)``."""
    s = np.clip(np.asarray(score, np.float64), 1e-6, 1 - 1e-6)
    return 1.0 / (1.0 + np.exp(-(a * np.log(s / (1 - s)) + b)))


class InkFitter:
    """Fits predicted boxes to the ink each one explains, the ink's pieces labelled once.

    A predicted box is a little too big or too small; the ink is exact. Fitting
    each box to every inked pixel inside it keeps the error of a box that is
    too wide (it takes in the ``+`` before a nested root, or a root's whole
    radicand) and cannot grow a box that is too short (a tall root whose
    left end lies beyond what the network sees from its centre). So the ink's
    connected pieces are shared out first: a piece goes to the box holding at
    least :data:`CLAIM` of its pixels, the smallest such box when several do
    (the digit under a root rather than the root). A box then spans its pieces
    whole, or only their part inside it where another box holds a good share
    of the piece too (a stroke that joins two symbols). A box that gets no
    piece, because the writer joined several symbols into one stroke, fits to
    all the ink inside it, having nothing better to go on.
    """

    def __init__(self, ink: np.ndarray) -> None:
        self.ink = ink
        self.share = np.zeros((0, 0))
        """(boxes, pieces): the share of each piece inside each box, from the last :meth:`fit`."""
        self.owned: list[np.ndarray] = []
        """The pieces each box of the last :meth:`fit` owns."""
        self._count, self.pieces, stats, _ = cv2.connectedComponentsWithStats(
            ink.astype(np.uint8), connectivity=8
        )
        self.areas = np.maximum(stats[:, cv2.CC_STAT_AREA].astype(np.float64), 1.0)
        # x0, y0, x1, y1 of every piece (row 0 is the paper)
        self.extents = np.stack(
            [
                stats[:, cv2.CC_STAT_LEFT],
                stats[:, cv2.CC_STAT_TOP],
                stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH],
                stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT],
            ],
            axis=1,
        ).astype(np.float64)

    def _window(self, box: tuple[float, float, float, float], slack: float) -> tuple[int, ...]:
        h, w = self.ink.shape
        return (
            int(max(0, np.floor(box[0] - slack))),
            int(max(0, np.floor(box[1] - slack))),
            int(min(w, np.ceil(box[2] + slack))),
            int(min(h, np.ceil(box[3] + slack))),
        )

    def fit(
        self, boxes: list[tuple[float, float, float, float]], slack: float = 2.0
    ) -> list[tuple[float, float, float, float]]:
        """Each of *boxes* fitted to the ink it explains; a box over no ink stays as it is."""
        windows = [self._window(b, slack) for b in boxes]
        share = np.zeros((len(boxes), self._count))
        for i, (x0, y0, x1, y1) in enumerate(windows):
            if x1 > x0 and y1 > y0:
                inside = np.bincount(self.pieces[y0:y1, x0:x1].ravel(), minlength=self._count)
                share[i] = inside / self.areas
        share[:, 0] = 0.0  # the paper is nobody's
        area = np.array([max(1.0, (b[2] - b[0]) * (b[3] - b[1])) for b in boxes])
        # Among the boxes that hold enough of a piece, the smallest owns it.
        holds = share >= CLAIM
        owner = np.where(holds, area[:, None], np.inf).argmin(axis=0) if len(boxes) else []
        owned = holds.any(axis=0) if len(boxes) else np.zeros(self._count, bool)
        out = []
        self.share = share
        self.owned = []
        for i, box in enumerate(boxes):
            x0, y0, x1, y1 = windows[i]
            mine = np.flatnonzero(owned & (owner == i)) if len(boxes) else np.zeros(0, np.int64)
            self.owned.append(mine)
            if x1 <= x0 or y1 <= y0:
                out.append(box)
                continue
            if mine.size == 0:
                part = self.pieces[y0:y1, x0:x1] > 0
                out.append(_extent(part, x0, y0) or box)
                continue
            others = np.delete(share[:, mine], i, axis=0)
            shared = (others >= SHARED).any(axis=0) if len(others) else np.zeros(mine.size, bool)
            spans = [self.extents[p] for p in mine[~shared]]
            if shared.any():
                part = self._of(mine[shared])[self.pieces[y0:y1, x0:x1]]
                clipped = _extent(part, x0, y0)
                if clipped is not None:
                    spans.append(np.array(clipped))
            e = np.array(spans)
            out.append(
                (
                    float(e[:, 0].min()),
                    float(e[:, 1].min()),
                    float(e[:, 2].max()),
                    float(e[:, 3].max()),
                )
            )
        return out

    def unexplained(self, min_side: float) -> list[Unexplained]:
        """The pieces of the last :meth:`fit` that no box owns or holds a fair share of.

        What the detector missed outright leaves its ink to nobody: the long
        stroke of a root drawn over a whole nested expression, which the
        network cannot see end to end, or a faint stroke on a photo.
        """
        held = self.share.max(axis=0) if len(self.share) else np.zeros(self._count)
        owned = np.zeros(self._count, bool)
        for mine in self.owned:
            owned[mine] = True
        out = []
        left = ~owned & (held < SHARED)
        left[0] = False  # the paper
        for piece in np.flatnonzero(left):
            x0, y0, x1, y1 = (int(v) for v in self.extents[piece])
            if max(x1 - x0, y1 - y0) < min_side:
                continue
            ink = self.pieces[y0:y1, x0:x1] == piece
            out.append(Unexplained((float(x0), float(y0), float(x1), float(y1)), ink))
        return out

    def symbol_ink(self, i: int, box: tuple[float, float, float, float]) -> np.ndarray:
        """The ink of the *i*-th box of the last :meth:`fit` within its fitted *box*.

        Its own pieces, or all the ink in the box when it owns none: what a
        classifier should read as this symbol, without the neighbours' ink
        that reaches into the box (the radicand under a root).
        """
        h, w = self.ink.shape
        x0, y0 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
        x1, y1 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
        part = self.pieces[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]
        mine = self.owned[i]
        mask = self._of(mine)[part] if mine.size else part > 0
        return mask if mask.any() else part > 0

    def _of(self, pieces: np.ndarray) -> np.ndarray:
        """(count,) bool, true at *pieces*: indexed by the labels, the pixels of those pieces.

        The same mask as ``numpy.isin(labels, pieces)``, at a fraction of its
        cost for a symbol's few pieces.
        """
        table = np.zeros(self._count, bool)
        table[pieces] = True
        return table


def _extent(mask: np.ndarray, x0: int, y0: int) -> tuple[float, float, float, float] | None:
    """x0, y0, x1, y1 of *mask*'s ink, the mask standing at *x0*, *y0*; None without ink."""
    found = crop_to_ink(mask)
    if found is None:
        return None
    crop, x, y = found
    h, w = crop.shape
    return (float(x0 + x), float(y0 + y), float(x0 + x + w), float(y0 + y + h))


def load_card(model_path: str | Path) -> dict[str, Any]:
    """Read and check the card of *model_path*; :class:`ModelError` on any mismatch."""
    model_path = Path(model_path)

    expected = {
        "preparation": PREPARATION,
        "target_height": TARGET_HEIGHT,
        "multiple": MULTIPLE,
        "values": "ink 1, paper 0",
    }
    return checked_card(
        model_path,
        model_path.with_name(CARD_NAME),
        card_format=CARD_FORMAT,
        input_problems=expected_input(expected),
        classes=DETECTOR_CLASSES,
    )


class SymbolDetector:
    """An ONNX Runtime session over the detector, checked against its card.

    Parameters
    ----------
    model_path : path, optional
        The ``.onnx`` file with ``detector_card.json`` beside it (default: shipped).
    threads : int
        ONNX Runtime intra-op threads (1 keeps a web worker on one core).
    """

    def __init__(self, model_path: str | Path | None = None, *, threads: int = 1) -> None:
        self.path = Path(model_path) if model_path is not None else DEFAULT_DETECTOR
        self.card = load_card(self.path)
        self.version: str = self.card["version"]
        decoding = self.card.get("decode") or {}
        calibration = self.card.get("calibration") or {}
        self.threshold = float(decoding.get("threshold", 0.3))
        self._platt = (float(calibration.get("a", 1.0)), float(calibration.get("b", 0.0)))
        self._session = cpu_session(self.path, threads)
        names = [o.name for o in self._session.get_outputs()]
        if names != ["heat", "size", "offset"]:
            raise ModelError(f"{self.path}: expected outputs heat, size, offset; got {names}")
        self._input = self._session.get_inputs()[0].name

    def __repr__(self) -> str:
        return f"SymbolDetector({str(self.path)!r}, version={self.version!r})"

    def maps(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The raw (C, h, w), (2, h, w), (2, h, w) output maps of one prepared image."""
        if image.ndim != 2 or image.shape[0] % MULTIPLE or image.shape[1] % MULTIPLE:
            raise ValueError(f"image must be 2-D with sides a multiple of {MULTIPLE}")
        heat, size, offset = self._session.run(
            None, {self._input: image.astype(np.float32)[None, None]}
        )
        return heat[0], size[0], offset[0]

    def detections(self, prepared: Prepared) -> list[Detection]:
        """The decoded peaks of *prepared*, before fitting and calibration."""
        if prepared.empty:
            return []
        return decode(*self.maps(prepared.image), threshold=self.threshold)

    def detect(self, prepared: Prepared) -> list[Found]:
        """Every symbol of *prepared*, left to right."""
        return self.read(prepared)[0]

    def read(self, prepared: Prepared) -> tuple[list[Found], list[Unexplained]]:
        """Every symbol of *prepared*, left to right, and the ink that none of them explains."""
        out: list[Found] = []
        detections = self.detections(prepared)  # strongest first
        fitter = InkFitter(prepared.ink)
        fitted = fitter.fit([d.box for d in detections])
        for i, (d, box) in enumerate(zip(detections, fitted, strict=True)):
            if (
                out
                and (
                    box_iou(np.array(box), np.array([f.box for f in out]))[0] >= SAME_SYMBOL_IOU
                ).any()
            ):
                # Two peaks on one piece of ink (a long 1 with a peak at each end):
                # fitted, their boxes coincide, and the stronger reading stands.
                continue
            label, score = d.label, d.score
            if label == _OTHER:
                ours = d.scores.copy()
                ours[_OTHER] = 0.0
                best = int(np.argmax(ours))
                if ours[best] >= OTHER_YIELD * d.scores[_OTHER]:
                    label, score = best, float(ours[best])
            confidence = float(calibrated(score, *self._platt))
            share = d.scores / max(float(d.scores.sum()), 1e-9)
            order = [int(k) for k in np.argsort(-share) if int(k) != label][:ALTERNATIVES]
            rest = max(float(share[order].sum()), 1e-9) if order else 1.0
            alternatives = tuple(
                (DETECTOR_CLASSES[k], round((1 - confidence) * float(share[k]) / rest, 4))
                for k in order
                if share[k] > 0.01
            )
            out.append(
                Found(
                    DETECTOR_CLASSES[label],
                    confidence,
                    alternatives,
                    box,
                    score,
                    scores=d.scores,
                    ink=fitter.symbol_ink(i, box),
                )
            )
        out.sort(key=lambda f: (f.box[0], f.box[1]))
        return out, fitter.unexplained(UNEXPLAINED_SIDE * prepared.symbol_height)


_default: SymbolDetector | None = None
_default_lock = threading.Lock()


def default_detector() -> SymbolDetector:
    """The shipped detector, loaded once per process (thread-safe)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SymbolDetector()
        return _default
