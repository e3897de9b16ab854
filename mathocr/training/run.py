"""From datasets to a shipped model: train, export, verify, score, write the card.

``mathocr train`` is a thin wrapper over :func:`train_and_ship`; the tests run
the same function on a few hundred samples.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import SymbolClassifier
from ..errors import ModelError
from ..symbols import CLASSES
from .augment import Distortion
from .baselines import run_baselines
from .build import build_dataset, mnist_dataset
from .card import make_card, write_card
from .dataset import SymbolDataset
from .export import OUTPUT_NAME, check_onnx, export_onnx, feeds, session
from .metrics import confusion_matrix, latency, merged_accuracy, score
from .trainer import TrainConfig, train

__all__ = ["MODEL_FILE", "load_dataset", "with_mnist", "evaluate_onnx", "train_and_ship"]

MODEL_FILE = "symbols.onnx"


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def load_dataset(
    path: str | Path,
    *,
    augmented: bool,
    seed: int = 0,
    jobs: int = 1,
    progress: bool = True,
    log: Callable[[str], None] = _log,
) -> SymbolDataset:
    """A ``.npz`` from ``mathocr dataset build``, or a directory of InkML to build from.

    A directory is built with the training recipe when *augmented* (6
    renderings per symbol, scarce classes balanced up to 3000 samples, at most
    20 renderings per symbol), else once per symbol (the evaluation recipe).
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        ds = SymbolDataset.load(path)
    elif path.exists():
        recipe: dict[str, Any] = (
            {"variants": 6, "balance": 3000, "max_variants": 20, "distortion": Distortion()}
            if augmented
            else {}
        )
        ds = build_dataset(
            path,
            seed=seed,
            jobs=jobs,
            progress=progress,
            on_error=lambda e: log(f"skip: {e}"),
            **recipe,
        )
    else:
        raise FileNotFoundError(f"no dataset or InkML directory at {path}")
    return to_classes(ds)


def to_classes(ds: SymbolDataset) -> SymbolDataset:
    """Re-index labels into :data:`CLASSES` (a dataset may hold a subset)."""
    if ds.classes == CLASSES:
        return ds
    unknown = [c for c in ds.classes if c not in CLASSES]
    if unknown:
        raise ValueError(f"dataset has classes the model does not know: {unknown}")
    remap = np.array([CLASSES.index(c) for c in ds.classes], np.int64)
    return SymbolDataset(
        ds.images, remap[ds.labels], CLASSES, ds.group, ds.source, ds.info, ds.geometry
    )


def with_mnist(ds: SymbolDataset, path: str | Path, *, per_digit: int, seed: int) -> SymbolDataset:
    """*ds* plus *per_digit* MNIST training digits of each class."""
    extra = mnist_dataset(path, per_digit=per_digit, seed=seed)
    return SymbolDataset.concat([ds, extra])


def evaluate_onnx(model_path: Path, valid: SymbolDataset) -> tuple[dict[str, Any], np.ndarray]:
    """Score an exported model (no card needed) on *valid*."""
    runner = session(model_path)
    probs = np.concatenate(
        [
            runner.run([OUTPUT_NAME], feeds(valid.images[i : i + 512], valid.geo[i : i + 512]))[0]
            for i in range(0, len(valid), 512)
        ]
    )
    pred = probs.argmax(1)
    metrics = score(valid.labels, pred, CLASSES)
    metrics["accuracy_merged"] = merged_accuracy(valid.labels, pred, CLASSES)
    return metrics, confusion_matrix(valid.labels, pred, len(CLASSES))


def train_and_ship(
    train_set: SymbolDataset,
    valid_set: SymbolDataset,
    out_dir: str | Path,
    *,
    config: TrainConfig | None = None,
    baselines: bool = True,
    command: str = "mathocr train",
    data_info: dict[str, Any] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = _log,
) -> dict[str, Any]:
    """Train, export ``symbols.onnx`` into *out_dir*, verify it, write its card.

    Returns the card. The model is checked three ways before the card is
    written: ORT agrees with torch, ORT's valid accuracy is what the card
    reports, and :class:`SymbolClassifier` loads the result.
    """
    config = config or TrainConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train_set, valid_set = to_classes(train_set), to_classes(valid_set)
    log(f"training on {len(train_set)} samples, selecting on {len(valid_set)} valid symbols")
    result = train(train_set, valid_set, config, progress=progress)
    model_path = export_onnx(result.net, out_dir / MODEL_FILE)
    diff = check_onnx(result.net, model_path, valid_set.images[:512], valid_set.geo[:512])
    metrics, matrix = evaluate_onnx(model_path, valid_set)
    log(
        f"ONNX valid accuracy {metrics['accuracy']:.4f} (merged x/times {metrics['accuracy_merged']:.4f})"
    )
    baseline_scores = (
        run_baselines(train_set, valid_set, seed=config.seed, log=log) if baselines else {}
    )
    speed: dict[str, Any] = {}
    if len(valid_set) >= 16:
        runner = session(model_path)
        speed = latency(
            lambda i: runner.run([OUTPUT_NAME], feeds(valid_set.images[i], valid_set.geo[i])),
            np.arange(256 if len(valid_set) >= 256 else len(valid_set)),
        )
    training = result.record()
    training["train_clean_accuracy"] = _clean_accuracy(result.net, train_set)
    training["degenerate_valid"] = _degenerate(valid_set)
    training["command"] = command
    training["onnx_vs_torch_max_diff"] = diff
    data = {
        "train": f"{len(train_set)} samples ({_sources(train_set)})",
        "valid": f"{len(valid_set)} symbols, one rendering each",
        **(data_info or {}),
    }
    for name, ds in (("train", train_set), ("valid", valid_set)):
        if ds.info.get("command"):
            data[f"{name}_dataset_command"] = ds.info["command"]
    card = make_card(
        model_path,
        training=training,
        data=data,
        metrics={"valid": metrics},
        baselines=baseline_scores,
        speed=speed,
    )
    write_card(card, out_dir, matrix)
    loaded = SymbolClassifier(model_path)
    if loaded.version != card["version"]:
        raise ModelError("the written card does not load back")
    return card


def _clean_accuracy(net: Any, ds: SymbolDataset) -> float:
    """Accuracy on the first, undistorted rendering of each training symbol.

    How well the model fits symbols it was trained on: the gap to 100% is
    mostly shapes that carry two labels (x/\\times, (/1), not a lack of fit.
    """
    from .trainer import predict_torch

    first = np.r_[True, ds.group[1:] != ds.group[:-1]] & (ds.source == "crohme")
    idx = np.flatnonzero(first)
    if idx.size == 0:
        return 0.0
    pred = predict_torch(net, ds.images[idx], ds.geo[idx]).argmax(1)
    return float((pred == ds.labels[idx]).mean())


def _degenerate(ds: SymbolDataset) -> int:
    """Samples (other than ``.``) whose normalized skeleton spans under 10 pixels."""
    count = 0
    dot = CLASSES.index(".")
    for image, label in zip(ds.images, ds.labels, strict=True):
        ys, xs = np.nonzero(image)
        if label != dot and ys.size and max(np.ptp(ys), np.ptp(xs)) + 1 < 10:
            count += 1
    return count


def _sources(ds: SymbolDataset) -> str:
    names, counts = np.unique(ds.source, return_counts=True)
    return ", ".join(f"{n}: {c}" for n, c in zip(names, counts, strict=True))
