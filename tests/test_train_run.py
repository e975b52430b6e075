"""Run management: exact resume, refusing unsafe resumes, run folder contents, the CLI commands."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganhub.errors import GanhubError
from ganhub.train.checkpoint import load_checkpoint
from ganhub.train.config import make_config
from ganhub.train.data import ImageBank
from ganhub.train.run import train
from test_train_support import random_crops, write_folder, one_thread  # noqa: F401 (autouse fixture)

TINY = {"image_size": 16, "batch_size": 4, "g_channels": 8, "d_channels": 8, "latent_dim": 16,
        "sample_every": 2, "checkpoint_every": 100, "sample_count": 4}
CASES = {
    "dcgan": {"model": "dcgan", "ema": 0.9, "label_smoothing": 0.1},
    "wgan-gp": {"model": "wgan-gp", "n_critic": 2},
    # dropout draws from torch's global RNG, the noise degradation from the run's generator
    "pix2pix": {"model": "pix2pix", "unet_depth": 2, "d_layers": 2, "dropout": 0.5, "degradation": "noise"},
}


@pytest.fixture(scope="module")
def bank() -> ImageBank:
    return ImageBank(random_crops(12, 24), 16)


@pytest.mark.parametrize("name", list(CASES))
def test_resume_continues_the_identical_trajectory(name: str, bank: ImageBank, tmp_path: Path) -> None:
    values = {**TINY, **CASES[name]}
    full = train(make_config({**values, "steps": 6}), tmp_path / "full", bank=bank, progress=False)
    train(make_config({**values, "steps": 3}), tmp_path / "part", bank=bank, progress=False)
    torch.manual_seed(12345)  # whatever happens between the two processes must not matter
    resumed = train(make_config({**values, "steps": 6}), tmp_path / "part", resume=True, bank=bank, progress=False)
    assert resumed.steps_done == 3 and len(resumed.history) == 6
    assert resumed.history == full.history  # every logged loss, bit for bit
    for key, tensor in full.trainer.export_network().state_dict().items():
        assert torch.equal(tensor, resumed.trainer.export_network().state_dict()[key]), key


def test_resume_refuses_trajectory_changes_and_fresh_runs_refuse_overwrites(bank: ImageBank, tmp_path: Path) -> None:
    values = {**TINY, "model": "dcgan", "steps": 2}
    train(make_config(values), tmp_path / "run", bank=bank, progress=False)
    with pytest.raises(GanhubError, match="already holds a run"):
        train(make_config(values), tmp_path / "run", bank=bank, progress=False)
    with pytest.raises(GanhubError, match="cannot resume with different lr_g"):
        train(make_config({**values, "lr_g": 1e-3}), tmp_path / "run", resume=True, bank=bank, progress=False)
    with pytest.raises(GanhubError, match="no checkpoint"):
        train(make_config(values), tmp_path / "elsewhere", resume=True, bank=bank, progress=False)


def test_run_folder_contents(bank: ImageBank, tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(make_config({**TINY, "model": "dcgan", "steps": 4}), run, bank=bank, progress=True)
    names = {p.name for p in run.iterdir()}
    assert {"run_config.json", "checkpoints", "samples", "samples.png", "loss_curve.png", "history.json",
            "generator.safetensors", "generator.json"} <= names
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-000002.png", "step-000004.png"]
    payload = load_checkpoint(run)
    assert payload["step"] == 4 and len(payload["history"]) == 4
    assert json.loads((run / "generator.json").read_text())["architecture"] == "dcgan-generator"


def _cli():  # type: ignore[no-untyped-def]
    import typer

    from ganhub.cli.train import register_commands

    app = typer.Typer()
    register_commands(cli=app)
    return app


def test_cli_train_resume_eval_publish(tmp_path: Path) -> None:
    data = write_folder(tmp_path / "data", random_crops(8, 24))
    config = tmp_path / "run.yaml"
    config.write_text(f"model: dcgan\ndata: {data}\nsteps: 3\n"
                      + "".join(f"{k}: {v}\n" for k, v in TINY.items()))
    runner, app, run = CliRunner(), _cli(), tmp_path / "run"
    result = runner.invoke(app, ["train", str(config), "--set", "ema=0.9", "-o", str(run), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "steps/s" in result.output
    result = runner.invoke(app, ["train", "--resume", "-o", str(run), "--set", "steps=5"])
    assert result.exit_code == 0, result.output
    assert load_checkpoint(run)["step"] == 5 and load_checkpoint(run)["config"]["ema"] == 0.9
    result = runner.invoke(app, ["eval", str(run), "--samples", "16"])
    assert result.exit_code == 0, result.output
    report = json.loads((run / "eval.json").read_text())
    assert {"fid", "kid", "kid_std"} <= set(report["metrics"]) and report["features"] == "random-conv"
    result = runner.invoke(app, ["publish", str(run), "--repo", "someone/tiny-dcgan", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (run / "publish" / "config.json").is_file() and "dry run" in result.output
    result = runner.invoke(app, ["train", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown when there is no GPU")
def test_cuda_without_a_gpu_is_a_clear_error(bank: ImageBank, tmp_path: Path) -> None:
    with pytest.raises(GanhubError, match="no CUDA GPU"):
        train(make_config({**TINY, "steps": 1}), tmp_path / "run", device="cuda", bank=bank, progress=False)


def test_loss_curve_without_matplotlib_falls_back_to_pil(tmp_path: Path) -> None:
    from PIL import Image

    from ganhub.train.plots import _pil_curve, smooth

    history = [{"step": s, "loss_d": 1.0 / s, "loss_g": float(s % 7)} for s in range(1, 60)]
    curves = {k: smooth([row[k] for row in history], 5) for k in ("loss_d", "loss_g")}
    path = _pil_curve([row["step"] for row in history], curves, tmp_path / "curve.png")
    with Image.open(path) as picture:
        assert picture.size == (600, 350) and len(picture.getcolors(100_000) or []) > 2
    assert np.allclose(smooth([1.0, 3.0, 5.0], 2), [1.0, 2.0, 4.0])


def test_plugin_trainer_names_are_checked_with_clear_errors() -> None:
    with pytest.raises(GanhubError, match="cannot import trainer 'no_such_plugin.trainer:T'.*installed"):
        make_config({"model": "no_such_plugin.trainer:T"})
    with pytest.raises(GanhubError, match="is not a ganhub.train.trainer.Trainer subclass"):
        make_config({"model": "ganhub.train.losses:d_bce_loss"})
    with pytest.raises(GanhubError, match="package.module:TrainerClass"):
        make_config({"model": "stylegan"})


KILLED_TRAINER = r"""
import json, sys, torch
from pathlib import Path
torch.set_num_threads(1)
from ganhub.train.config import make_config
from ganhub.train.run import train
values, output = json.loads(sys.argv[1]), Path(sys.argv[2])
print("start", flush=True)
train(make_config(values), output, resume=(len(sys.argv) > 3), progress=False)
"""


def _wait_for_a_new_checkpoint(path: Path, child: "subprocess.Popen[bytes]", timeout: float = 120) -> None:
    import time

    before = path.stat().st_mtime_ns if path.exists() else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if path.exists() and path.stat().st_mtime_ns != before:
            return
        time.sleep(0.02)
    raise AssertionError(f"the trainer saved no checkpoint in {timeout:.0f} s (exit code {child.poll()})")


def test_kill_9_during_checkpoint_saves_then_resume_is_bit_exact(tmp_path: Path) -> None:
    """A trainer killed (SIGKILL) at random moments while it checkpoints every step always
    leaves a loadable last checkpoint, and resuming from it ends where an unbroken run ends."""
    import os
    import random
    import signal
    import sys
    import time

    data = write_folder(tmp_path / "data", random_crops(12, 24))
    values = {**TINY, **CASES["dcgan"], "data": str(data), "steps": 60, "checkpoint_every": 1, "sample_every": 1000}
    # Checkpointing does not touch the trajectory: the reference run saves only at the end.
    full = train(make_config({**values, "checkpoint_every": 1000}), tmp_path / "full", progress=False)
    run, rng, env = tmp_path / "run", random.Random(7), {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    for attempt in range(3):
        child = subprocess.Popen([sys.executable, "-c", KILLED_TRAINER, json.dumps(values), str(run)]
                                 + (["resume"] if attempt else []), stdout=subprocess.PIPE, env=env)
        assert child.stdout is not None and child.stdout.readline().strip() == b"start"
        _wait_for_a_new_checkpoint(run / "checkpoints" / "last.pt", child)
        time.sleep(rng.uniform(0.0, 0.2))  # now it trains and saves every step: kill anywhere
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if (run / "checkpoints" / "last.pt").exists():
            step = load_checkpoint(run)["step"]  # never torn: the old or the new checkpoint
            assert 1 <= step <= 60
    assert (run / "checkpoints" / "last.pt").exists(), "no checkpoint was ever completed"
    resumed = train(make_config(values), run, resume=True, progress=False)
    assert resumed.history == full.history  # every logged loss, bit for bit, from the last good step on
    for key, tensor in full.trainer.export_network().state_dict().items():
        assert torch.equal(tensor, resumed.trainer.export_network().state_dict()[key]), key
