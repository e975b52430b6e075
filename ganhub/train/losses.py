"""GAN losses: BCE with one-sided label smoothing, non-saturating generator loss, WGAN-GP.

All take raw logits/scores; BCE goes through ``binary_cross_entropy_with_logits``, which is
numerically stable and safe under CUDA autocast.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def d_bce_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Discriminator BCE; real targets are ``1 - smoothing`` (one-sided: fakes stay at 0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1.0 - smoothing))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def g_nonsaturating_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """``-log D(G(z))``: strong gradients early, when D rejects fakes confidently."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss: ``E[D(fake)] - E[D(real)]`` (minimised), the negated distance estimate."""
    return fake_scores.mean() - real_scores.mean()


def g_wasserstein_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: ``-E[D(G(z))]``."""
    return -fake_scores.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``E[(‖∇D(x̂)‖₂ - 1)²]`` on x̂ = ε·real + (1-ε)·fake, ε ~ U(0, 1) per sample (Gulrajani 2017).

    ``create_graph=True`` keeps the penalty differentiable w.r.t. the critic's weights.
    ``generator`` draws ε (on the CPU, so runs replay identically on any device).
    """
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=generator).to(real.device, real.dtype)
    mixed = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grads.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()
