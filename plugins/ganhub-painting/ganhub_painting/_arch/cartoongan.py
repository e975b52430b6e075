"""CartoonGAN generator (Chen, Lai, Liu, CVPR 2018) in the layout of Yijunmaverick's PyTorch port.

Parameter *names* follow ``network/Transformer.py`` of Yijunmaverick/CartoonGAN-Test-Pytorch-Torch
(also used by the akiyamasho/AnimeBackgroundGAN Space and model repos), so those ``.pth``
state dicts load with ``strict=True``; the code was written for ganhub. The network works in
**BGR** order in [-1, 1] (the weights were converted from the authors' Torch7 models); H and
W must be multiples of 4 (two stride-2 convs, two transposed convs with output padding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

RES_BLOCKS = range(4, 12)  # the port numbers its 8 residual blocks 04..11
EPS = 1e-9  # the port's instance-norm epsilon (Torch7's), not PyTorch's 1e-5


class InstanceNorm(nn.Module):
    """Instance normalisation with the port's parameter names ``scale`` / ``shift``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels))
        self.shift = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Biased variance, as the port computes it; instance_norm also exports to one ONNX op.
        return F.instance_norm(x, weight=self.scale, bias=self.shift, eps=EPS)


class CartoonGANGenerator(nn.Module):
    """7×7 conv, two stride-2 downs, 8 residual blocks, two transposed-conv ups, 7×7 conv + tanh."""

    def __init__(self) -> None:
        super().__init__()
        self.refpad01_1 = nn.ReflectionPad2d(3)
        self.conv01_1, self.in01_1 = nn.Conv2d(3, 64, 7), InstanceNorm(64)
        self.conv02_1, self.conv02_2 = nn.Conv2d(64, 128, 3, 2, 1), nn.Conv2d(128, 128, 3, 1, 1)
        self.in02_1 = InstanceNorm(128)
        self.conv03_1, self.conv03_2 = nn.Conv2d(128, 256, 3, 2, 1), nn.Conv2d(256, 256, 3, 1, 1)
        self.in03_1 = InstanceNorm(256)
        self.pad = nn.ReflectionPad2d(1)  # parameter-free: one module serves every block
        for block in RES_BLOCKS:
            for half in (1, 2):
                setattr(self, f"conv{block:02d}_{half}", nn.Conv2d(256, 256, 3))
                setattr(self, f"in{block:02d}_{half}", InstanceNorm(256))
        self.deconv01_1 = nn.ConvTranspose2d(256, 128, 3, 2, 1, 1)
        self.deconv01_2, self.in12_1 = nn.Conv2d(128, 128, 3, 1, 1), InstanceNorm(128)
        self.deconv02_1 = nn.ConvTranspose2d(128, 64, 3, 2, 1, 1)
        self.deconv02_2, self.in13_1 = nn.Conv2d(64, 64, 3, 1, 1), InstanceNorm(64)
        self.refpad12_1 = nn.ReflectionPad2d(3)
        self.deconv03_1 = nn.Conv2d(64, 3, 7)

    def _layer(self, name: str) -> nn.Module:
        return getattr(self, name)

    def _residual(self, x: torch.Tensor, block: int) -> torch.Tensor:
        conv1, norm1 = self._layer(f"conv{block:02d}_1"), self._layer(f"in{block:02d}_1")
        conv2, norm2 = self._layer(f"conv{block:02d}_2"), self._layer(f"in{block:02d}_2")
        y = F.relu(norm1(conv1(self.pad(x))))
        return norm2(conv2(self.pad(y))) + x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in01_1(self.conv01_1(self.refpad01_1(x))))
        y = F.relu(self.in02_1(self.conv02_2(self.conv02_1(y))))
        y = F.relu(self.in03_1(self.conv03_2(self.conv03_1(y))))
        for block in RES_BLOCKS:
            y = self._residual(y, block)
        y = F.relu(self.in12_1(self.deconv01_2(self.deconv01_1(y))))
        y = F.relu(self.in13_1(self.deconv02_2(self.deconv02_1(y))))
        return torch.tanh(self.deconv03_1(self.refpad12_1(y)))
