"""The networks ganhub runs: ganhub's input convention → generator → RGB in [0, 1].

Everything a user can set (truncation, style mixing, w-space interpolation, noise mode)
arrives as *tensors*, one row per image, and is applied inside ``forward``. So one traced
graph covers every parameter value, an ONNX export has fixed inputs with a dynamic batch,
and no Python-side branching depends on params. See ``latents`` for how the inputs are made.
"""

from __future__ import annotations

import torch
from torch import nn

from ganhub_faces._arch.dcgan import DCGANGenerator
from ganhub_faces._arch.stylegan2 import StyleGAN2Generator

STYLEGAN2_INPUTS = ("z", "z_mix", "psi", "mix", "noise_select", "noise")


class DCGANFaces(nn.Module):
    """z (N, 100) → faces (N, 3, 64, 64) in [0, 1]."""

    input_names = ("z",)

    def __init__(self, generator: DCGANGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        image = self.generator(z[:, :, None, None])
        return (image + 1.0) * 0.5  # tanh range [-1, 1] → [0, 1]


class StyleGAN2Faces(nn.Module):
    """Six per-image inputs → faces (N, 3, size, size) in [0, 1].

    - ``z``, ``z_mix`` (N, style_dim): the two latents (``z_mix`` = ``z`` when unused);
    - ``psi`` (N, 1): truncation towards the generator's cached mean w (1 = none, 0 = mean face);
    - ``mix`` (N, n_latent): per style layer, the weight of ``z_mix``'s w. 0/1 masks give
      style mixing at a crossover; a constant t in [0, 1] gives w-space interpolation;
    - ``noise_select`` (N, 1): 0 = the stored constant noise maps, 1 = ``noise``;
    - ``noise`` (N, noise_size): all noise maps of one image, flattened and concatenated.
    """

    input_names = STYLEGAN2_INPUTS

    def __init__(self, generator: StyleGAN2Generator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, z_mix: torch.Tensor, psi: torch.Tensor, mix: torch.Tensor,
                noise_select: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        generator = self.generator
        w_avg = generator.w_avg
        w_first = w_avg + psi * (generator.mapping(z) - w_avg)
        w_second = w_avg + psi * (generator.mapping(z_mix) - w_avg)
        weight = mix.unsqueeze(-1)
        # Weights exactly 0 or 1 reproduce one w bit for bit (x·1 + y·0 = x).
        ws = w_first[:, None] * (1.0 - weight) + w_second[:, None] * weight
        image = generator.synthesis(ws, self._noise_maps(noise, noise_select))
        return ((image + 1.0) * 0.5).clamp(0.0, 1.0)

    def _noise_maps(self, noise: torch.Tensor, select: torch.Tensor) -> list[torch.Tensor]:
        maps, offset = [], 0
        select = select[:, :, None, None]
        for stored in self.generator.const_noise():
            side = stored.shape[-1]
            given = noise[:, offset : offset + side * side].reshape(-1, 1, side, side)
            maps.append(stored * (1.0 - select) + given * select)
            offset += side * side
        return maps
