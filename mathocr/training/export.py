"""ONNX export of a trained :class:`SymbolNet`, checked against torch.

The exported graph takes ``image`` (N, 1, box, box) float32 with a dynamic
batch axis and returns ``probabilities`` (N, classes): the softmax is part of
the graph, so serving needs nothing but ONNX Runtime.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ..errors import ModelError
from .model import SymbolNet, WithSoftmax
from .trainer import predict_torch

__all__ = ["INPUT_NAME", "OUTPUT_NAME", "export_onnx", "check_onnx"]

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"


def export_onnx(net: SymbolNet, path: str | Path, *, box: int = 32) -> Path:
    """Write *net* (in eval mode, softmax appended) to *path*."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    net.eval()
    dummy = torch.zeros(1, 1, box, box)
    with warnings.catch_warnings():
        # The legacy exporter announces its own deprecation; it is the one
        # that needs no extra packages, and its output is what we verify.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            WithSoftmax(net),
            (dummy,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def check_onnx(net: SymbolNet, path: str | Path, images: np.ndarray, *, tol: float = 1e-4) -> float:
    """Largest |ORT − torch| probability difference on *images*; raises above *tol*."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = images.astype(np.float32)[:, None]
    got = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
    want = predict_torch(net, images)
    diff = float(np.abs(got - want).max()) if len(images) else 0.0
    if diff > tol:
        raise ModelError(f"ONNX and torch disagree by {diff:.2e} (> {tol:.0e})")
    return diff
