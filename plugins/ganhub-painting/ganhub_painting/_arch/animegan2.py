"""AnimeGANv2 generator (Chen, Liu, Chen 2020) in the PyTorch layout of bryandlee/animegan2-pytorch.

Parameter *names* follow that project's ``model.Generator`` so its published ``.pt`` state
dicts load with ``strict=True``; the code itself was written for ganhub. Input and output are
RGB in [-1, 1]; any H×W works (the decoder resizes back to the encoder's sizes).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_norm_lrelu(
    in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1,
    padding: int | tuple[int, int, int, int] = 1, groups: int = 1, bias: bool = False,
) -> nn.Sequential:
    """Reflection pad → conv → layer norm (GroupNorm with one group) → LeakyReLU(0.2).

    Indices 0..3 are part of the checkpoint's key names (index 1, the conv, gives '….1.weight').
    """
    return nn.Sequential(
        nn.ReflectionPad2d(padding),
        nn.Conv2d(in_ch, out_ch, kernel, stride, padding=0, groups=groups, bias=bias),
        nn.GroupNorm(1, out_ch, affine=True),
        nn.LeakyReLU(0.2),
    )


class InvertedResidual(nn.Module):
    """MobileNetV2-style block: 1×1 expand, depthwise 3×3, 1×1 project (+ skip when shapes match)."""

    def __init__(self, in_ch: int, out_ch: int, expansion: float = 2.0) -> None:
        super().__init__()
        hidden = int(round(in_ch * expansion))
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(conv_norm_lrelu(in_ch, hidden, kernel=1, padding=0))
        layers += [
            conv_norm_lrelu(hidden, hidden, groups=hidden, bias=True),
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            nn.GroupNorm(1, out_ch, affine=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.residual = in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(x)
        return x + out if self.residual else out


# The stride-2 convs pad only right and bottom (TF "SAME" for even sizes), as the original.
_DOWN = (0, 1, 0, 1)


class AnimeGANv2Generator(nn.Module):
    """Encoder (÷4) → 4 inverted residual blocks → bilinear decoder back to the input size."""

    def __init__(self) -> None:
        super().__init__()
        self.block_a = nn.Sequential(
            conv_norm_lrelu(3, 32, kernel=7, padding=3),
            conv_norm_lrelu(32, 64, stride=2, padding=_DOWN),
            conv_norm_lrelu(64, 64),
        )
        self.block_b = nn.Sequential(conv_norm_lrelu(64, 128, stride=2, padding=_DOWN), conv_norm_lrelu(128, 128))
        self.block_c = nn.Sequential(
            conv_norm_lrelu(128, 128),
            InvertedResidual(128, 256),
            *(InvertedResidual(256, 256) for _ in range(3)),
            conv_norm_lrelu(256, 128),
        )
        self.block_d = nn.Sequential(conv_norm_lrelu(128, 128), conv_norm_lrelu(128, 128))
        self.block_e = nn.Sequential(
            conv_norm_lrelu(128, 64), conv_norm_lrelu(64, 64), conv_norm_lrelu(64, 32, kernel=7, padding=3)
        )
        self.out_layer = nn.Sequential(nn.Conv2d(32, 3, 1, bias=False), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.block_a(x)
        out = self.block_c(self.block_b(half))
        # align_corners=True resizes to the exact encoder sizes, so odd sizes round-trip.
        out = F.interpolate(out, size=half.shape[-2:], mode="bilinear", align_corners=True)
        out = self.block_d(out)
        out = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=True)
        return self.out_layer(self.block_e(out))
