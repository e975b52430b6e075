"""GAN training, evaluation and publishing for ganhub (needs torch).

For a plugin that trains its own model (e.g. a restoration model from clean photos)::

    from ganhub.train import make_config, train

    cfg = make_config({"model": "pix2pix", "data": "photos/", "image_size": 64, "steps": 5000})
    result = train(cfg, Path("runs/watermark"), degradation=add_random_watermark)

``add_random_watermark(clean, generator) -> degraded`` works on (N, 3, H, W) tensors in [0, 1]
and draws randomness from ``generator`` only (see :mod:`ganhub.train.degrade`).

Modules: ``config`` (settings), ``data`` / ``degrade`` (inputs), ``nets`` / ``losses`` / ``ema``
(model pieces), ``trainer`` / ``gan`` / ``pix2pix`` (one step of each algorithm), ``run`` (the
loop, checkpoints, samples), ``metrics`` / ``features`` / ``inception`` / ``evaluate`` (scores),
``publish`` (a Hub-ready folder out; :mod:`ganhub.published` loads it back as a Model).

Names below are imported on first use, so ``import ganhub.train`` does not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "TrainConfig": "config", "load_config": "config", "make_config": "config",
    "TrainResult": "run", "make_trainer": "run", "train": "run",
    "evaluate_run": "evaluate", "publish": "publish", "build_folder": "publish",
    # the pieces a plugin's own trainer is made of (see ganhub_watermark.trainer)
    "Trainer": "trainer", "frozen": "trainer", "ImageBank": "data",
    "PatchDiscriminator": "nets", "dcgan_init": "nets",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ganhub.train' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ganhub.train.{_HOMES[name]}"), name)
