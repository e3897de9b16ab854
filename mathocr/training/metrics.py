"""Accuracy figures for symbol classification (numpy only).

One scoring function feeds the model card, ``mathocr evaluate-symbols`` and
the benchmark, so the three always report the same thing.

>>> import numpy as np
>>> s = score(np.array([0, 1, 1]), np.array([0, 1, 0]), ("a", "b"))
>>> s["accuracy"], s["confusions"]
(0.6666666666666666, [['b', 'a', 1]])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "score",
    "merged_accuracy",
    "merged_per_class",
    "confusion_matrix",
    "latency",
    "median_ms",
    "MERGED",
]

#: Classes that only context can tell apart; one figure merges them.
MERGED = ("x", "\\times")


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, n) counts; rows are true classes, columns predictions."""
    matrix = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(matrix, (np.asarray(true), np.asarray(pred)), 1)
    return matrix


def score(
    true: np.ndarray, pred: np.ndarray, classes: Sequence[str], *, top_confusions: int = 20
) -> dict:
    """``{"n", "accuracy", "per_class": {label: {"n", "accuracy"}}, "confusions"}``.

    ``per_class`` lists the classes that occur in *true*; ``confusions`` are
    ``[true, predicted, count]`` triples, most frequent first.
    """
    true = np.asarray(true)
    pred = np.asarray(pred)
    if true.shape != pred.shape:
        raise ValueError(f"true and pred differ in shape: {true.shape} vs {pred.shape}")
    n = int(true.size)
    matrix = confusion_matrix(true, pred, len(classes))
    per_class = {}
    for i, label in enumerate(classes):
        count = int(matrix[i].sum())
        if count:
            per_class[label] = {"n": count, "accuracy": float(matrix[i, i] / count)}
    off = [
        (int(matrix[i, j]), classes[i], classes[j])
        for i in range(len(classes))
        for j in range(len(classes))
        if i != j and matrix[i, j]
    ]
    off.sort(key=lambda t: (-t[0], t[1], t[2]))
    return {
        "n": n,
        "accuracy": float((true == pred).mean()) if n else 0.0,
        "per_class": per_class,
        "confusions": [[t, p, c] for c, t, p in off[:top_confusions]],
    }


def _merged_right(
    true: np.ndarray, pred: np.ndarray, classes: Sequence[str], merged: Sequence[str]
) -> np.ndarray:
    """Per sample, whether *pred* is right when the *merged* classes count as one."""
    index = {c: i for i, c in enumerate(classes)}
    ids = [index[c] for c in merged if c in index]
    true = np.asarray(true)
    pred = np.asarray(pred)
    right = true == pred
    if ids:
        right |= np.isin(true, ids) & np.isin(pred, ids)
    return right


def merged_accuracy(
    true: np.ndarray, pred: np.ndarray, classes: Sequence[str], merged: Sequence[str] = MERGED
) -> float:
    """Accuracy when the *merged* classes count as one (``x`` vs ``\\times``)."""
    right = _merged_right(true, pred, classes, merged)
    return float(right.mean()) if right.size else 0.0


def merged_per_class(
    true: np.ndarray, pred: np.ndarray, classes: Sequence[str], merged: Sequence[str] = MERGED
) -> dict[str, dict[str, float]]:
    """``{label: {"n", "accuracy"}}`` per true class, a reading within *merged* counting right.

    The per-class companion of :func:`merged_accuracy`: a true ``\\times``
    read ``x`` is right here, and the class keeps its own count.
    """
    right = _merged_right(true, pred, classes, merged)
    true = np.asarray(true)
    out = {}
    for i, label in enumerate(classes):
        mine = true == i
        if mine.any():
            out[label] = {"n": int(mine.sum()), "accuracy": float(right[mine].mean())}
    return out


def latency(
    run: Callable[[np.ndarray], object], images: np.ndarray, *, repeats: int = 200
) -> dict[str, float]:
    """Median wall time of *run* on one symbol and on batches of 16.

    Returns ``single_ms`` (one symbol per call) and ``batch16_ms_per_symbol``.
    """
    if len(images) < 16:
        raise ValueError("need at least 16 images to time batches of 16")
    for i in range(10):  # warm up the session's buffers
        run(images[i : i + 1])
        run(images[:16])
    single, batch = [], []
    for r in range(repeats):
        i = r % (len(images) - 15)
        t = time.perf_counter()
        run(images[i : i + 1])
        single.append(time.perf_counter() - t)
        t = time.perf_counter()
        run(images[i : i + 16])
        batch.append(time.perf_counter() - t)
    return {
        "single_ms": float(np.median(single) * 1e3),
        "batch16_ms_per_symbol": float(np.median(batch) * 1e3 / 16),
        "repeats": repeats,
    }


def median_ms(call: Callable[[], object], *, repeats: int, warmup: int = 10) -> float:
    """Median wall time of *call*, in milliseconds, after *warmup* untimed calls."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)
