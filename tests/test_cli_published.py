"""The command line end to end: train → publish --dry-run → `ganhub run <folder>` (no plugin)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ganhub import imaging

skimage_data = pytest.importorskip("skimage.data")


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def test_train_publish_and_run_a_published_folder(tmp_path):
    data = tmp_path / "data"
    for name in ("astronaut", "coffee", "chelsea"):
        imaging.write_image(data / f"{name}.png", getattr(skimage_data, name)()[:128, :128] / 255.0)
    (tmp_path / "cfg.yaml").write_text("model: dcgan\ndata: data\nimage_size: 32\nsteps: 12\nbatch_size: 8\nthreads: 1\n")
    trained = _cli("train", "cfg.yaml", "-o", "run", cwd=tmp_path)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    published = _cli("publish", "run", "--repo", "me/tiny", "--dry-run", cwd=tmp_path)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (tmp_path / "run" / "publish" / "model.safetensors").is_file()
    first = _cli("run", "run/publish", "-o", "a.png", "--seed", "5", "--count", "2", cwd=tmp_path)
    again = _cli("run", "run/publish", "-o", "b.png", "--seed", "5", "--count", "2", cwd=tmp_path)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    a, b = (imaging.read_image(tmp_path / f"{n}-0.png").rgb for n in "ab")
    assert a.shape == (32, 32, 3) and np.array_equal(a, b)


def test_usage_errors_are_shown_plainly(tmp_path):
    result = _cli("train", cwd=tmp_path)
    assert result.returncode == 2 and "unexpected error" not in result.stdout + result.stderr
