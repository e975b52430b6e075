"""Unconditional GANs on an image folder: DCGAN (BCE) and WGAN-GP (critic + gradient penalty)."""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from ganhub.train import losses
from ganhub.train.data import to_unit
from ganhub.train.nets import DCGANDiscriminator, DCGANGenerator, dcgan_init
from ganhub.train.trainer import Trainer, frozen


class DCGANTrainer(Trainer):
    """DCGAN: BCE discriminator (optional one-sided label smoothing), non-saturating generator."""

    architecture = "dcgan-generator"

    def build(self) -> tuple[nn.Module, nn.Module]:
        cfg = self.cfg
        g = DCGANGenerator(**self.architecture_kwargs())
        d = DCGANDiscriminator(cfg.image_size, cfg.d_channels, cfg.d_norm)
        dcgan_init(g)
        dcgan_init(d)
        return g, d

    def architecture_kwargs(self) -> dict[str, Any]:
        cfg = self.cfg
        return {"latent_dim": cfg.latent_dim, "image_size": cfg.image_size, "channels": cfg.g_channels}

    def noise(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Standard-normal latents (drawn on the CPU, so every device sees the same numbers)."""
        return torch.randn(count, self.cfg.latent_dim, generator=generator or self.rng).to(self.device)

    def step(self) -> dict[str, float]:
        logs: dict[str, float] = {}
        for index in range(self.cfg.n_critic):
            # Only the last fakes feed the generator update: the others need no graph.
            with torch.set_grad_enabled(index == self.cfg.n_critic - 1), self.autocast():
                fake = self.g(self.noise(self.cfg.batch_size))
            logs.update(self.discriminator_update(self.real_batch(), fake))
        # The generator update reuses the last fakes: one generator forward per step.
        with frozen(self.d), self.autocast():
            loss_g = self.generator_loss(self.d(fake))
        self.update(loss_g, "g")
        logs["loss_g"] = float(loss_g.detach())
        return logs

    def discriminator_update(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        """One discriminator step on ``real`` vs ``fake`` (detached)."""
        with self.autocast():
            real_logits, fake_logits = self.d(real), self.d(fake.detach())
            loss = losses.d_bce_loss(real_logits, fake_logits, self.cfg.label_smoothing)
        self.update(loss, "d")
        # How well D separates right now: mean of its probabilities on each side.
        return {"loss_d": float(loss.detach()), "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
                "d_fake": float(torch.sigmoid(fake_logits.detach()).mean())}

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        """The non-saturating loss ``-log D(G(z))``."""
        return losses.g_nonsaturating_loss(fake_scores)

    def sample_latents(self) -> torch.Tensor:
        """The fixed latents of the sample grids."""
        return self.noise(self.cfg.sample_count, self.sample_generator())

    def samples(self) -> torch.Tensor:
        with self.evaluating() as network:
            return to_unit(network(self.sample_latents()).float())


class WGANGPTrainer(DCGANTrainer):
    """WGAN-GP: a norm-free critic, Wasserstein losses, gradient penalty λ on random interpolates."""

    def discriminator_update(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        with self.autocast():
            real_scores, fake_scores = self.d(real), self.d(fake.detach())
            distance = -losses.critic_loss(real_scores, fake_scores)
        # The penalty differentiates a gradient: keep it in fp32, outside autocast.
        with torch.autocast("cuda", enabled=False) if self.amp else contextlib.nullcontext():
            penalty = losses.gradient_penalty(self.d, real.float(), fake.float(), self.rng)
        loss = -distance.float() + self.cfg.gp_weight * penalty
        self.update(loss, "d")
        return {"loss_d": float(loss.detach()), "w_distance": float(distance.detach()),
                "gp": float(penalty.detach())}

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return losses.g_wasserstein_loss(fake_scores)
