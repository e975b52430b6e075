"""Your own watermark weights through ``--weights``: a ``ganhub train`` run or a packaged candidate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from ganhub import Engine, GanhubError
from ganhub.weights import save_safetensors
from ganhub_watermark import evaluate, modes, synth
from ganhub_watermark.catalog import WEIGHTS_DIR
from ganhub_watermark.net import WatermarkUNet

from watermark_helpers import decoded

V3F = "pkg://ganhub-watermark/ganhub_watermark/weights/watermark_cgan_v3f.safetensors"


@pytest.fixture(scope="module")
def engine(registry) -> Engine:
    return Engine(registry, runtime="torch")


@pytest.fixture(scope="module")
def embossed() -> np.ndarray:
    """A held-out photo with an embossed mark in the held-out font: where v3f and v2 differ most."""
    clean = skimage.data.chelsea()[100:196, 60:188].astype(np.float32) / 255
    return synth.make_mark(clean, np.random.default_rng(7), "embossed", synth.fonts(held_out=True)).marked


def test_cgan_runs_the_weights_it_is_given(engine, embossed) -> None:
    shipped = engine.run("ganhub-watermark-cgan", image=decoded(embossed)).images[0]
    own = engine.run("ganhub-watermark-cgan", image=decoded(embossed), weights=V3F).images[0]
    # The same file loaded the evaluation's way (torch fp32, auto mode): the engine ran v3f.
    candidate = evaluate.load_candidate(str(WEIGHTS_DIR / "watermark_cgan_v3f.safetensors"))
    expected = modes.auto_remove(candidate, decoded(embossed)).images[0]
    assert np.abs(own - expected).max() < 1e-5
    assert np.abs(own - shipped).max() > 0.05  # a different network's output, not v2's


def test_a_run_of_another_width_builds(engine, embossed, tmp_path) -> None:
    """``g_channels`` is a training option, so the file's shapes (not a constant) set the width."""
    torch.manual_seed(0)
    network = WatermarkUNet(channels=8, layers=2)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    path = save_safetensors(network.state_dict(), tmp_path / "generator.safetensors")
    loaded = engine.load("ganhub-watermark-cgan", weights=str(path))
    assert loaded.session.network.core.channels == 8 and loaded.session.network.core.layers == 2
    out = engine.run("ganhub-watermark-cgan", image=decoded(embossed), weights=str(path)).images[0]
    assert out.shape == embossed.shape and np.isfinite(out).all()


def test_weights_of_another_model_are_refused_by_name(engine, embossed, tmp_path) -> None:
    path = save_safetensors({"conv_first.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "esrgan.safetensors")
    with pytest.raises(GanhubError, match=r"esrgan\.safetensors is not a ganhub-watermark-cgan checkpoint"):
        engine.run("ganhub-watermark-cgan", image=decoded(embossed), weights=str(path))
    # The engine keeps serving the shipped weights after the refusal.
    assert engine.run("ganhub-watermark-cgan", image=decoded(embossed)).images[0].shape == embossed.shape


def test_app_endpoint_takes_the_weights_box(engine, embossed, tmp_path) -> None:
    """The tab's Weights box, through the real app's API: a pkg:// candidate runs, v2 stays the default."""
    from gradio_client import Client, handle_file
    from PIL import Image

    from app_server import AppServer

    path = tmp_path / "chelsea-embossed.png"
    Image.fromarray(np.round(embossed * 255).astype(np.uint8)).save(path)
    pixels = np.asarray(Image.open(path), np.float32) / 255
    editor = {"background": handle_file(str(path)), "layers": [], "composite": None}
    with AppServer("--plugins", "watermark") as app:
        client = Client(app.url, verbose=False)
        outputs = {weights: client.predict(editor, True, "torch", weights, False, api_name="/ganhub_watermark_cgan")
                   for weights in ("", V3F)}
    for weights, out in outputs.items():
        png = next(o for o in out if isinstance(o, str) and o.endswith(".png") and "mask" not in Path(o).name)
        assert ("weights: watermark_cgan_v3f.safetensors" in out[-1]) == bool(weights), out[-1]  # the info line
        written = np.asarray(Image.open(png).convert("RGB"), np.float32) / 255
        expected = engine.run("ganhub-watermark-cgan", image=decoded(pixels), weights=weights or None).images[0]
        assert np.abs(written - expected).max() <= 1.5 / 255, weights  # one 8-bit rounding apart


def _cli(*args: str) -> "subprocess.CompletedProcess[str]":
    env = {**os.environ, "GANHUB_PLUGINS": "watermark"}
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_cli_runs_a_candidate_and_records_which(engine, embossed, tmp_path) -> None:
    """`ganhub run … --weights pkg://…v3f` in a real process; `info` says the model takes own
    weights and `info --of` names the file that made the output."""
    from PIL import Image

    Image.fromarray(np.round(embossed * 255).astype(np.uint8)).save(tmp_path / "photo.png")
    pixels = np.asarray(Image.open(tmp_path / "photo.png"), np.float32) / 255
    done = _cli("run", "ganhub-watermark-cgan", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out.png"),
                "--runtime", "torch", "--weights", V3F)
    assert done.returncode == 0, done.stdout + done.stderr
    written = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"), np.float32) / 255
    expected = engine.run("ganhub-watermark-cgan", image=decoded(pixels), weights=V3F).images[0]
    assert np.abs(written - expected).max() <= 1.5 / 255
    record = _cli("info", "--of", str(tmp_path / "out.png"))
    assert record.returncode == 0 and "watermark_cgan_v3f.safetensors" in record.stdout, record.stdout + record.stderr
    info = _cli("info", "ganhub-watermark-cgan")
    assert "your own weights: --weights" in info.stdout, info.stdout


def test_auto_never_runs_the_cgan_as_int8(registry, tmp_path, monkeypatch) -> None:
    """v3f's int8 graph passed whole-image parity yet lost 1.2 dB of plain-mark gain (model card):
    the spec's int8_note keeps ``auto`` off int8 for v2 and for any weights a user brings."""
    import json

    # The documented switch and record (README, Runtimes): plugins see only ganhub's public API.
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GANHUB_AUTO_EXPORT", "1")
    loaded = Engine(registry, runtime="auto").load("ganhub-watermark-cgan", device="cpu", weights=V3F)
    assert "int8" not in loaded.session.runtime
    (path,) = (tmp_path / "home").glob("onnx/ganhub-watermark-cgan/*/choice.json")
    choice = json.loads(path.read_text())
    assert choice["path"] != "onnx-int8" and "does not run as int8" in choice["refused"]["onnx-int8"]
    assert not list((tmp_path / "home").glob("onnx/ganhub-watermark-cgan/*/*.int8.onnx"))
