"""``ganhub eval``: score a run's exported generator and write a JSON report.

- DCGAN / WGAN-GP: FID and KID between generated samples and real crops (and the Inception
  Score when the extractor has class logits);
- pix2pix: PSNR and SSIM of restored vs clean held-out crops, next to the degraded input's
  own scores (the "do nothing" baseline a restoration model must beat), plus FID/KID.
Crops come from ``val_data`` (else ``data``) with a fixed seed, so two runs compare fairly.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.train import metrics
from ganhub.train.config import TrainConfig, config_from_dict
from ganhub.train.data import ImageBank, to_signed, to_unit
from ganhub.train.degrade import Degradation, resolve_degradation
from ganhub.train.external import refuse_external
from ganhub.train.features import FeatureExtractor, extract, get_extractor
from ganhub.train.nets import build_architecture

REPORT = "eval.json"


def load_export(run: Path, device: str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """The run's exported generator ([-1, 1] network, eval mode) and its ``generator.json``."""
    from ganhub.train.run import EXPORT_INFO, EXPORT_WEIGHTS
    from ganhub.weights import read_state_dict

    info_path = run / EXPORT_INFO
    if not info_path.is_file():
        raise GanhubError(f"'{run}' has no {EXPORT_INFO}: is it a training run folder? (train first)")
    info = json.loads(info_path.read_text())
    refuse_external(info["config"]["model"], "eval")  # a plugin's network is not one of ours
    network = build_architecture(info["architecture"], info["kwargs"])
    network.load_state_dict(read_state_dict(run / EXPORT_WEIGHTS))
    return network.to(device).eval(), info


def distribution_metrics(real: torch.Tensor, fake: torch.Tensor, extractor: FeatureExtractor,
                         seed: int = 0) -> dict[str, float]:
    """FID, KID (mean, std) and, with class logits, the Inception Score of ``fake``; [0, 1] images."""
    real_f, fake_f = extract(extractor, real), extract(extractor, fake)
    kid_mean, kid_std = metrics.kid(real_f, fake_f, subsets=20, subset_size=min(1000, len(real)), seed=seed)
    report = {"fid": metrics.fid(real_f, fake_f), "kid": kid_mean, "kid_std": kid_std}
    if extractor.has_logits:
        report["inception_score"], report["inception_score_std"] = metrics.inception_score(
            extract(extractor, fake, logits=True))
    return report


def restoration_metrics(restored: torch.Tensor, clean: torch.Tensor, degraded: torch.Tensor) -> dict[str, float]:
    """Mean PSNR / SSIM of the output and of the untouched input, against the clean images."""
    return {
        "psnr": float(metrics.psnr(restored, clean).mean()), "ssim": float(metrics.ssim(restored, clean).mean()),
        "psnr_input": float(metrics.psnr(degraded, clean).mean()),
        "ssim_input": float(metrics.ssim(degraded, clean).mean()),
    }


def _bank(cfg: TrainConfig, data: Path | None) -> tuple[ImageBank, str]:
    folder = data or Path(cfg.val_data or cfg.data)
    if not str(folder):
        raise GanhubError("no evaluation images: pass --data FOLDER (the run's config names none)")
    return ImageBank.from_folder(folder, cfg.image_size, cfg.load_size, flip=False), str(folder)


@torch.no_grad()
def evaluate_run(run: Path, *, data: Path | None = None, samples: int = 256, features: str = "random-conv",
                 device: str = "cpu", seed: int = 0, degradation: Degradation | None = None,
                 report: Path | None = None) -> dict[str, Any]:
    """Score ``run`` (see the module doc); writes the report to ``report`` or ``run/eval.json``."""
    started = time.perf_counter()
    network, info = load_export(run, device)
    cfg = config_from_dict(info["config"])
    bank, folder = _bank(cfg, data)
    extractor = get_extractor(features, device)
    generator = torch.Generator().manual_seed(seed)
    real = bank.sample(samples, generator)
    if info["kind"] == "image-to-image":
        degraded = (degradation or resolve_degradation(cfg.degradation))(real, generator).clamp(0, 1)
        output = _batched(lambda x: to_unit(network(to_signed(x.to(device)))), degraded)
        scores = restoration_metrics(output, real, degraded)
    else:
        latents = torch.randn(samples, cfg.latent_dim, generator=generator)
        output = _batched(lambda z: to_unit(network(z.to(device))), latents)
        scores = {}
    scores.update(distribution_metrics(real, output, extractor, seed))
    result = {"run": str(run), "model": cfg.model, "step": info["step"], "ema": info["ema"],
              "samples": samples, "features": extractor.name, "data": folder, "seed": seed,
              "metrics": scores, "seconds": round(time.perf_counter() - started, 2)}
    atomic.write_text(report or run / REPORT, json.dumps(result, indent=2))
    return result


def _batched(function: Any, inputs: torch.Tensor, batch: int = 64) -> torch.Tensor:
    return torch.cat([function(inputs[i : i + batch]).float().cpu() for i in range(0, len(inputs), batch)])
