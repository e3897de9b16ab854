"""A second reading of every symbol, made with its neighbours in view.

The symbol model sees one 32×32 skeleton and two size numbers. Some shapes
carry two labels in isolation: a straight ``(`` is a ``1``, a ``/`` is a
slanted ``1``, an ``x`` is a ``\\times``. Their neighbours tell them apart: a
``(`` is followed, somewhere to its right, by a ``)``; a ``\\times`` stands
between two numbers on the line, an ``x`` next to a power or a coefficient.

The neighbour model is a small bidirectional GRU over the expression's symbols
in reading order (left to right). Each step sees the symbol model's
log-probabilities, its geometry, and where it sits against its neighbours
(:func:`sequence_features`). It outputs corrected logits as a residual on the
first reading, so with nothing to say it repeats the symbol model.

Training (symbols drawn from InkML strokes, in ink units) and recognition
(symbols detected in an image, in pixels) both call :func:`sequence_features`
here with boxes measured in units of the expression's typical symbol, pen-free,
so the two sides measure alike.

>>> probs = np.full((2, len(CLASSES)), 1 / len(CLASSES), np.float32)
>>> boxes = np.array([[2.0, 0, 2.5, 1], [0.0, 0, 0.5, 1]])
>>> feats, order = sequence_features(probs, boxes, np.zeros((2, 3), np.float32))
>>> feats.shape, order.tolist()
((2, 34), [1, 0])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .geometry import GEOMETRY_FEATURES
from .model_files import checked_card, cpu_session
from .symbols import CLASSES

__all__ = [
    "CARD_FORMAT",
    "CONTEXT_SHARE",
    "DEFAULT_NEIGHBOURS",
    "FEATURES",
    "FEATURES_FUNCTION",
    "LAYOUT_FEATURES",
    "AsRecognizer",
    "NeighbourModel",
    "blend",
    "load_neighbour_card",
    "sequence_features",
    "shipped_neighbours",
]

#: Per symbol, beside its log-probabilities and geometry: see :func:`sequence_features`.
LAYOUT_FEATURES = 10
FEATURES = len(CLASSES) + GEOMETRY_FEATURES + LAYOUT_FEATURES
#: The one function whose output the model reads; its card must name it.
FEATURES_FUNCTION = "mathocr.neighbours.sequence_features"
CARD_FORMAT = 1
DEFAULT_NEIGHBOURS = Path(__file__).resolve().parent / "models" / "neighbours.onnx"
_CARD_SUFFIX = ".card.json"
_LOG_FLOOR = 1e-6
_CLIP = 5.0


def sequence_features(
    probs: np.ndarray, boxes: np.ndarray, geometry: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The neighbour model's input for one expression, and the reading order used.

    Parameters
    ----------
    probs : (N, classes) the symbol model's probabilities.
    boxes : (N, 4) ``x0, y0, x1, y1`` of each symbol's pen-free extent, in units
        of the expression's typical symbol (so a writer's size does not matter).
    geometry : (N, 3) the symbol model's side input.

    Returns the (N, :data:`FEATURES`) float32 rows in reading order (by the
    boxes' horizontal centres) and that order as indices into the inputs. The
    layout part: vertical centre, top and bottom against the line's median
    centre; the gap to the previous and to the next symbol; the change in
    vertical centre from each; first and last flags; and the horizontal
    position across the expression. The line's median, not its first symbol,
    is the anchor: a leading ``(`` or a power should not move everything else.
    """
    probs = np.asarray(probs, np.float32).reshape(-1, len(CLASSES))
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    geometry = np.asarray(geometry, np.float32).reshape(-1, GEOMETRY_FEATURES)
    if not len(probs) == len(boxes) == len(geometry):
        raise ValueError("probs, boxes and geometry must describe the same symbols")
    n = len(boxes)
    order = np.argsort((boxes[:, 0] + boxes[:, 2]) / 2, kind="stable")
    if n == 0:
        return np.zeros((0, FEATURES), np.float32), order
    b = boxes[order]
    centre = (b[:, 1] + b[:, 3]) / 2
    line = float(np.median(centre))
    layout = np.zeros((n, LAYOUT_FEATURES), np.float64)
    layout[:, 0] = centre - line
    layout[:, 1] = b[:, 1] - line
    layout[:, 2] = b[:, 3] - line
    if n > 1:
        gap = b[1:, 0] - b[:-1, 2]
        step = centre[1:] - centre[:-1]
        layout[1:, 3] = gap
        layout[:-1, 4] = gap
        layout[1:, 5] = step
        layout[:-1, 6] = step
    layout[0, 7] = 1.0
    layout[-1, 8] = 1.0
    span = max(float(b[:, 2].max() - b[0, 0]), 1e-3)
    layout[:, 9] = (b[:, 0] - b[0, 0]) / span
    logs = np.log(np.clip(probs[order], _LOG_FLOOR, 1.0))
    out = np.concatenate([logs, geometry[order], np.clip(layout, -_CLIP, _CLIP)], axis=1)
    return out.astype(np.float32), order


#: Weight of the neighbour model's reading against the symbol model's own in the
#: recognizer (a weighted geometric mean of the two). The neighbour model learnt from
#: symbols drawn from their strokes; an image's symbols are cut and binarized, and
#: trusting its context fully turned sound readings over (a flat-topped 3 read 7 next to
#: "1" and "6"). Measured side by side over 0.3/0.5/0.6/1.0 on the valid images, every
#: 2nd train expression and the robustness variants: 0.5 was best on the robustness
#: images (988 → 1002 of 1264), +1 valid, -1 train; the others were within noise of 1.0.
#: On the valid symbols drawn from strokes (what the card measures) it costs a little:
#: 99.18% → 99.01%, mostly \times read x where the context alone was sure.
CONTEXT_SHARE = 0.5


def blend(first: np.ndarray, again: np.ndarray, share: float) -> np.ndarray:
    """Rows of *again* and *first* combined as a weighted geometric mean, renormalized.

    *share* is the weight of *again*: 1 takes it as it is, 0 keeps *first*.
    """
    logs = share * np.log(np.clip(again, 1e-6, 1.0)) + (1.0 - share) * np.log(
        np.clip(first, 1e-6, 1.0)
    )
    out = np.exp(logs - logs.max(axis=1, keepdims=True))
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


def _card_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.stem + _CARD_SUFFIX)


def load_neighbour_card(model_path: str | Path) -> dict[str, Any]:
    """Read and check the card beside *model_path*; :class:`ModelError` on any mismatch."""
    model_path = Path(model_path)

    def input_problems(inp: dict[str, Any]) -> list[str]:
        if inp.get("function") == FEATURES_FUNCTION and inp.get("features") == FEATURES:
            return []
        return [
            f"input is {inp.get('features')!r} features from {inp.get('function')!r}, "
            f"expected {FEATURES} from {FEATURES_FUNCTION!r}"
        ]

    return checked_card(
        model_path, _card_path(model_path), card_format=CARD_FORMAT, input_problems=input_problems
    )


class NeighbourModel:
    """An ONNX Runtime session over the neighbour model, checked against its card.

    One expression per call: the GRU reads the whole line in both directions,
    so padding several lines into one batch would let padding leak into the
    backward pass. A line is a few dozen symbols; one call costs well under a
    millisecond. ONNX Runtime sessions may be shared between threads.
    """

    def __init__(self, model_path: str | Path | None = None, *, threads: int = 1) -> None:
        self.path = Path(model_path) if model_path is not None else DEFAULT_NEIGHBOURS
        self.card = load_neighbour_card(self.path)
        self.version: str = str(self.card.get("version", ""))
        self._session = cpu_session(self.path, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or inputs[0].shape[-1] != FEATURES:
            raise ModelError(f"{self.path}: expected one input of (1, L, {FEATURES}) features")
        if len(outputs) != 1 or outputs[0].shape[-1] != len(CLASSES):
            raise ModelError(f"{self.path}: expected one output of {len(CLASSES)} classes")
        self._input, self._output = inputs[0].name, outputs[0].name

    def __repr__(self) -> str:
        return f"NeighbourModel({str(self.path)!r}, version={self.version!r})"

    def rescore(self, probs: np.ndarray, boxes: np.ndarray, geometry: np.ndarray) -> np.ndarray:
        """The symbols' probabilities read again in context, in the order given.

        Same arguments as :func:`sequence_features`; returns (N, classes) float32.
        """
        feats, order = sequence_features(probs, boxes, geometry)
        if len(feats) == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        out = self._session.run([self._output], {self._input: feats[None]})[0][0]
        back = np.empty_like(out)
        back[order] = out
        return back.astype(np.float32)


def shipped_neighbours(symbol_model: str, *, threads: int = 1) -> NeighbourModel | None:
    """The packaged neighbour model, if there is one and it was trained on *symbol_model*.

    Its card names the symbol model whose readings it learnt from; on another
    model's readings it would mislead, so then there is none.
    """
    if not DEFAULT_NEIGHBOURS.exists():
        return None
    model = NeighbourModel(DEFAULT_NEIGHBOURS, threads=threads)
    return model if model.card.get("symbol_model") == symbol_model else None


class AsRecognizer:
    """A neighbour model read as the recognizer reads it: blended with the first reading.

    For figures meant to say what users get (``evaluate-symbols``, the
    benchmark); the model's card keeps its own, unblended figures.
    """

    def __init__(self, model: NeighbourModel, share: float = CONTEXT_SHARE) -> None:
        self.model, self.share = model, share
        self.version, self.path, self.card = model.version, model.path, model.card

    def rescore(self, probs: np.ndarray, boxes: np.ndarray, geometry: np.ndarray) -> np.ndarray:
        """:meth:`NeighbourModel.rescore`, blended with *probs* at :attr:`share`."""
        return blend(
            np.asarray(probs, np.float32), self.model.rescore(probs, boxes, geometry), self.share
        )
