"""The detector network: a small fully convolutional CenterNet at output stride 4.

A strided stem brings the 32-px symbols to 8×8 cells; a down path to stride
32 gives the context a long root or a fraction needs; an up path adds it back
to the stride-4 features. Three heads read those: per-class centre scores
(sigmoid), and for each class its log box size in cells and the centre's offset
within its cell: a root and the digit under it may share a centre cell, and a
size shared by all classes there could be only one of theirs.
About 1.3 M parameters; the cost is dominated by the stride-4 and stride-8
convolutions, about 4,000 multiply-adds per input pixel.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["Detector"]


class _ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class _Residual(nn.Module):
    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.a = _ConvBN(channels, channels, dilation=dilation)
        self.b = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.b(self.a(x)))


class Detector(nn.Module):
    """(N, 1, H, W) ink in [0, 1], H, W multiples of 32 → heat (C), size (2C), offset (2C) at H/4 × W/4."""

    def __init__(self, classes: int, width: int = 32) -> None:
        super().__init__()
        w = width
        self.stem = nn.Sequential(_ConvBN(1, w // 2, 2), _ConvBN(w // 2, w, 2))
        self.s4 = _Residual(w)
        self.s8 = nn.Sequential(_ConvBN(w, 2 * w, 2), _Residual(2 * w), _Residual(2 * w))
        self.s16 = nn.Sequential(
            _ConvBN(2 * w, 4 * w, 2), _Residual(4 * w), _Residual(4 * w, dilation=2)
        )
        self.s32 = nn.Sequential(_ConvBN(4 * w, 4 * w, 2), _Residual(4 * w, dilation=2))
        self.up16 = _ConvBN(4 * w, 4 * w)
        self.lat8 = nn.Conv2d(4 * w, 2 * w, 1)
        self.up8 = _ConvBN(2 * w, 2 * w)
        self.lat4 = nn.Conv2d(2 * w, w, 1)
        self.up4 = _ConvBN(w, 48)
        self.heat = nn.Sequential(_ConvBN(48, 48), nn.Conv2d(48, classes, 1))
        self.size = nn.Sequential(_ConvBN(48, 48), nn.Conv2d(48, 2 * classes, 1))
        self.offset = nn.Sequential(_ConvBN(48, 48), nn.Conv2d(48, 2 * classes, 1))
        # Start from a low centre probability everywhere (CenterNet's prior).
        last = self.heat[-1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.constant_(last.bias, -math.log((1 - 0.01) / 0.01))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f4 = self.s4(self.stem(x))
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        u16 = self.up16(f16 + F.interpolate(f32, size=f16.shape[-2:], mode="nearest"))
        u8 = self.up8(f8 + F.interpolate(self.lat8(u16), size=f8.shape[-2:], mode="nearest"))
        u4 = self.up4(f4 + F.interpolate(self.lat4(u8), size=f4.shape[-2:], mode="nearest"))
        heat, size, offset = self.heat(u4), self.size(u4), self.offset(u4)
        if heat.dtype != torch.float32:
            # Under bfloat16 autocast the heads' outputs come back in float32: a sigmoid
            # near 1 would round to 1, and the focal loss needs log(1 - p). A float32
            # model (and so its ONNX export) takes no casts at all.
            heat, size, offset = heat.float(), size.float(), offset.float()
        return torch.sigmoid(heat), size, offset
