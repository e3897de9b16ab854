"""The two baselines the CNN must beat, on the same data and the same valid set.

- ``pixel_mlp``: the original design's model, a multi-layer perceptron on the
  raw pixel intensities of the normalized 32×32 symbol;
- ``hog_linear``: histogram-of-oriented-gradients features (the original
  design's preferred representation) with a linear classifier.

Both are scikit-learn models, trained on a class-stratified subset of the
training samples to keep their cost at a minute or two.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from .dataset import SymbolDataset
from .metrics import merged_accuracy, score

__all__ = ["hog_features", "run_baselines"]


def hog_features(images: np.ndarray) -> np.ndarray:
    """(N, 32, 32) 0/1 → (N, F) HOG descriptors (4×4-pixel cells, 2×2 blocks)."""
    import cv2
    from skimage.feature import hog

    feats = []
    for image in images:
        # A 1-px skeleton has gradients only at its edges; a slight blur gives
        # the orientation histogram something to measure.
        soft = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0.8)
        feats.append(hog(soft, orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2)))
    return np.asarray(feats, np.float32)


def _subset(ds: SymbolDataset, limit: int, seed: int) -> SymbolDataset:
    if len(ds) <= limit:
        return ds
    rng = np.random.default_rng([seed, 3])
    return ds.subset(np.sort(rng.choice(len(ds), limit, replace=False)))


def run_baselines(
    train_set: SymbolDataset,
    valid_set: SymbolDataset,
    *,
    limit: int = 30000,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, dict]:
    """Fit both baselines; return their valid scores (same shape as the CNN's)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    train_set = _subset(train_set, limit, seed)
    classes = train_set.classes
    results: dict[str, dict] = {}

    def record(name: str, description: str, pred: np.ndarray, seconds: float) -> None:
        row = score(valid_set.labels, pred, classes)
        row["accuracy_merged"] = merged_accuracy(valid_set.labels, pred, classes)
        row["description"] = description
        row["train_samples"] = len(train_set)
        row["fit_seconds"] = round(seconds, 1)
        results[name] = row
        log(f"baseline {name}: valid accuracy {row['accuracy']:.4f}")

    x_train = train_set.images.reshape(len(train_set), -1).astype(np.float32)
    x_valid = valid_set.images.reshape(len(valid_set), -1).astype(np.float32)
    start = time.perf_counter()
    mlp = MLPClassifier(
        hidden_layer_sizes=(256,), max_iter=40, early_stopping=True, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(x_train, train_set.labels)
    record(
        "pixel_mlp",
        "MLP (1024→256→classes) on the 32x32 pixel intensities (original design)",
        mlp.predict(x_valid),
        time.perf_counter() - start,
    )

    start = time.perf_counter()
    scaler = StandardScaler()
    h_train = scaler.fit_transform(hog_features(train_set.images))
    h_valid = scaler.transform(hog_features(valid_set.images))
    linear = LogisticRegression(C=0.05, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        linear.fit(h_train, train_set.labels)
    record(
        "hog_linear",
        "HOG (9 orientations, 4x4 cells, 2x2 blocks) + logistic regression",
        linear.predict(h_valid),
        time.perf_counter() - start,
    )
    return results
