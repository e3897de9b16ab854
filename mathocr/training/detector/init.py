"""Start a training run from a shipped detector: its ONNX file back into the torch network.

Checkpoints live under an ignored folder and do not outlive the machine, but
the shipped ``detector.onnx`` is in git; fine-tuning it (more data, more
epochs) should not first need the whole run that made it. The export fused
each batch norm into the convolution before it, so the file holds one weight
and one bias per convolution. They go back into the network as that
convolution's weight and a batch norm that adds the bias and nothing else
(mean 0, variance 1, scale 1), which computes exactly what the file computes
as long as the batch norms stay in evaluation mode: a run started this way
trains with frozen batch norms (:class:`TrainConfig.frozen_bn`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...errors import MathOCRError
from .net import Detector

__all__ = ["detector_from_onnx", "freeze_batch_norms"]


def _module_path(node_name: str) -> str:
    """``/s8/s8.1/a/a.0/Conv`` → ``s8.1.a.0``: each scope ends with its child's name."""
    scopes = node_name.strip("/").split("/")[:-1]
    return ".".join(scope.split(".")[-1] for scope in scopes)


def _weights(onnx_path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each convolution's (weight, bias) in float32, keyed by its module path."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    # A file that stores float16 weights feeds each through a Cast back to float32.
    for node in graph.node:
        if node.op_type == "Cast" and node.input[0] in arrays:
            arrays[node.output[0]] = arrays[node.input[0]]
    convs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        if len(node.input) < 3 or not all(name in arrays for name in node.input[1:3]):
            raise MathOCRError(f"{onnx_path}: convolution {node.name} has no constant weights")
        weight, bias = (arrays[name].astype(np.float32) for name in node.input[1:3])
        convs[_module_path(node.name)] = (weight, bias)
    return convs


def detector_from_onnx(onnx_path: str | Path, classes: int, width: int) -> Detector:
    """A :class:`Detector` of *width* that computes what *onnx_path* computes (in eval mode)."""
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise MathOCRError(f"{onnx_path}: no such detector model")
    convs = _weights(onnx_path)
    model = Detector(classes, width)
    modules = dict(model.named_modules())
    ours = {name for name, m in modules.items() if isinstance(m, nn.Conv2d)}
    if ours != set(convs):
        raise MathOCRError(
            f"{onnx_path}: its convolutions do not match a width-{width} detector "
            f"({len(convs)} in the file, {len(ours)} in the network)"
        )
    with torch.no_grad():
        for name, (weight, bias) in convs.items():
            conv = modules[name]
            assert isinstance(conv, nn.Conv2d)
            if tuple(conv.weight.shape) != weight.shape:
                raise MathOCRError(
                    f"{onnx_path}: {name} is {weight.shape} in the file and "
                    f"{tuple(conv.weight.shape)} in a width-{width} detector (another --width?)"
                )
            conv.weight.copy_(torch.from_numpy(weight))
            if conv.bias is not None:
                conv.bias.copy_(torch.from_numpy(bias))
                continue
            parent, _, index = name.rpartition(".")
            norm = modules[f"{parent}.{int(index) + 1}"]
            assert isinstance(norm, nn.BatchNorm2d)
            assert norm.running_mean is not None and norm.running_var is not None
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(bias))
            norm.running_mean.zero_()
            # (x - 0) / sqrt(var + eps) is x exactly when var + eps is 1.
            norm.running_var.fill_(1.0 - norm.eps)
    model.eval()
    return model


def freeze_batch_norms(model: nn.Module) -> None:
    """Batch norms back in evaluation mode (fixed statistics) after ``model.train()``."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
