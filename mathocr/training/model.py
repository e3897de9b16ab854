"""The symbol CNN: small enough for ~0.1 ms a symbol on one core.

The input is a 1-pixel skeleton in a 32×32 box, so the network needs few
channels; max-pooling keeps thin lines alive while halving the resolution.
Beside the image the head reads the symbol's size in its expression
(:mod:`mathocr.geometry`): the box has scaled a tall ``(`` and a short ``1``
to the same size, and only the proportions tell them apart.
The exported graph ends in a softmax, so the ONNX output is probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..geometry import GEOMETRY_FEATURES

__all__ = ["ModelConfig", "SymbolNet"]


@dataclass(frozen=True)
class ModelConfig:
    """Layer widths; the defaults are the shipped model's."""

    widths: tuple[int, int, int] = (32, 64, 128)
    hidden: int = 128
    dropout: float = 0.3
    box: int = 32
    convs: int = 1
    """3×3 convolutions per block before each pooling."""


def _block(c_in: int, c_out: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k in range(convs):
        layers += [
            nn.Conv2d(c_in if k == 0 else c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers, nn.MaxPool2d(2))


class SymbolNet(nn.Module):
    """Three conv blocks (32→16→8→4), then a head over the image and its geometry."""

    def __init__(self, n_classes: int, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        w1, w2, w3 = config.widths
        self.config = config
        n = config.convs
        self.features = nn.Sequential(
            _block(1, w1, n), _block(w1, w2, n), _block(w2, w3, n), nn.Flatten()
        )
        side = config.box // 8
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Sequential(
            nn.Linear(w3 * side * side + GEOMETRY_FEATURES, config.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, n_classes),
        )

    def forward(self, x: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
        """(N, 1, box, box) float in {0, 1} and (N, 3) geometry → (N, n_classes) logits."""
        return self.head(torch.cat([self.drop(self.features(x)), geometry], dim=1))


class WithSoftmax(nn.Module):
    """The exported form: probabilities instead of logits."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x, geometry), dim=1)
