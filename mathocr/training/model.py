"""The symbol CNN: small enough for ~0.1 ms a symbol on one core.

The input is a 1-pixel skeleton in a 32×32 box, so the network needs few
channels; max-pooling keeps thin lines alive while halving the resolution.
The exported graph ends in a softmax, so the ONNX output is probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ModelConfig", "SymbolNet"]


@dataclass(frozen=True)
class ModelConfig:
    """Layer widths; the defaults are the shipped model's."""

    widths: tuple[int, int, int] = (16, 32, 64)
    hidden: int = 128
    dropout: float = 0.3
    box: int = 32


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SymbolNet(nn.Module):
    """Three conv blocks (32→16→8→4) and a small classifier head."""

    def __init__(self, n_classes: int, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        w1, w2, w3 = config.widths
        self.config = config
        self.features = nn.Sequential(_block(1, w1), _block(w1, w2), _block(w2, w3))
        side = config.box // 8
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(w3 * side * side, config.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, box, box) float in {0, 1} → (N, n_classes) logits."""
        return self.head(self.features(x))


class WithSoftmax(nn.Module):
    """The exported form: probabilities instead of logits."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)
