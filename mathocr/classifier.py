"""Classify normalized symbols with the shipped ONNX model.

The session is created once per :class:`SymbolClassifier`; the model card
beside the ``.onnx`` file is checked on load (format, classes, input box and
normalization, file checksum), so a model trained for another input can never
be served silently. No torch here: serving needs only ONNX Runtime.

>>> from mathocr.classifier import default_classifier
>>> clf = default_classifier()  # doctest: +SKIP
>>> clf.classify(batch)[0].label  # doctest: +SKIP
'7'
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .geometry import GEOMETRY_FEATURES, missing_geometry
from .model_files import checked_card, cpu_session, expected_input
from .symbols import BOX, CLASSES, MARGIN

__all__ = [
    "CARD_FORMAT",
    "CARD_NAME",
    "DEFAULT_MODEL",
    "NORMALIZER",
    "GEOMETRY_FUNCTION",
    "Prediction",
    "SymbolClassifier",
    "default_classifier",
    "load_card",
]

#: The card layout this code understands; bumped when the card's meaning changes.
CARD_FORMAT = 1
#: The card's file name, beside the model.
CARD_NAME = "model_card.json"
#: The one normalization the model's inputs must come from.
NORMALIZER = "mathocr.symbols.normalize_symbol"
#: The one function the model's second input (when it has one) must come from.
GEOMETRY_FUNCTION = "mathocr.geometry.symbol_geometry"
DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "symbols.onnx"
_TOP = 3


@dataclass(frozen=True)
class Prediction:
    """The classifier's reading of one symbol."""

    label: str
    """One of :data:`mathocr.symbols.CLASSES`."""
    probability: float
    alternatives: tuple[tuple[str, float], ...]
    """The next best labels with their probabilities, best first (top-3 in all)."""


def load_card(model_path: str | Path) -> dict[str, Any]:
    """Read and check the card of *model_path*; raise :class:`ModelError` on any mismatch."""
    model_path = Path(model_path)

    expected = {"box": BOX, "margin": MARGIN, "normalization": NORMALIZER, "values": "0/1"}
    return checked_card(
        model_path,
        model_path.with_name(CARD_NAME),
        card_format=CARD_FORMAT,
        input_problems=expected_input(expected),
    )


class SymbolClassifier:
    """An ONNX Runtime session over the symbol model, checked against its card.

    Parameters
    ----------
    model_path : path, optional
        The ``.onnx`` file; its ``model_card.json`` must sit beside it.
        Defaults to the model shipped in the package.
    threads : int
        ONNX Runtime intra-op threads (1 keeps a web worker on one core).
    """

    def __init__(self, model_path: str | Path | None = None, *, threads: int = 1) -> None:
        self.path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        self.card = load_card(self.path)
        self.version: str = self.card["version"]
        self.classes: tuple[str, ...] = CLASSES
        self._session = cpu_session(self.path, threads)
        inputs = self._session.get_inputs()
        outputs = self._session.get_outputs()
        if not inputs or list(inputs[0].shape[1:]) != [1, BOX, BOX]:
            raise ModelError(f"{self.path}: expected an input of shape (N, 1, {BOX}, {BOX})")
        if len(inputs) > 2 or (
            len(inputs) == 2 and list(inputs[1].shape[1:]) != [GEOMETRY_FEATURES]
        ):
            raise ModelError(
                f"{self.path}: expected at most a second input of shape (N, {GEOMETRY_FEATURES})"
            )
        if len(outputs) != 1 or outputs[0].shape[-1] != len(CLASSES):
            raise ModelError(f"{self.path}: expected one output of {len(CLASSES)} classes")
        self._input = inputs[0].name
        self._geometry = inputs[1].name if len(inputs) == 2 else None
        if self._geometry is not None:
            declared = (self.card.get("geometry") or {}).get("function")
            if declared != GEOMETRY_FUNCTION:
                raise ModelError(
                    f"{self.path}: the model reads symbol geometry, but its card says it "
                    f"comes from {declared!r}, not {GEOMETRY_FUNCTION!r}"
                )
        self._output = outputs[0].name

    def __repr__(self) -> str:
        return f"SymbolClassifier({str(self.path)!r}, version={self.version!r})"

    @property
    def uses_geometry(self) -> bool:
        """Whether the model reads each symbol's size in its expression."""
        return self._geometry is not None

    def probabilities(self, batch: np.ndarray, geometry: np.ndarray | None = None) -> np.ndarray:
        """(N, 32, 32) 0/1 arrays from :func:`normalize_symbol` → (N, classes) float32.

        *geometry* is the (N, 3) side input of :func:`mathocr.geometry.symbol_geometry`;
        without it the model is told the symbols' context is unknown.

        >>> clf.probabilities(np.zeros((0, 32, 32), np.uint8)).shape  # doctest: +SKIP
        (0, 21)
        """
        batch = np.asarray(batch)
        if batch.ndim == 2:
            raise ValueError("batch must be (N, 32, 32); wrap a single symbol as batch[None]")
        if batch.ndim != 3 or batch.shape[1:] != (BOX, BOX):
            raise ValueError(f"batch must have shape (N, {BOX}, {BOX}), got {batch.shape}")
        if batch.shape[0] == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        feeds = {self._input: (batch != 0).astype(np.float32)[:, None]}
        if self._geometry is not None:
            if geometry is None:
                geometry = missing_geometry(len(batch))
            geometry = np.asarray(geometry, np.float32)
            if geometry.shape != (len(batch), GEOMETRY_FEATURES):
                raise ValueError(
                    f"geometry must have shape ({len(batch)}, {GEOMETRY_FEATURES}), "
                    f"got {geometry.shape}"
                )
            feeds[self._geometry] = geometry
        out = self._session.run([self._output], feeds)[0]
        return np.asarray(out, dtype=np.float32)

    def classify(self, batch: np.ndarray, geometry: np.ndarray | None = None) -> list[Prediction]:
        """The best label, its probability and the runners-up for each symbol."""
        probs = self.probabilities(batch, geometry)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :_TOP]
        predictions = []
        for row, best in zip(probs, order, strict=True):
            ranked = [(CLASSES[i], float(row[i])) for i in best]
            predictions.append(Prediction(ranked[0][0], ranked[0][1], tuple(ranked[1:])))
        return predictions


_default: SymbolClassifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> SymbolClassifier:
    """The shipped model, loaded once per process (thread-safe)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SymbolClassifier()
    return _default
