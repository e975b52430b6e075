"""Degradations for pix2pix: clean images → degraded images, made on the fly.

A degradation is any callable ``(clean, generator) -> degraded`` on (N, 3, H, W) float tensors
in [0, 1]; it must draw its randomness from ``generator`` only, so a resumed run replays it.
A plugin (e.g. watermark removal) passes its own callable to :func:`ganhub.train.train`, or
names it in a config as ``"package.module:callable"``.
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch
import torch.nn.functional as F

from ganhub.errors import GanhubError
from ganhub.train.external import import_named, is_external


class Degradation(Protocol):
    """Clean (N, 3, H, W) in [0, 1] → degraded, same shape, in [0, 1]."""

    def __call__(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor: ...


def color_shift(clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A fixed per-channel gain and offset (a colour cast): trivial to learn, for tests and demos."""
    gain = torch.tensor([0.85, 1.05, 0.75], device=clean.device).view(1, 3, 1, 1)
    bias = torch.tensor([0.10, -0.04, 0.12], device=clean.device).view(1, 3, 1, 1)
    return (clean * gain + bias).clamp(0.0, 1.0)


def gaussian_noise(clean: torch.Tensor, generator: torch.Generator, sigma: float = 0.1) -> torch.Tensor:
    """Additive white Gaussian noise of std ``sigma`` (noise drawn on the CPU for replayability)."""
    noise = torch.randn(clean.shape, generator=generator).to(clean.device)
    return (clean + sigma * noise).clamp(0.0, 1.0)


def box_blur(clean: torch.Tensor, generator: torch.Generator, radius: int = 1) -> torch.Tensor:
    """A (2r+1)² box blur with reflected borders."""
    size = 2 * radius + 1
    kernel = torch.full((3, 1, size, size), 1.0 / size**2, device=clean.device, dtype=clean.dtype)
    padded = F.pad(clean, (radius,) * 4, mode="reflect")
    return F.conv2d(padded, kernel, groups=3)


BUILTIN: dict[str, Callable[..., torch.Tensor]] = {
    "color-shift": color_shift,
    "noise": gaussian_noise,
    "blur": box_blur,
}


def resolve_degradation(name: str) -> Degradation:
    """A built-in degradation by name, or ``"package.module:callable"`` imported."""
    if name in BUILTIN:
        return BUILTIN[name]
    if not is_external(name):
        raise GanhubError(
            f"unknown degradation '{name}': use one of {', '.join(BUILTIN)} or 'package.module:callable'"
        )
    found = import_named(name, "degradation")
    if not callable(found):
        raise GanhubError(f"degradation '{name}' is not callable")
    return found
