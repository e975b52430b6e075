"""The StyleGAN2 generator: mapping network + synthesis network with ToRGB skips.

State-dict compatible with the ``g_ema`` of rosinality/stylegan2-pytorch checkpoints
(``style.*``, ``input.input``, ``conv1.*``, ``to_rgb1.*``, ``convs.*``, ``to_rgbs.*``,
``noises.noise_*``), so those load with ``strict=True``. The network itself is written
for ganhub; see ``stylegan2_layers`` for what differs from the reference and why.
"""

from __future__ import annotations

import torch
from torch import nn

from ganhub_faces._arch.stylegan2_config import StyleGAN2Config
from ganhub_faces._arch.stylegan2_layers import ConstantInput, EqualLinear, PixelNorm, StyledConv, ToRGB

class StyleGAN2Generator(nn.Module):
    """Mapping z → w and synthesis (w per layer, noise per layer) → RGB in about [-1, 1]."""

    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__()
        self.config = config
        dim = config.style_dim
        self.style = nn.Sequential(
            PixelNorm(),
            *(EqualLinear(dim, dim, lr_mul=config.lr_mlp, activate=True) for _ in range(config.n_mlp)),
        )
        first = config.channels(4)
        self.input = ConstantInput(first)
        self.conv1 = StyledConv(first, first, dim)
        self.to_rgb1 = ToRGB(first, dim, upsample=False)
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        in_channel = first
        for log_res in range(3, config.log_size + 1):
            out_channel = config.channels(2**log_res)
            self.convs.append(StyledConv(in_channel, out_channel, dim, upsample=True))
            self.convs.append(StyledConv(out_channel, out_channel, dim))
            self.to_rgbs.append(ToRGB(out_channel, dim))
            in_channel = out_channel
        # The trained constant noise maps ("const" noise mode) are buffers in the checkpoint.
        self.noises = nn.Module()
        for index, side in enumerate(config.noise_resolutions):
            self.noises.register_buffer(f"noise_{index}", torch.randn(1, 1, side, side))
        # Not in checkpoints (persistent=False keeps strict loading exact): set by compute_w_avg.
        self.register_buffer("w_avg", torch.zeros(dim), persistent=False)

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """Latent z (N, style_dim) → intermediate latent w (N, style_dim)."""
        return self.style(z)

    def const_noise(self) -> list[torch.Tensor]:
        """The stored noise maps, each (1, 1, side, side)."""
        return [getattr(self.noises, f"noise_{i}") for i in range(len(self.config.noise_resolutions))]

    def synthesis(self, ws: torch.Tensor, noise: list[torch.Tensor]) -> torch.Tensor:
        """Styles (N, n_latent, style_dim) and one noise map per layer → (N, 3, size, size)."""
        out = self.conv1(self.input(ws.shape[0]), ws[:, 0], noise[0])
        skip = self.to_rgb1(out, ws[:, 1])
        index = 1
        for block in range(len(self.to_rgbs)):
            out = self.convs[2 * block](out, ws[:, index], noise[2 * block + 1])
            out = self.convs[2 * block + 1](out, ws[:, index + 1], noise[2 * block + 2])
            skip = self.to_rgbs[block](out, ws[:, index + 2], skip)
            index += 2
        return skip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The plain path, z → image with the stored noise (no truncation, no mixing)."""
        w = self.mapping(z)
        return self.synthesis(w[:, None].expand(-1, self.config.n_latent, -1), self.const_noise())

    @torch.no_grad()
    def compute_w_avg(self, samples: int = 4096, seed: int = 0) -> torch.Tensor:
        """Mean of ``samples`` mapped z (seeded, so every load gives the same mean), cached on ``w_avg``."""
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(samples, self.config.style_dim, generator=generator)
        device = self.w_avg.device
        mean = torch.cat([self.mapping(chunk.to(device)) for chunk in z.split(1024)]).mean(0)
        self.w_avg.copy_(mean)
        return self.w_avg
