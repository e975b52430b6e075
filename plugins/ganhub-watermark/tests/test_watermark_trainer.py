"""`ganhub train` runs the plugin's trainer: seeded, exactly resumable, init from a file, honest refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ganhub import GanhubError
from ganhub.train import make_config
from ganhub.train import evaluate_run
from ganhub.train import build_folder
from ganhub.train import train
from ganhub_watermark.trainer import WatermarkTrainer

TRAINER = "ganhub_watermark.trainer:WatermarkTrainer"
TINY = {"model": TRAINER, "image_size": 32, "batch_size": 2, "g_channels": 4, "d_channels": 8,
        "steps": 6, "sample_every": 3, "checkpoint_every": 3, "sample_count": 2, "seed": 3}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run / "generator.safetensors"))


def test_plugin_defaults_sit_under_the_config(tmp_path: Path) -> None:
    cfg = make_config({"model": TRAINER}, {"lr_g": "0.002"})
    assert (cfg.adv_weight, cfg.l1_weight, cfg.d_norm, cfg.image_size) == (0.01, 10.0, "none", 64)
    assert cfg.lr_g == 0.002  # an override beats the plugin's default
    with pytest.raises(GanhubError, match="multiple of 8"):
        train(make_config({**TINY, "image_size": 36}), tmp_path / "bad", progress=False)


def test_interrupted_run_resumes_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    straight = train(make_config(TINY), tmp_path / "straight", progress=False)
    assert straight.history[-1]["step"] == 6 and (tmp_path / "straight" / "samples.png").is_file()
    step = WatermarkTrainer.step
    calls = []

    def interrupted(self: WatermarkTrainer) -> dict[str, float]:
        calls.append(1)
        if len(calls) == 5:  # Ctrl-C during step 5: the last checkpoint is step 3's
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(WatermarkTrainer, "step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(make_config(TINY), tmp_path / "split", progress=False)
    monkeypatch.setattr(WatermarkTrainer, "step", step)
    train(make_config(TINY), tmp_path / "split", resume=True, progress=False)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert a["head.weight"].abs().sum() > 0  # the head starts at zero: the run did train
    # The learning-rate schedule spans `steps`, so extending a run is refused, not silently inexact.
    with pytest.raises(GanhubError, match="cannot resume with different steps"):
        train(make_config({**TINY, "steps": 9}), tmp_path / "split", resume=True, progress=False)


def test_init_starts_from_given_weights_and_refuses_a_wrong_file(tmp_path: Path) -> None:
    first = tmp_path / "first"
    train(make_config({**TINY, "steps": 3}), first, progress=False)
    second = train(make_config({**TINY, "steps": 1, "lr_g": 1e-9, "adv_weight": 0.0,
                                "init": str(first / "generator.safetensors")}), tmp_path / "second", progress=False)
    before, after = _weights(first), _weights(tmp_path / "second")
    assert max(float((before[k] - after[k]).abs().max()) for k in before) < 1e-6, second
    with pytest.raises(GanhubError, match="not a WatermarkTrainer generator"):
        train(make_config({**TINY, "g_channels": 8, "init": str(first / "generator.safetensors")}),
              tmp_path / "third", progress=False)


def test_publish_and_eval_refuse_a_plugin_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(make_config({**TINY, "steps": 3}), run, progress=False)
    with pytest.raises(GanhubError, match="plugin trainer"):
        build_folder(run, "someone/watermark")
    with pytest.raises(GanhubError, match="plugin trainer"):
        evaluate_run(run)


def test_cli_runs_the_plugin_trainer(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[1] / "ganhub_watermark" / "configs" / "stage1.yaml"
    sets = [arg for key in ("steps=2", "image_size=32", "batch_size=2", "g_channels=4", "threads=1")
            for arg in ("--set", key)]
    done = subprocess.run([sys.executable, "-m", "ganhub", "train", str(config), "-o", str(tmp_path / "cli"), *sets],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "trained ganhub_watermark.trainer:WatermarkTrainer to step 2" in " ".join(done.stdout.split())
