"""The network's alpha-blend inversion: exact when the parts are right, near identity untrained."""

from __future__ import annotations

import numpy as np
import torch

from ganhub_watermark import synth
from ganhub_watermark.net import MAX_ALPHA, AutoMaskInpainter, Decomposition, WatermarkUNet


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))[None]


def test_true_alpha_and_colour_invert_the_watermark_exactly() -> None:
    photo = np.random.default_rng(0).random((40, 48, 3), dtype=np.float32)
    sample = synth.synthesize(photo, np.random.default_rng(8))
    alpha = torch.from_numpy(sample.alpha)[None, None].double()
    parts = Decomposition(
        alpha_logit=torch.logit(alpha / MAX_ALPHA),
        colour=torch.from_numpy(sample.colour)[None, :, None, None].double().expand(1, 3, 40, 48),
        residual=torch.zeros(1, 3, 40, 48, dtype=torch.float64),
        mask_logit=torch.zeros(1, 1, 40, 48, dtype=torch.float64),
    )
    recovered = parts.clean(_tensor(sample.marked).double())
    assert (recovered - _tensor(photo)).abs().max() < 1e-5
    assert (_tensor(sample.marked) - _tensor(photo)).abs().max() > 0.1  # there was a watermark


def test_untrained_network_is_close_to_identity() -> None:
    torch.manual_seed(0)
    image = torch.rand(2, 3, 32, 40)
    clean, mask_logit = WatermarkUNet(8)(image)
    assert clean.shape == image.shape and mask_logit.shape == (2, 1, 32, 40)
    assert (clean - image).abs().max() < 0.1  # alpha starts near 0.9 · sigmoid(-4) ≈ 0.016
    assert torch.sigmoid(mask_logit).max() < 0.2


def test_flip_averaging_is_the_mean_of_the_mirrored_passes() -> None:
    torch.manual_seed(1)
    core = WatermarkUNet(8).eval()
    with torch.no_grad():  # a non-trivial head, so each mirrored pass differs
        core.head.weight.normal_(0, 0.05)
        image = torch.rand(1, 3, 24, 32)
        clean, logit = AutoMaskInpainter(core, flips="hv").predict(image)
        passes = [core(image.flip(d))[0].flip(d) if d else core(image)[0] for d in ((), (-1,), (-2,), (-2, -1))]
        single, _ = AutoMaskInpainter(core, flips="none").predict(image)
    assert torch.allclose(clean, torch.stack(passes).mean(0), atol=1e-6)
    assert not torch.allclose(clean, single, atol=1e-4)  # averaging really changed the estimate
    assert logit.shape == (1, 1, 24, 32)
