"""ONNX export of a trained :class:`SymbolNet`, checked against torch.

The exported graph takes ``image`` (N, 1, box, box) and ``geometry`` (N, 3)
float32 with a dynamic batch axis and returns ``probabilities`` (N, classes):
the softmax is part of the graph, so serving needs nothing but ONNX Runtime.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ..errors import ModelError
from ..geometry import GEOMETRY_FEATURES, missing_geometry
from ..model_files import cpu_session
from .model import SymbolNet, WithSoftmax
from .trainer import predict_torch

__all__ = [
    "INPUT_NAME",
    "GEOMETRY_NAME",
    "OUTPUT_NAME",
    "export_onnx",
    "check_onnx",
    "feeds",
    "session",
]

INPUT_NAME = "image"
GEOMETRY_NAME = "geometry"
OUTPUT_NAME = "probabilities"


def feeds(images: np.ndarray, geometry: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The exported graph's inputs for (N, box, box) images and their (N, 3) geometry."""
    if geometry is None:
        geometry = missing_geometry(len(images))
    return {
        INPUT_NAME: images.astype(np.float32)[:, None],
        GEOMETRY_NAME: np.asarray(geometry, np.float32),
    }


def session(path: str | Path) -> ort.InferenceSession:
    """An ONNX Runtime session on one CPU thread, as a serving worker runs it."""
    return cpu_session(Path(path), 1)


def export_onnx(net: SymbolNet, path: str | Path, *, box: int = 32) -> Path:
    """Write *net* (in eval mode, softmax appended) to *path*."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    net.eval()
    dummy = (torch.zeros(1, 1, box, box), torch.zeros(1, GEOMETRY_FEATURES))
    with warnings.catch_warnings():
        # The legacy exporter announces its own deprecation; it is the one
        # that needs no extra packages, and its output is what we verify.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            WithSoftmax(net),
            dummy,
            str(path),
            input_names=[INPUT_NAME, GEOMETRY_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch"},
                GEOMETRY_NAME: {0: "batch"},
                OUTPUT_NAME: {0: "batch"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def check_onnx(
    net: SymbolNet,
    path: str | Path,
    images: np.ndarray,
    geometry: np.ndarray | None = None,
    *,
    tol: float = 1e-4,
) -> float:
    """Largest |ORT − torch| probability difference on *images*; raises above *tol*."""
    got = session(path).run([OUTPUT_NAME], feeds(images, geometry))[0]
    want = predict_torch(net, images, geometry)
    diff = float(np.abs(got - want).max()) if len(images) else 0.0
    if diff > tol:
        raise ModelError(f"ONNX and torch disagree by {diff:.2e} (> {tol:.0e})")
    return diff
