"""pix2pix: a U-Net learns degraded → clean against a conditional PatchGAN, plus an L1 term.

Training pairs are made on the fly: a clean crop, and the degradation applied to it. So a
plugin can train a restoration model (watermark removal, denoising, colour correction) from
clean photos alone by supplying the degradation.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganhub.train import losses
from ganhub.train.config import TrainConfig
from ganhub.train.data import ImageBank, to_signed, to_unit
from ganhub.train.degrade import Degradation, resolve_degradation
from ganhub.train.nets import PatchDiscriminator, UNetGenerator, dcgan_init
from ganhub.train.trainer import Trainer, frozen


class Pix2PixTrainer(Trainer):
    """Conditional GAN for image restoration; ``degradation`` makes the inputs from clean crops."""

    kind = "image-to-image"
    architecture = "unet-generator"

    def __init__(self, cfg: TrainConfig, bank: ImageBank, device: str = "cpu",
                 degradation: Degradation | None = None):
        self.degradation = degradation or resolve_degradation(cfg.degradation)
        super().__init__(cfg, bank, device)

    def build(self) -> tuple[nn.Module, nn.Module]:
        cfg = self.cfg
        g = UNetGenerator(**self.architecture_kwargs())
        d = PatchDiscriminator(cfg.d_channels, cfg.d_layers, cfg.d_norm)
        dcgan_init(g)
        dcgan_init(d)
        if cfg.residual:
            g.start_as_identity()
        return g, d

    def architecture_kwargs(self) -> dict[str, Any]:
        cfg = self.cfg
        return {"depth": cfg.unet_depth, "channels": cfg.g_channels, "dropout": cfg.dropout,
                "residual": cfg.residual}

    def pairs(self, count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(degraded, clean) crops in [-1, 1] on the device, both drawn from ``generator``."""
        clean = self.bank.sample(count, generator).to(self.device)
        degraded = self.degradation(clean, generator).clamp(0.0, 1.0)
        return to_signed(degraded), to_signed(clean)

    def step(self) -> dict[str, float]:
        source, target = self.pairs(self.cfg.batch_size, self.rng)
        with self.autocast():
            fake = self.g(source)
        for _ in range(self.cfg.n_critic):
            with self.autocast():
                # Halved, as in the paper, so D learns more slowly than G.
                loss_d = 0.5 * losses.d_bce_loss(self.d(source, target), self.d(source, fake.detach()),
                                                 self.cfg.label_smoothing)
            self.update(loss_d, "d")
        with frozen(self.d), self.autocast():
            loss_gan = losses.g_nonsaturating_loss(self.d(source, fake))
            loss_l1 = (fake.float() - target).abs().mean()
            loss_g = self.cfg.adv_weight * loss_gan + self.cfg.l1_weight * loss_l1
        self.update(loss_g, "g")
        return {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach()),
                "loss_gan": float(loss_gan.detach()), "loss_l1": float(loss_l1.detach())}

    def sample_pairs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed (degraded, clean) pairs of the sample grids."""
        return self.pairs(self.cfg.sample_count, self.sample_generator())

    def samples(self) -> torch.Tensor:
        """Rows of degraded inputs, restored outputs and clean targets."""
        source, target = self.sample_pairs()
        with self.evaluating() as network:
            restored = network(source).float()
        return torch.cat([to_unit(source), to_unit(restored), to_unit(target)])

    def restore(self, degraded: torch.Tensor) -> torch.Tensor:
        """Run the export network on [0, 1] images; returns [0, 1] (batched, no grad)."""
        with self.evaluating() as network:
            return to_unit(network(to_signed(degraded.to(self.device))).float())
