"""The networks ganhub runs: RGB in [0, 1] → generator's own convention → RGB in [0, 1].

Normalisation and channel order live inside ``forward`` (ganhub's rule), so the tiler, the
ONNX exporter and the conformance suite drive these like any image-to-image network.
"""

from __future__ import annotations

import torch
from torch import nn

from ganhub_painting._arch.animegan2 import AnimeGANv2Generator
from ganhub_painting._arch.cartoongan import CartoonGANGenerator


class AnimeGANv2Painter(nn.Module):
    """(N, 3, H, W) RGB [0, 1] → AnimeGANv2 in [-1, 1] → (N, 3, H, W) RGB [0, 1]."""

    def __init__(self, generator: AnimeGANv2Generator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.generator(x * 2.0 - 1.0) * 0.5 + 0.5).clamp(0.0, 1.0)


class CartoonGANPainter(nn.Module):
    """(N, 3, H, W) RGB [0, 1] → BGR [-1, 1] for the Torch7-converted weights → RGB [0, 1]."""

    def __init__(self, generator: CartoonGANGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bgr = x.flip(1) * 2.0 - 1.0  # flip(1) reverses the channel axis: RGB ↔ BGR
        return (self.generator(bgr).flip(1) * 0.5 + 0.5).clamp(0.0, 1.0)


GENERATORS: dict[str, type[nn.Module]] = {"animegan2": AnimeGANv2Generator, "cartoongan": CartoonGANGenerator}
PAINTERS: dict[str, type[nn.Module]] = {"animegan2": AnimeGANv2Painter, "cartoongan": CartoonGANPainter}
