"""The networks: DCGAN generator/discriminator, U-Net generator and PatchGAN discriminator.

Generators work in [-1, 1] (tanh), as GANs train best there; the ``Unit*`` wrappers put the
[0, 1] tensor convention of :mod:`ganhub.model` around them for inference and publishing,
so normalisation lives inside the exported network. ``ARCHITECTURES`` maps the names written
into a published ``config.json`` to constructors, so a folder loads back without plugin code.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's init: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.InstanceNorm2d)) and layer.weight is not None:
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) → (N, 3, size, size) in [-1, 1]: transposed convs, BatchNorm, ReLU, tanh."""

    def __init__(self, latent_dim: int = 64, image_size: int = 32, channels: int = 32):
        super().__init__()
        self.latent_dim = latent_dim
        ups = int(math.log2(image_size)) - 2  # 4×4 after the first layer, then ×2 per layer
        widths = [channels * 2 ** (ups - 1 - i) for i in range(ups)]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]), nn.ReLU(True),
        ]
        for width_in, width_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(width_in, width_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], 3, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z.reshape(z.shape[0], self.latent_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """(N, 3, size, size) → (N,) logits: strided convs with LeakyReLU(0.2), no norm on the first."""

    def __init__(self, image_size: int = 32, channels: int = 32, norm: str = "batch"):
        super().__init__()
        downs = int(math.log2(image_size)) - 2  # down to 4×4, then one 4×4 conv to a logit
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = channels
        for _ in range(downs - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm == "none"),
                       _norm(norm, width * 2), nn.LeakyReLU(0.2, True)]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 0))
        self.body = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images).flatten()


class _UNetLevel(nn.Module):
    """One U-Net level: down-sample, the inner levels, up-sample, concatenated with the input."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None, *, outermost: bool = False,
                 dropout: float = 0.0, out_channels: int = 3):
        super().__init__()
        down_norm = not outermost and sub is not None  # no norm on the first or the 1-pixel level
        self.down = nn.Sequential(
            *( [] if outermost else [nn.LeakyReLU(0.2, True)] ),
            nn.Conv2d(outer if not outermost else 3, inner, 4, 2, 1, bias=not down_norm),
            *( [nn.BatchNorm2d(inner)] if down_norm else [] ),
        )
        self.sub = sub if sub is not None else nn.Identity()
        up_in = inner if sub is None else inner * 2
        up_out = out_channels if outermost else outer
        up: list[nn.Module] = [nn.ReLU(True), nn.ConvTranspose2d(up_in, up_out, 4, 2, 1, bias=outermost)]
        up += [nn.Tanh()] if outermost else [nn.BatchNorm2d(up_out)]
        if dropout and not outermost:
            up.append(nn.Dropout(dropout))
        self.up = nn.Sequential(*up)
        self.outermost = outermost

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.sub(self.down(x)))
        return y if self.outermost else torch.cat([x, y], 1)


class UNetGenerator(nn.Module):
    """pix2pix U-Net: (N, 3, H, W) → (N, 3, H, W) in [-1, 1]; H, W multiples of 2**depth.

    ``residual``: the output is the input plus the U-Net's correction (clamped to [-1, 1]).
    Restoration leaves most pixels as they are, so starting from the identity (the last layer
    is zero-initialised by :meth:`start_as_identity`) lets training spend its steps on the
    degradation instead of on re-learning to copy the image.
    """

    def __init__(self, depth: int = 4, channels: int = 32, dropout: float = 0.0, residual: bool = False):
        super().__init__()
        widths = [min(channels * 2**i, channels * 8) for i in range(depth)]
        level: nn.Module | None = None
        for i in reversed(range(1, depth)):  # build from the bottleneck outwards
            level = _UNetLevel(widths[i - 1], widths[i], level, dropout=dropout if i >= depth - 3 else 0.0)
        self.body = _UNetLevel(3, widths[0], level, outermost=True, out_channels=3)
        self.depth, self.residual = depth, residual

    def start_as_identity(self) -> None:
        """Zero the last layer, so a residual U-Net starts as the identity map."""
        last = self.body.up[1]
        assert isinstance(last, nn.ConvTranspose2d) and last.bias is not None
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return (x + y).clamp(-1.0, 1.0) if self.residual else y


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (input, output) pairs, concatenated → a grid of real/fake logits."""

    def __init__(self, channels: int = 32, layers: int = 3, norm: str = "batch", in_channels: int = 6):
        super().__init__()
        body: list[nn.Module] = [nn.Conv2d(in_channels, channels, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = channels
        for i in range(1, layers + 1):
            stride, out = (2 if i < layers else 1), channels * min(2**i, 8)
            body += [nn.Conv2d(width, out, 4, stride, 1, bias=norm == "none"), _norm(norm, out),
                     nn.LeakyReLU(0.2, True)]
            width = out
        body.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.body = nn.Sequential(*body)

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([source, target], 1))


class UnitGenerator(nn.Module):
    """z → images in [0, 1] around a [-1, 1] generator (ganhub's generate convention)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.net(z) + 1.0) * 0.5


class UnitImageToImage(nn.Module):
    """[0, 1] image → [0, 1] image around a [-1, 1] network (ganhub's image-to-image convention)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((self.net(x * 2.0 - 1.0) + 1.0) * 0.5).clamp(0.0, 1.0)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "dcgan-generator": DCGANGenerator,
    "unet-generator": UNetGenerator,
}


def build_architecture(name: str, kwargs: dict[str, Any]) -> nn.Module:
    """The network ``name`` (a key of ``ARCHITECTURES``) built with ``kwargs``."""
    from ganhub.errors import GanhubError

    if name not in ARCHITECTURES:
        raise GanhubError(f"unknown architecture '{name}': ganhub knows {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name](**kwargs)
