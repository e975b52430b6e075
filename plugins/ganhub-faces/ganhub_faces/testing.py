"""Seeded random checkpoints in the real files' formats, for tests, export checks and benchmarks.

They go through the same ``build()`` path as the real weights (weights-only loading,
unwrapping, strict key matching), so a test with them exercises the loader too.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganhub_faces._arch.dcgan import DCGANGenerator
from ganhub_faces._arch.stylegan2_config import StyleGAN2Config
from ganhub_faces.models import DCGAN_Z_DIM, seeded_generator


def random_dcgan_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """An untrained DCGAN generator, initialised as the DCGAN paper (and its training script) does."""
    generator = torch.Generator().manual_seed(seed)
    network = DCGANGenerator(nz=DCGAN_Z_DIM)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.ConvTranspose2d):
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * 0.02)
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(1.0 + torch.randn(module.weight.shape, generator=generator) * 0.02)
                module.bias.zero_()
    return network.state_dict()


def save_dcgan_checkpoint(path: Path, seed: int = 0) -> Path:
    """A random DCGAN in gan-face-generate's layout: ``{"netG_state_dict": …}`` via torch.save."""
    torch.save({"netG_state_dict": random_dcgan_state(seed)}, path)
    return path


def random_stylegan2_state(config: StyleGAN2Config, seed: int = 0) -> dict[str, torch.Tensor]:
    """A StyleGAN2 generator of ``config`` with seeded random weights (rosinality key names).

    The reference initialises noise strengths and biases to zero, which would hide bugs in
    the noise and bias paths; they get small random values here.
    """
    network = seeded_generator(config, seed)
    rng = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, parameter in network.named_parameters():
            if name.endswith("noise.weight") or name.endswith("activate.bias"):
                parameter.copy_(torch.randn(parameter.shape, generator=rng) * 0.1)
    return network.state_dict()


def save_rosinality_checkpoint(path: Path, config: StyleGAN2Config, seed: int = 0) -> Path:
    """A random generator saved as rosinality's scripts do: ``{"g_ema": …, "latent_avg": …}``."""
    state = random_stylegan2_state(config, seed)
    latent_avg = torch.zeros(config.style_dim)
    torch.save({"g_ema": state, "latent_avg": latent_avg}, path)
    return path
