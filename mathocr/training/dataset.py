"""Symbol datasets: normalized 32×32 symbols with their labels, geometry and sources.

A :class:`SymbolDataset` is what the classifier trains and is scored on, and
what ``mathocr dataset`` saves (``.npz``, images bit-packed), caps and
previews. The datasets are made by :mod:`mathocr.training.build` (symbols
drawn from CROHME strokes, MNIST digits) and :mod:`mathocr.training.cut`
(symbols cut out of whole images where the detector finds them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MathOCRError
from ..geometry import GEOMETRY_FEATURES, missing_geometry
from ..symbols import BOX

__all__ = ["SymbolDataset", "cap_per_class", "preview_grid"]


@dataclass
class SymbolDataset:
    """Normalized symbol images with their labels.

    ``labels`` index into ``classes``; ``group`` numbers the source symbol, so
    that augmented variants of one symbol can be told apart from new symbols.
    """

    images: np.ndarray
    """(N, box, box) uint8, 1 on the skeleton."""
    labels: np.ndarray
    """(N,) int64 indices into :attr:`classes`."""
    classes: tuple[str, ...]
    group: np.ndarray
    source: np.ndarray
    """(N,) str: ``"crohme"`` or ``"mnist"``."""
    info: dict[str, object] = field(default_factory=dict)
    geometry: np.ndarray | None = None
    """(N, 3) float32 size in the expression (:mod:`mathocr.geometry`); unknown rows by default."""

    def __post_init__(self) -> None:
        if self.geometry is None:
            self.geometry = missing_geometry(len(self.labels))
        self.geometry = np.asarray(self.geometry, np.float32)
        if self.geometry.shape != (len(self.labels), GEOMETRY_FEATURES):
            raise ValueError(
                f"geometry must have shape ({len(self.labels)}, {GEOMETRY_FEATURES}), "
                f"got {self.geometry.shape}"
            )

    @property
    def geo(self) -> np.ndarray:
        """:attr:`geometry`, typed as always present."""
        assert self.geometry is not None
        return self.geometry

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        return {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            images=np.packbits(self.images.astype(bool), axis=-1),
            box=np.int64(self.images.shape[-1]),
            labels=self.labels,
            classes=np.array(self.classes),
            group=self.group,
            source=self.source,
            info=np.array(json.dumps(self.info, default=str)),
            geometry=self.geo,
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> SymbolDataset:
        try:
            with np.load(path, allow_pickle=False) as data:
                box = int(data["box"])
                images = np.unpackbits(data["images"], axis=-1, count=box)
                return cls(
                    images=images.astype(np.uint8),
                    labels=data["labels"].astype(np.int64),
                    classes=tuple(str(c) for c in data["classes"]),
                    group=data["group"],
                    source=data["source"],
                    info=_info(str(data["info"])) if "info" in data.files else {},
                    geometry=data["geometry"] if "geometry" in data.files else None,
                )
        except (OSError, KeyError, ValueError) as e:
            raise MathOCRError(f"{path}: not a symbol dataset ({e})") from e

    def subset(self, keep: np.ndarray) -> SymbolDataset:
        return SymbolDataset(
            self.images[keep],
            self.labels[keep],
            self.classes,
            self.group[keep],
            self.source[keep],
            dict(self.info),
            self.geo[keep],
        )

    @staticmethod
    def concat(parts: Sequence[SymbolDataset]) -> SymbolDataset:
        classes = parts[0].classes
        if any(p.classes != classes for p in parts):
            raise ValueError("datasets have different class lists")
        offset = 0
        groups = []
        for p in parts:
            groups.append(p.group + offset)
            offset += int(p.group.max()) + 1 if len(p) else 0
        return SymbolDataset(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            classes,
            np.concatenate(groups),
            np.concatenate([p.source for p in parts]),
            dict(parts[0].info),
            np.concatenate([p.geo for p in parts]),
        )


def _info(text: str) -> dict[str, object]:
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        return {"text": text}
    return info if isinstance(info, dict) else {"text": text}


def cap_per_class(ds: SymbolDataset, limit: int, *, seed: int = 0) -> SymbolDataset:
    """Keep at most *limit* samples of each class (a seeded random choice)."""
    rng = np.random.default_rng([seed, 1])
    keep = []
    for i in range(len(ds.classes)):
        idx = np.flatnonzero(ds.labels == i)
        if len(idx) > limit:
            idx = np.sort(rng.choice(idx, limit, replace=False))
        keep.append(idx)
    return ds.subset(np.sort(np.concatenate(keep)))


def preview_grid(
    ds: SymbolDataset, *, per_class: int = 12, zoom: int = 2, seed: int = 0
) -> np.ndarray:
    """A grayscale image: one row of random samples per class, label on the left."""
    import cv2

    rng = np.random.default_rng(seed)
    box = ds.images.shape[-1] if len(ds) else BOX
    cell = box * zoom + 4
    label_w = 70
    rows = len(ds.classes)
    grid = np.full((rows * cell + 4, label_w + per_class * cell + 4), 255, np.uint8)
    for r, name in enumerate(ds.classes):
        y0 = 4 + r * cell
        idx = np.flatnonzero(ds.labels == r)
        cv2.putText(
            grid, name, (4, y0 + cell // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1, cv2.LINE_AA
        )
        if len(idx) == 0:
            continue
        pick = rng.choice(idx, min(per_class, len(idx)), replace=False)
        for c, i in enumerate(pick):
            x0 = label_w + c * cell
            tile = np.where(ds.images[i] > 0, 0, 255).astype(np.uint8)
            tile = np.kron(tile, np.ones((zoom, zoom), np.uint8))
            grid[y0 : y0 + box * zoom, x0 : x0 + box * zoom] = tile
            cv2.rectangle(grid, (x0 - 1, y0 - 1), (x0 + box * zoom, y0 + box * zoom), 200, 1)
    return grid
