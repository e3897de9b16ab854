"""Whole expressions as sequences of first readings: the neighbour model's data.

Every symbol of an InkML expression is drawn and normalized the way
:func:`mathocr.training.build.build_dataset` does it, read by the symbol
model, and kept with its box and geometry, in the expression's own order.
Symbols outside our classes are kept too (label ``-1``): a user's image has
no such labels, but the neighbour model must see them as neighbours all the
same, since the symbol model reads them as something.

The first rendering of each in-scope symbol uses the random stream that
``build_dataset(root, seed=seed)`` gives it, so the symbol model's figure on
these sequences is exactly the one ``mathocr evaluate-symbols`` has always
printed, and the neighbour model's gain is measured on the same drawings.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..data.inkml import InkExpression, iter_inkml, read_inkml
from ..data.render import reference_size, stroke_box, stroke_span
from ..errors import InkMLError, MathOCRError
from ..geometry import symbol_geometry, typical_size
from ..symbols import CLASS_INDEX, CLASSES, crohme_to_class
from .augment import Distortion, augment_strokes
from .build import render_symbol

__all__ = ["ExpressionSequence", "Readings", "expression_sequences", "pack", "readings", "unpack"]

#: Separates the random streams of out-of-scope symbols from build_dataset's.
_OTHER_STREAM = 1 << 30


class ProbabilityModel(Protocol):
    def probabilities(
        self, batch: np.ndarray, geometry: np.ndarray | None = None
    ) -> np.ndarray: ...


class Rereader(Protocol):
    def rescore(self, probs: np.ndarray, boxes: np.ndarray, geometry: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ExpressionSequence:
    """One expression's symbols, in the InkML's order."""

    file: str
    labels: np.ndarray
    """(N,) int64 class indices, -1 for a symbol outside our classes."""
    boxes: np.ndarray
    """(N, 4) float32 ``x0, y0, x1, y1`` of the strokes, in typical-symbol units."""
    geometry: np.ndarray
    """(N, 3) float32, as :func:`mathocr.geometry.symbol_geometry` gives it."""
    probs: np.ndarray
    """(N, classes) float32: the symbol model's reading of each drawing."""


@dataclass(frozen=True)
class _Drawn:
    file: str
    labels: np.ndarray
    boxes: np.ndarray
    geometry: np.ndarray
    images: np.ndarray


def _files_with_offsets(
    root: Path, on_error: Callable[[str], None] | None
) -> list[tuple[int, InkExpression, int]]:
    """(file number, the file read, index of its first in-scope symbol in build_dataset's count)."""
    out = []
    count = 0
    for number, path in enumerate(iter_inkml(root)):
        try:
            ink = read_inkml(path)
            for symbol in ink.symbols:
                ink.symbol_strokes(symbol)
        except InkMLError as e:
            if on_error is not None:
                on_error(str(e))
            continue
        out.append((number, ink, count))
        count += sum(crohme_to_class(s.label) is not None for s in ink.symbols)
    return out


def _draw(job: tuple[int, InkExpression, int, int, int, Distortion | None]) -> _Drawn | None:
    number, ink, first, seed, rendering, distortion = job
    if not ink.symbols:
        return None
    every = [tuple(ink.symbol_strokes(s)) for s in ink.symbols]
    reference = reference_size(ink)
    typical = typical_size(np.array([stroke_span(s) for s in every]).reshape(-1, 2))
    other = np.random.default_rng([seed, _OTHER_STREAM, rendering, number])
    labels, boxes, geometry, images = [], [], [], []
    index = first
    for symbol, strokes in zip(ink.symbols, every, strict=True):
        label = crohme_to_class(symbol.label)
        if label is not None and rendering == 0:
            rng = np.random.default_rng([seed, index])  # build_dataset's stream for it
        else:
            rng = other
        if label is not None:
            index += 1
        drawn = strokes
        if distortion is not None:
            drawn = tuple(augment_strokes(strokes, rng, distortion))
        try:
            image = render_symbol(drawn, reference, rng)
        except ValueError:  # no ink after drawing: build_dataset drops it too
            continue
        labels.append(-1 if label is None else CLASS_INDEX[label])
        boxes.append(tuple(v / typical for v in stroke_box(strokes)))
        geometry.append(symbol_geometry(np.array([stroke_span(drawn)]), typical)[0])
        images.append(image)
    if not labels:
        return None
    return _Drawn(
        ink.path,
        np.array(labels, np.int64),
        np.array(boxes, np.float32),
        np.array(geometry, np.float32),
        np.array(images, np.uint8),
    )


def expression_sequences(
    root: str | Path,
    model: ProbabilityModel,
    *,
    seed: int = 0,
    renderings: int = 1,
    distortion: Distortion | None = None,
    jobs: int = 1,
    on_error: Callable[[str], None] | None = None,
) -> Iterator[ExpressionSequence]:
    """Every expression under *root*, drawn *renderings* times and read by *model*.

    The first rendering is undistorted (the evaluation's drawing); the others
    are distorted with *distortion* when given. Malformed files are reported
    through *on_error* and skipped. The drawings themselves are not kept: only
    their readings are trained and scored on.
    """
    root = Path(root)
    files = _files_with_offsets(root, on_error)
    if not files:
        raise MathOCRError(f"no readable .inkml files under {root}")
    jobs_list = [
        (number, ink, first, seed, r, distortion if r > 0 else None)
        for r in range(renderings)
        for number, ink, first in files
    ]
    if jobs <= 1:
        drawn: Iterator[_Drawn | None] = map(_draw, jobs_list)
        yield from _read(drawn, model)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from _read(pool.imap(_draw, jobs_list, chunksize=16), model)


def _read(drawn: Iterator[_Drawn | None], model: ProbabilityModel) -> Iterator[ExpressionSequence]:
    for d in drawn:
        if d is None:
            continue
        probs = np.asarray(model.probabilities(d.images, d.geometry), np.float32)
        yield ExpressionSequence(d.file, d.labels, d.boxes, d.geometry, probs)


def pack(sequences: list[ExpressionSequence]) -> dict[str, np.ndarray]:
    """Arrays for ``np.savez``: everything concatenated, with offsets."""
    offsets = np.cumsum([0] + [len(s.labels) for s in sequences])
    return {
        "files": np.array([s.file for s in sequences]),
        "offsets": offsets,
        "labels": np.concatenate([s.labels for s in sequences]),
        "boxes": np.concatenate([s.boxes for s in sequences]),
        "geometry": np.concatenate([s.geometry for s in sequences]),
        "probs": np.concatenate([s.probs for s in sequences]),
        "classes": np.array(CLASSES),
    }


def unpack(arrays: dict[str, np.ndarray]) -> list[ExpressionSequence]:
    """The inverse of :func:`pack`."""
    if tuple(str(c) for c in arrays["classes"]) != CLASSES:
        raise MathOCRError("sequence file made for other classes")
    off = arrays["offsets"]
    return [
        ExpressionSequence(
            str(arrays["files"][i]),
            arrays["labels"][a:b],
            arrays["boxes"][a:b],
            arrays["geometry"][a:b],
            arrays["probs"][a:b],
        )
        for i, (a, b) in enumerate(zip(off[:-1], off[1:], strict=True))
    ]


@dataclass(frozen=True)
class Readings:
    """Per labelled symbol of some lines: truth, first and final label, and its line."""

    truth: np.ndarray
    first: np.ndarray
    """The symbol model's labels."""
    final: np.ndarray
    """The neighbour model's labels (the first ones again when there is none)."""
    line: np.ndarray
    """Index of each symbol's line in the sequence given."""


def readings(lines: Iterable[ExpressionSequence], rereader: Rereader | None) -> Readings:
    """Read every line once by the symbol model (its probabilities) and again by *rereader*.

    Symbols outside our classes are read as neighbours but not returned.
    """
    truth, first, final, line = [], [], [], []
    for i, s in enumerate(lines):
        again = s.probs if rereader is None else rereader.rescore(s.probs, s.boxes, s.geometry)
        keep = s.labels >= 0
        truth.append(s.labels[keep])
        first.append(s.probs.argmax(axis=1)[keep])
        final.append(again.argmax(axis=1)[keep])
        line.append(np.full(int(keep.sum()), i))
    if not truth:
        empty = np.zeros(0, np.int64)
        return Readings(empty, empty, empty, empty)
    return Readings(*(np.concatenate(a) for a in (truth, first, final, line)))
