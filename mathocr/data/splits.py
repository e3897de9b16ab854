"""The writer-disjoint dev split carved out of CROHME ``train/``.

``valid/`` has been tuned on for weeks and reads optimistic; choices and
thresholds are made on writers held out of ``train/`` instead, and valid is
only reported. The split is a fixed hash of each writer, so it is the same on
every machine and never depends on what else is in the folder.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

__all__ = ["DEV_SHARE", "dev_writers", "split_files"]

#: Share of the train writers (those with an id) held out as the dev split.
DEV_SHARE = 0.2
#: MfrDB's largest writers, and the unknown one, stay in training (shared/README.md).
_ALWAYS_TRAIN_SALT = "mathocr-dev-split-v1"


def _is_dev(collection: str, writer: str) -> bool:
    if not writer or collection == "MathBrush":
        return False
    bucket = zlib.crc32(f"{_ALWAYS_TRAIN_SALT}:{collection}:{writer}".encode()) % 1000
    return bucket < DEV_SHARE * 1000


def dev_writers(manifest: str | Path) -> set[tuple[str, str]]:
    """The (collection, writer) pairs of the dev split: a fixed hash of each train writer.

    MathBrush has no writer ids, and MfrDB's three largest (or unknown) writers
    must stay in training, so neither is ever held out.
    """
    counts: dict[tuple[str, str], int] = {}
    with open(manifest, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["split"] == "train":
                key = (row["collection"], row["writer"])
                counts[key] = counts.get(key, 0) + 1
    mfrdb = sorted((n, w) for (c, w), n in counts.items() if c == "MfrDB")
    big = {("MfrDB", w) for _, w in mfrdb[-3:]}
    return {k for k in counts if k not in big and _is_dev(*k)}


def split_files(root: str | Path) -> tuple[list[Path], list[Path]]:
    """``(train, dev)`` InkML paths under the shared data's ``crohme/`` folder, split by writer."""
    root = Path(root)
    dev = dev_writers(root / "manifest.csv")
    train_files: list[Path] = []
    dev_files: list[Path] = []
    with open(root / "manifest.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["split"] != "train":
                continue
            path = root / row["path"]
            key = (row["collection"], row["writer"])
            (dev_files if key in dev else train_files).append(path)
    return sorted(train_files), sorted(dev_files)
