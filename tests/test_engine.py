"""Lazy loading, the bounded model cache, one load under concurrency, the fp16 guard."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import ganhub
from ganhub.engine import Engine
from ganhub.errors import GanhubError
from ganhub.registry import Registry
from ganhub.runtime.torch_session import TorchSession
from ganhub_test_models import ConvModel, identity_model


class CountingModel(ConvModel):
    """Counts builds, and builds slowly, to expose double loading under concurrency."""

    def __init__(self, model_id: str):
        super().__init__(identity_model(model_id).spec)
        self.builds = 0

    def build(self, weights: Path | None):
        self.builds += 1
        threading.Event().wait(0.2)
        return super().build(None)


def _registry(*models: ganhub.Model) -> Registry:
    return Registry.from_models(*models, name="engine-test")


@pytest.fixture
def weights_file(tmp_path, monkeypatch):
    path = tmp_path / "unused.safetensors"
    path.write_bytes(b"")  # ConvModel ignores a non-matching file: only existence matters here
    monkeypatch.chdir(tmp_path)
    return path


def test_concurrent_requests_load_a_model_once(weights_file):
    model = CountingModel("count-a")
    engine = Engine(_registry(model), device="cpu")
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(engine.load("count-a"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert model.builds == 1
    assert len({id(item.session) for item in loaded}) == 1


def test_cache_is_bounded_lru(weights_file):
    models = [CountingModel(f"lru-{i}") for i in range(3)]
    engine = Engine(_registry(*models), device="cpu", max_loaded=2)
    engine.load("lru-0"), engine.load("lru-1"), engine.load("lru-0"), engine.load("lru-2")
    assert [key[0] for key in engine.loaded()] == ["lru-0", "lru-2"]  # lru-1 was least recent
    engine.load("lru-1")
    assert models[1].builds == 2 and models[0].builds == 1


def test_registration_does_not_import_torch(tmp_path):
    import subprocess

    code = ("import sys; from ganhub.registry import Registry; r = Registry.discover(); "
            "assert r.models(), 'no models'; print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_user_weights_only_where_allowed(weights_file):
    engine = Engine(_registry(CountingModel("fixed")), device="cpu")
    with pytest.raises(GanhubError, match="uses its own pinned weights"):
        engine.load("fixed", weights="other.pth")
    with pytest.raises(GanhubError, match="unknown runtime 'tensorflow'"):
        engine.load("fixed", runtime="tensorflow")


class Overflowing(torch.nn.Module):
    """Fine in fp32, inf in fp16 (65504 is fp16's max): what the guard exists for."""

    def forward(self, x):
        return (x * 1e5) / 1e5


def test_fp16_guard_falls_back_to_fp32():
    session = TorchSession(Overflowing(), "cpu", "fp16")
    x = np.full((1, 3, 4, 4), 0.9, np.float32)
    out = session.run(x)
    assert session.precision == "fp32"
    assert np.allclose(out, x, atol=1e-6)


def test_fp32_is_the_cpu_default():
    assert TorchSession(Overflowing(), "cpu").precision == "fp32"
