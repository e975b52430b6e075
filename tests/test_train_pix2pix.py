"""pix2pix learns a degradation's inverse from clean crops; degradations are pluggable."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch

from ganhub.errors import GanhubError
from ganhub.train import metrics
from ganhub.train.config import make_config
from ganhub.train.data import ImageBank
from ganhub.train.degrade import color_shift, resolve_degradation
from ganhub.train.run import make_trainer, train
from test_train_support import skimage_images, one_thread  # noqa: F401 (autouse fixture)


def _held_out(count: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Clean and colour-shifted 32×32 crops of an image the model never trains on (rocket)."""
    bank = ImageBank(skimage_images(("rocket",)), 32, flip=False)
    generator = torch.Generator().manual_seed(9)
    clean = bank.sample(count, generator)
    return clean, color_shift(clean, generator)


@pytest.mark.parametrize("residual", [True, False])
def test_pix2pix_learns_a_colour_shift_within_a_few_hundred_steps(residual: bool, tmp_path: Path) -> None:
    train_bank = ImageBank(skimage_images(("astronaut", "coffee", "chelsea")), 32)
    cfg = make_config({"model": "pix2pix", "steps": 200, "batch_size": 16, "d_layers": 2, "residual": residual,
                       "sample_every": 100, "checkpoint_every": 1000})
    clean, degraded = _held_out()
    start = float(metrics.psnr(make_trainer(cfg, bank=train_bank).restore(degraded), clean).mean())
    result = train(cfg, tmp_path / "run", bank=train_bank, progress=False)
    restored = result.trainer.restore(degraded)
    after, baseline = float(metrics.psnr(restored, clean).mean()), float(metrics.psnr(degraded, clean).mean())
    ssim_after, ssim_input = float(metrics.ssim(restored, clean).mean()), float(metrics.ssim(degraded, clean).mean())
    print(f"\npix2pix residual={residual}: held-out PSNR {start:.2f} dB at step 0 → {after:.2f} dB at 200 "
          f"(input {baseline:.2f} dB); SSIM {ssim_after:.3f} (input {ssim_input:.3f}); "
          f"{result.steps_per_second:.1f} steps/s")
    if residual:  # starts as the identity, then must undo the shift
        assert abs(start - baseline) < 1e-6
        assert after > baseline + 4.0 and ssim_after > ssim_input
    else:  # the paper's U-Net starts from noise; it must at least climb far above it
        assert after > start + 6.0


def halve_brightness(clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return clean * 0.5


def test_degradations_are_pluggable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("my_plugin_degrade")
    module.halve = halve_brightness  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_plugin_degrade", module)
    assert resolve_degradation("my_plugin_degrade:halve") is halve_brightness
    bank = ImageBank(skimage_images(("coffee",)), 16)
    cfg = make_config({"model": "pix2pix", "image_size": 16, "unet_depth": 2, "batch_size": 2, "d_layers": 2,
                       "degradation": "my_plugin_degrade:halve"})
    trainer = make_trainer(cfg, bank=bank)
    degraded, clean = trainer.pairs(2, torch.Generator().manual_seed(0))
    assert torch.allclose((degraded + 1) / 2, (clean + 1) / 4)
    # A plugin can also hand the callable over directly (no import path needed).
    called = []
    trainer = make_trainer(cfg, bank=bank, degradation=lambda c, g: called.append(1) or c)
    trainer.step()
    assert called
    with pytest.raises(GanhubError, match="unknown degradation"):
        resolve_degradation("sepia")


def test_builtin_degradations_replay_from_the_generator() -> None:
    clean = torch.rand(2, 3, 8, 8)
    for name in ("noise", "blur", "color-shift"):
        degrade = resolve_degradation(name)
        first = degrade(clean, torch.Generator().manual_seed(4))
        assert torch.equal(first, degrade(clean, torch.Generator().manual_seed(4)))
        assert first.shape == clean.shape and 0 <= float(first.min()) and float(first.max()) <= 1
