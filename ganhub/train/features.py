"""Feature extractors for FID / KID / IS: pluggable, by name or ``"package.module:callable"``.

- ``random-conv``: a small conv net with fixed seeded random weights. No download, a few ms per
  batch on a CPU; its distances are only comparable with each other, not with published FIDs.
  Random conv features are a known, useful baseline for distribution distances (they see
  colour and texture statistics), which is what offline tests and quick checks need.
- ``inception``: the standard FID network (pytorch-fid's port of the TF 2015-12-05 Inception,
  fetched through :mod:`ganhub.weights` with its sha256 pinned): 2048-d pool features and
  1008-class logits (for the Inception Score). Needs the weights in the Hub cache or online.

An extractor maps (N, 3, H, W) images in [0, 1] to (N, D) features; ``logits`` is optional.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np
import torch
from torch import nn

from ganhub.errors import GanhubError
from ganhub.train.external import import_named, is_external


class FeatureExtractor(Protocol):
    """[0, 1] images → features; ``has_logits`` says whether :meth:`logits` works."""

    name: str
    has_logits: bool

    def features(self, images: torch.Tensor) -> torch.Tensor: ...

    def logits(self, images: torch.Tensor) -> torch.Tensor: ...


class RandomConvFeatures(nn.Module):
    """Fixed random conv features: mean-pooled activations of 3 scales, concatenated (224-d)."""

    name = "random-conv"
    has_logits = False

    def __init__(self, seed: int = 0, widths: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        previous = 3
        for index, width in enumerate(widths):
            conv = nn.Conv2d(previous, width, 3, stride=1 if index == 0 else 2, padding=1)
            assert conv.bias is not None
            with torch.no_grad():  # He-normal from our own generator: same weights everywhere
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * (2.0 / (previous * 9)) ** 0.5)
                nn.init.zeros_(conv.bias)
            self.convs.append(conv)
            previous = width
        self.eval().requires_grad_(False)

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> torch.Tensor:
        x, pooled = images * 2.0 - 1.0, []
        for conv in self.convs:
            x = torch.relu(conv(x))
            pooled.append(x.mean((2, 3)))
        return torch.cat(pooled, 1)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        raise GanhubError("the random-conv extractor has no class logits: use --features inception for IS")


def extract(extractor: FeatureExtractor, images: torch.Tensor, batch: int = 64, logits: bool = False) -> np.ndarray:
    """Features (or logits) of ``images`` in batches, as a float64 numpy matrix."""
    device = _device_of(extractor)
    run = extractor.logits if logits else extractor.features
    parts = [run(images[i : i + batch].to(device)).double().cpu() for i in range(0, len(images), batch)]
    return torch.cat(parts).numpy()


def _device_of(extractor: object) -> torch.device:
    if isinstance(extractor, nn.Module):
        for parameter in extractor.parameters():
            return parameter.device
    return torch.device("cpu")


def get_extractor(name: str, device: str = "cpu") -> FeatureExtractor:
    """``random-conv``, ``inception`` or ``package.module:callable`` (a zero-argument factory)."""
    if name == "random-conv":
        return RandomConvFeatures().to(device)
    if name == "inception":
        from ganhub.train.inception import load_fid_inception

        return load_fid_inception(device)
    if not is_external(name):
        raise GanhubError(f"unknown feature extractor '{name}': use random-conv, inception or module:callable")
    factory: Callable[[], FeatureExtractor] = import_named(name, "feature extractor")
    extractor = factory()
    return extractor.to(device) if isinstance(extractor, nn.Module) else extractor
