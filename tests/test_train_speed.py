"""CPU speed of each trainer at the test scale (slow: run with `-m slow -s` to see the figures)."""

from __future__ import annotations

import time

import pytest
import torch

from ganhub.train.config import make_config
from ganhub.train.data import ImageBank
from ganhub.train.run import make_trainer
from test_train_support import random_crops, one_thread  # noqa: F401 (autouse fixture)

SCALE = {"image_size": 32, "batch_size": 16}
MODELS = {"dcgan": {"d_channels": 16}, "wgan-gp": {}, "pix2pix": {"d_layers": 2}}


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("model", list(MODELS))
def test_steps_per_second(model: str, threads: int) -> None:
    torch.set_num_threads(threads)  # the autouse fixture restores it for the next module
    trainer = make_trainer(make_config({"model": model, **SCALE, **MODELS[model]}),
                           bank=ImageBank(random_crops(64, 32), 32))
    for _ in range(3):  # warm-up: first calls allocate and pick kernels
        trainer.step()
    began, steps = time.perf_counter(), 40
    for _ in range(steps):
        trainer.step()
    rate = steps / (time.perf_counter() - began)
    print(f"\n{model} 32 px batch 16, {threads} thread(s): {rate:.1f} steps/s")
    assert rate > 0.5
