"""The DCGAN generator (Radford et al. 2016) at 64×64, as in PyTorch's DCGAN face tutorial.

Layer order and indices inside ``main`` match the ``netG_state_dict`` that
gan-face-generate ships (``main.0.weight`` … ``main.12.weight``), so it loads with
``strict=True``. Written for ganhub from the paper's description: four stride-2 transposed
convs, BatchNorm + ReLU between them, Tanh at the end.
"""

from __future__ import annotations

import torch
from torch import nn


def _up(in_channel: int, out_channel: int, stride: int, padding: int) -> list[nn.Module]:
    return [
        nn.ConvTranspose2d(in_channel, out_channel, 4, stride, padding, bias=False),
        nn.BatchNorm2d(out_channel),
        nn.ReLU(inplace=True),
    ]


class DCGANGenerator(nn.Module):
    """z (N, nz, 1, 1) → RGB (N, nc, 64, 64) in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(
            *_up(nz, ngf * 8, 1, 0),  # 1 → 4
            *_up(ngf * 8, ngf * 4, 2, 1),  # 4 → 8
            *_up(ngf * 4, ngf * 2, 2, 1),  # 8 → 16
            *_up(ngf * 2, ngf, 2, 1),  # 16 → 32
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),  # 32 → 64
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)
