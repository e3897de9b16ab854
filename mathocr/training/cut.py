"""Training symbols cut out of whole images where the recognizer's detector finds them.

Symbols drawn one by one from their strokes (:mod:`.build`) are clean; a
symbol the live recognizer reads out of an image is not: the expression was
drawn at one scale with one pen, antialiased or photographed, flattened,
straightened and rescaled, and the detected box, fitted to the ink, may carry
a neighbour's stray stroke or miss a piece. The classifier reads live symbols
less accurately than drawn ones, so this builder makes samples the way the
recognizer meets them:

1. draw each InkML expression as a canvas drawing and as a phone photo
   (:mod:`mathocr.data.scenes`, the benchmark's renderer, here on other writers);
2. prepare it and run the detector exactly as
   :class:`mathocr.detect.recognizer.DetectorRecognizer` does, each box
   fitted to its ink;
3. take what the classifier would be given of those symbols
   (:func:`mathocr.detect.relabel.classifier_view`: the normalized ink and
   its geometry) and keep each one whose box, mapped back to the image,
   overlaps one true symbol of our classes well (IoU ≥ :data:`MIN_IOU`),
   labelled with that truth, not with the detector's reading.

Boxes that hold two symbols, or half of one, match no truth box and are left
out: the samples teach the look of live symbols, not where symbols are. Ink
the detector missed and the classifier would recover alone is not cut either
(reading it needs the classifier that is being trained).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..data.evaluation import iou
from ..data.inkml import iter_inkml, read_inkml
from ..data.scenes import EvalImage, canvas_image, photo_image
from ..detect.model import SymbolDetector
from ..detect.prepare import prepare
from ..detect.relabel import classifier_view, prepared_pen
from ..errors import MathOCRError
from ..imaging import load_image
from ..symbols import CLASS_INDEX, CLASSES
from .dataset import SymbolDataset

__all__ = ["KINDS", "MIN_IOU", "cut_symbols", "cut_dataset"]

KINDS = ("canvas", "photo")
#: How well a detected box must overlap a true symbol's to take its label.
MIN_IOU = 0.6

Sample = tuple[np.ndarray, np.ndarray, int, str]


#: The detector of this process: an ONNX session is not carried across a fork,
#: so each worker opens its own (keyed by process id).
_detectors: dict[int, SymbolDetector] = {}


def _detector() -> SymbolDetector:
    pid = os.getpid()
    if pid not in _detectors:
        _detectors[pid] = SymbolDetector(threads=1)
    return _detectors[pid]


def cut_symbols(image: EvalImage, detector: SymbolDetector | None = None) -> list[Sample]:
    """(normalized image, geometry, class index, kind) for each well-found symbol of *image*.

    *detector* defaults to the shipped one.
    """
    loaded = load_image(image.data)
    prepared = prepare(loaded.gray)
    if prepared.empty:
        return []
    found, _ = (detector or _detector()).read(prepared)
    view = classifier_view(found, prepared_pen(prepared))
    if view is None:
        return []
    boxes = prepared.to_working(np.array([found[k].box for k in view.picked])) / loaded.scale
    out: list[Sample] = []
    for (x0, y0, x1, y1), normalized, geo in zip(boxes, view.images, view.geometry, strict=True):
        box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
        score, label = max(
            ((iou(box, truth), name) for name, truth in image.boxes), default=(0.0, "")
        )
        if score >= MIN_IOU and label in CLASS_INDEX:
            out.append((normalized, geo, CLASS_INDEX[label], image.kind))
    return out


def _cut_file(job: tuple[int, Path, tuple[str, ...]]) -> list[Sample]:
    index, path, kinds = job
    try:
        ink = read_inkml(path)
    except MathOCRError:
        return []
    if not ink.symbols:
        return []
    out: list[Sample] = []
    for kind in kinds:
        try:
            image = canvas_image(ink, index) if kind == "canvas" else photo_image(ink)
            out.extend(cut_symbols(image))
        except (MathOCRError, ValueError):  # a degenerate drawing (no ink, zero size)
            continue
    return out


def cut_dataset(
    root: str | Path,
    *,
    kinds: Sequence[str] = KINDS,
    every: int = 1,
    offset: int = 0,
    jobs: int = 1,
    progress: bool = False,
) -> SymbolDataset:
    """Cut symbols from files ``offset, offset + every, ...`` of the InkML under *root*.

    The images are seeded by file name (:mod:`mathocr.data.scenes`), so the same
    arguments give the same dataset on any machine and with any *jobs*.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be among {', '.join(KINDS)}, got {list(kinds)}")
    if every < 1 or not 0 <= offset < every:
        raise ValueError(f"need every ≥ 1 and 0 ≤ offset < every, got {every}, {offset}")
    files = list(iter_inkml(root))[offset::every]
    if not files:
        raise MathOCRError(f"no .inkml files under {root}")
    work = [(i, f, tuple(kinds)) for i, f in enumerate(files)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(work), desc="cutting", unit="file", file=sys.stderr)
    results: list[list[Sample]] = []
    if jobs <= 1:
        for job in work:
            results.append(_cut_file(job))
            if bar is not None:
                bar.update(1)
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for r in pool.imap(_cut_file, work, chunksize=8):
                results.append(r)
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    samples = [s for r in results for s in r]
    n = len(samples)
    return SymbolDataset(
        images=np.stack([s[0] for s in samples]).astype(np.uint8)
        if samples
        else np.zeros((0, 32, 32), np.uint8),
        labels=np.array([s[2] for s in samples], np.int64),
        classes=CLASSES,
        group=np.arange(n, dtype=np.int64),
        source=np.array([f"cut-{s[3]}" for s in samples]),
        info={"root": str(root), "files": len(files), "kinds": list(kinds)},
        geometry=np.stack([s[1] for s in samples]) if samples else None,
    )
