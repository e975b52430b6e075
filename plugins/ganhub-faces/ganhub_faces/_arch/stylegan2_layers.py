"""The layers of the StyleGAN2 generator, in plain PyTorch (no custom CUDA ops).

Written for ganhub from the StyleGAN2 paper (Karras et al., "Analyzing and Improving the
Image Quality of StyleGAN", 2020). Module and parameter names follow the state-dict layout
of rosinality/stylegan2-pytorch checkpoints, so those load with ``strict=True``; the
computation is an independent implementation (see ``_arch/README.md``).

Two choices differ from the reference implementation on purpose, both exact in math:

- modulation scales the *activations* (``x * s``, conv, ``* d``) instead of building one
  weight per sample and running a grouped conv with ``groups=batch``: the batch size then
  stays out of the graph (ONNX export with a dynamic batch) and CPUs run a plain conv;
- the [1, 3, 3, 1] up-sampling FIR filter ("upfirdn2d") is a depthwise transposed conv and
  the blur a depthwise conv, so no custom op is needed anywhere.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BLUR_TAPS = (1.0, 3.0, 3.0, 1.0)
LRELU_GAIN = math.sqrt(2.0)  # keeps activations at unit variance after a leaky ReLU(0.2)


def fir_kernel(taps: tuple[float, ...] = BLUR_TAPS, gain: float = 1.0) -> torch.Tensor:
    """The separable 2-D FIR filter from 1-D taps, normalised to sum to ``gain``."""
    row = torch.tensor(taps, dtype=torch.float32)
    kernel = row[None, :] * row[:, None]
    return kernel / kernel.sum() * gain


def bias_lrelu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Per-channel bias, leaky ReLU(0.2), then the √2 gain (StyleGAN's "fused" activation)."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), 0.2) * LRELU_GAIN


class PixelNorm(nn.Module):
    """Normalise each latent vector to unit root-mean-square."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate: weights are stored unit-variance, scaled at run time."""

    def __init__(self, in_dim: int, out_dim: int, *, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activate: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.lr_mul
        if self.activate:
            return bias_lrelu(F.linear(x, self.weight * self.scale), bias)
        return F.linear(x, self.weight * self.scale, bias)


class Blur(nn.Module):
    """Zero-pad then low-pass with the FIR filter, channel by channel."""

    def __init__(self, channels: int, pad: tuple[int, int], gain: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("kernel", fir_kernel(gain=gain))
        self.channels = channels  # a Python int, so an ONNX trace sees a fixed kernel shape
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, [self.pad[0], self.pad[1], self.pad[0], self.pad[1]])
        # upfirdn2d convolves (not correlates) with the kernel: flip it for F.conv2d.
        weight = self.kernel.flip([0, 1])[None, None].expand(self.channels, 1, -1, -1)
        return F.conv2d(x, weight, groups=self.channels)


class Upsample(nn.Module):
    """×2 up-sampling with the FIR filter (zero-stuffing + low-pass) as one depthwise transposed conv."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        self.register_buffer("kernel", fir_kernel(gain=4.0))  # ×factor² keeps the mean level
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.kernel[None, None].expand(self.channels, 1, -1, -1)
        # For a 4-tap kernel, upfirdn2d(up=2, pad=(2, 1)) equals a stride-2 transposed conv
        # with padding 1 (same taps, same alignment, output exactly 2H × 2W).
        return F.conv_transpose2d(x, weight, stride=2, padding=1, groups=self.channels)


class ModulatedConv2d(nn.Module):
    """Conv whose input channels are scaled by a style, output optionally demodulated."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, style_dim: int, *,
                 demodulate: bool = True, upsample: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1.0)
        self.scale = 1.0 / math.sqrt(in_channel * kernel_size**2)
        self.padding = kernel_size // 2
        self.demodulate = demodulate
        self.upsample = upsample
        if upsample:
            # After a stride-2 transposed 3×3 conv (2H+1 pixels) pad 1 each side, blur → 2H.
            self.blur = Blur(out_channel, (1, 1), gain=4.0)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        style = self.modulation(w)  # (N, in)
        weight = self.weight[0] * self.scale  # (out, in, k, k)
        x = x * style[:, :, None, None]
        if self.upsample:
            out = self.blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))
        else:
            out = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            # ‖w·s‖ per output channel = sqrt(Σ_in s² Σ_k w²): no per-sample weight needed.
            power = (style * style) @ weight.square().sum((2, 3)).t()  # (N, out)
            out = out * torch.rsqrt(power + 1e-8)[:, :, None, None]
        return out


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by one learned strength."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return x + self.weight * noise


class ConstantInput(nn.Module):
    """The learned 4×4 starting tensor, repeated over the batch."""

    def __init__(self, channel: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.expand(batch, -1, -1, -1)


class BiasLeakyReLU(nn.Module):
    """``bias_lrelu`` with its bias as a parameter (named like the reference's FusedLeakyReLU)."""

    def __init__(self, channel: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return bias_lrelu(x, self.bias)


class StyledConv(nn.Module):
    """Modulated 3×3 conv → noise → bias + leaky ReLU."""

    def __init__(self, in_channel: int, out_channel: int, style_dim: int, *, upsample: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, out_channel, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = BiasLeakyReLU(out_channel)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, w), noise))


class ToRGB(nn.Module):
    """1×1 modulated conv to RGB (no demodulation), added to the up-sampled previous RGB."""

    def __init__(self, in_channel: int, style_dim: int, *, upsample: bool = True) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        if upsample:
            self.upsample = Upsample()

    def forward(self, x: torch.Tensor, w: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, w) + self.bias
        return out if skip is None else out + self.upsample(skip)
