"""Users' corrections back into data: the loop from the page to the next model.

``mathocr dataset export-corrections DIR`` writes

- ``DIR/images/<id>.<ext>``: every corrected image, as posted;
- ``DIR/labels.csv``: ``file, latex, predicted, model_version, corrected_at``:
  the image (relative to DIR), the user's LaTeX, and what we had read;
  ``mathocr recognize DIR/images --json`` reads the same images, and the
  two compare with :func:`mathocr.data.canonical.same_expression`;
- ``DIR/symbols.npz``: a symbol dataset in the format of ``mathocr dataset
  build`` (so ``mathocr train --data``/``--valid`` and ``mathocr dataset
  preview`` read it): each symbol cut out of a corrected image at the box we
  found, normalized with the one :func:`mathocr.symbols.normalize_symbol`, and
  labelled from the correction. Only images whose correction spells exactly
  as many of our symbols as we found boxes, in the same left-to-right order,
  give symbols (a fraction is read top to bottom, so those are left out).
- ``DIR/detector/corrections-p<N>.npz``: the same aligned images as the
  symbol detector trains on them (:mod:`mathocr.training.detector.data`'s
  shard format): each image prepared as the detector prepares it, with the
  boxes we found carried into that frame and labelled from the correction.
  ``mathocr train-detector --extra DIR/detector`` adds them to its training
  data; ``<N>`` is the preparation's version, as in every shard's name.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mathocr.data.canonical import tokens
from mathocr.detect.classes import class_index
from mathocr.detect.prepare import PREPARATION_VERSION, prepare, transform_boxes
from mathocr.errors import MathOCRError
from mathocr.geometry import mask_geometry, typical_mask_size
from mathocr.imaging import binarize, load_image
from mathocr.symbols import CLASS_INDEX, CLASSES, crop_to_ink, normalize_symbol
from mathocr.training.detector.data import save_shard
from mathocr.training.detector.scenes import Sample

from .models import PostedImage
from .selectors import corrected_images

__all__ = ["ExportSummary", "correction_labels", "export_corrections"]

# Tokens that carry structure but are not symbols of their own.
_SILENT = {"{", "}", "^"}


@dataclass(frozen=True)
class ExportSummary:
    images: int
    aligned: int
    """Images whose symbols could be labelled from the correction."""
    symbols: int
    skipped: tuple[str, ...]
    """Why some images gave no symbols, one line each."""


def correction_labels(latex: str) -> list[str] | None:
    """The symbol classes *latex* is written with, in writing order; None if that order
    is not left to right (fractions) or a token is not one of our classes."""
    out = []
    for tok in tokens(latex):
        if tok in _SILENT:
            continue
        if tok == "\\frac" or tok not in CLASS_INDEX:
            return None
        out.append(tok)
    return out


def _symbols_of(row: PostedImage, labels: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each found symbol normalized, and its geometry in the expression."""
    with row.image.open("rb") as handle:
        loaded = load_image(handle.read())
    ink = binarize(loaded.gray)
    binary = ink.binary
    masks = []
    height, width = binary.shape
    for symbol in row.result["symbols"]:
        x, y, w, h = (v * loaded.scale for v in symbol["box"])
        x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
        x1, y1 = min(width, int(np.ceil(x + w)) + 1), min(height, int(np.ceil(y + h)) + 1)
        found = crop_to_ink(binary[y0:y1, x0:x1])
        if found is None:
            raise MathOCRError("a symbol's box holds no ink")
        masks.append(found[0])
    reference = typical_mask_size(masks, ink.pen_width)
    return (
        [normalize_symbol(m) for m in masks],
        mask_geometry(masks, ink.pen_width, reference),
    )


def _detector_sample(row: PostedImage, labels: list[str]) -> Sample | None:
    """The image prepared for the detector, with our boxes labelled from the correction."""
    with row.image.open("rb") as handle:
        loaded = load_image(handle.read())
    prepared = prepare(loaded.gray)
    if prepared.empty:
        return None
    corners = np.array(
        [[x, y, x + w, y + h] for x, y, w, h in (s["box"] for s in row.result["symbols"])],
        np.float64,
    ).reshape(-1, 4)
    boxes = transform_boxes(corners * loaded.scale, prepared.matrix).astype(np.float32)
    return Sample(
        np.clip(prepared.image * 255, 0, 255).astype(np.uint8),
        boxes,
        np.array([class_index(label) for label in labels], np.int16),
    )


def export_corrections(out: Path) -> ExportSummary:
    """Write the corrected images, their labels and their symbols under *out*."""
    from mathocr.training.dataset import SymbolDataset

    (out / "images").mkdir(parents=True, exist_ok=True)
    images: list[np.ndarray] = []
    geometry: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[int] = []
    scenes: list[Sample] = []
    skipped: list[str] = []
    aligned = count = 0
    with (out / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "latex", "predicted", "model_version", "corrected_at"])
        for row in corrected_images().iterator():
            name = f"images/{row.pk}.{Path(row.image.name).suffix.lstrip('.') or 'png'}"
            try:
                with row.image.open("rb") as src, (out / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as e:
                skipped.append(f"image {row.pk}: file unreadable ({e})")
                continue
            count += 1
            writer.writerow(
                [name, row.corrected_latex, row.latex, row.model_version, row.corrected_at]
            )
            wanted = correction_labels(row.corrected_latex)
            found = (row.result or {}).get("symbols", [])
            if wanted is None:
                skipped.append(f"image {row.pk}: not a left-to-right row of our symbols")
                continue
            if len(wanted) != len(found) or not found:
                skipped.append(
                    f"image {row.pk}: the correction has {len(wanted)} symbols, "
                    f"we found {len(found)}"
                )
                continue
            try:
                crops, geo = _symbols_of(row, wanted)
            except MathOCRError as e:
                skipped.append(f"image {row.pk}: {e}")
                continue
            aligned += 1
            scene = _detector_sample(row, wanted)
            if scene is not None:
                scenes.append(scene)
            images.extend(crops)
            geometry.append(geo)
            labels.extend(CLASS_INDEX[label] for label in wanted)
            groups.extend(range(len(groups), len(groups) + len(crops)))

    if images:
        SymbolDataset(
            images=np.stack(images).astype(np.uint8),
            labels=np.asarray(labels, np.int64),
            classes=CLASSES,
            group=np.asarray(groups, np.int64),
            source=np.array(["correction"] * len(images)),
            info={"from": "mathocr dataset export-corrections"},
            geometry=np.concatenate(geometry),
        ).save(out / "symbols.npz")
    if scenes:
        save_shard(scenes, out / "detector" / f"corrections-p{PREPARATION_VERSION}.npz")
    return ExportSummary(count, aligned, len(images), tuple(skipped))
