"""watermark-auto-lama: the cGAN's mask filled by LaMa's graph, as one registered model.

The small seeded LaMa graph of test_watermark_lama.py is served by the local Hub under the
real repo and file name; the model is built on that source, as the app would build it on the
pinned one. Each test runs the real chain: the shipped cGAN on a real photo, LaMa's windows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganhub import Engine, Kind, Registry, Task
from ganhub_watermark import modes, synth
from ganhub_watermark.auto_lama import GROW, AutoLamaSession
from ganhub_watermark.catalog import LaMa, WatermarkAutoLama, WatermarkCGAN

from test_watermark_lama import _image, hf_env, local_hub, served  # noqa: F401 (fixtures by name)
from watermark_helpers import decoded

MODEL_ID = "watermark-auto-lama"


@pytest.fixture
def engine(served) -> Engine:
    """The three watermark models on the served LaMa graph, behind one Engine as in the app."""
    _, _, source = served
    return Engine(Registry.from_models(WatermarkCGAN(), LaMa(source), WatermarkAutoLama(source)), runtime="auto")


def _marked(seed: int = 5) -> np.ndarray:
    """A real photo (96×160: a multiple of 8, so no padding differs between paths) with a mark."""
    marked, _, _ = synth.add_watermark(_image(96, 160), np.random.default_rng(seed))
    return marked.astype(np.float32)


def _found(engine: Engine, rgb: np.ndarray) -> np.ndarray:
    """What auto mode alone removes, grown as auto + LaMa grows it."""
    cgan = engine.load("ganhub-watermark-cgan", device="cpu")
    return modes.dilate(modes.auto_remove(cgan, decoded(rgb)).extras["mask"], GROW)


def test_registered_with_lamas_pinned_source(registry) -> None:
    model = registry.get(MODEL_ID)
    assert model.auto_mask and model.kind == Kind.INPAINT and model.spec.task == Task.WATERMARK_REMOVAL
    assert model.spec.weights == LaMa().spec.weights  # the same pinned Hub graph, one download
    assert not model.spec.accepts_user_weights


def test_needs_download_until_fetched_then_ready(served, engine) -> None:
    from ganhub.weights import source_status

    (source,) = engine.registry.get(MODEL_ID).spec.weights
    assert source_status(source) == "not downloaded"  # what `ganhub list` and the app mark
    loaded = engine.load(MODEL_ID, device="cpu")
    assert isinstance(loaded.session, AutoLamaSession) and loaded.weights.trust == "pinned"
    assert source_status(source) == "cached"
    assert engine.load("lama", device="cpu").weights.path == loaded.weights.path  # one download


def test_fills_only_the_found_mask_and_equals_auto_lama_mode(engine) -> None:
    marked = _marked()
    grown = _found(engine, marked)
    assert 0 < grown.mean() < 0.5  # the cGAN found the mark, not the whole photo
    result = engine.run(MODEL_ID, image=decoded(marked), device="cpu")
    out, mask = result.images[0], result.extras["mask"]
    assert np.array_equal(out[grown == 0], marked[grown == 0])  # bit-exact outside the grown mask
    assert not mask[grown == 0].any() and mask.sum() > 0.9 * grown.sum()
    assert np.abs(out - marked)[grown == 1].mean() > 0.01  # LaMa filled it
    expected = modes.auto_lama(engine, decoded(marked), device="cpu")
    # The host keeps an auto-mask pixel only if it moved by > 1/512: a fill closer than that
    # to the input is the input here, the fill there. Nothing else may differ.
    assert np.abs(out - expected.images[0]).max() <= 1 / 512


@pytest.mark.parametrize("name, top, left", [("astronaut", 100, 350), ("chelsea", 150, 200)])
def test_a_clean_photo_comes_back_untouched(engine, name, top, left) -> None:
    from skimage import data

    # Crops where the detector finds nothing. On others it has a few false-positive pixels
    # (0.02-0.26 % on the held-out sets; the v3 candidate takes ~100 px of the cat's whiskers at
    # chelsea (100, 100) for strokes of text); those would be filled, inside the mask only.
    clean = np.ascontiguousarray(getattr(data, name)()[top : top + 96, left : left + 160], np.float32) / 255
    assert not _found(engine, clean).any()
    result = engine.run(MODEL_ID, image=decoded(clean), device="cpu")
    assert np.array_equal(result.images[0], clean) and not result.extras["mask"].any()


# -- the CLI and the app, each in its own process -------------------------------------------
def _served_plugin(folder: Path, source) -> Path:  # type: ignore[no-untyped-def]
    """An installed plugin 'served' registering watermark-auto-lama on ``source`` (the served graph)."""
    folder.mkdir()
    (folder / "served_lama_plugin.py").write_text(
        "import ganhub\nfrom ganhub import WeightSource\n"
        "from ganhub_watermark.catalog import WatermarkAutoLama\n\n\n"
        "@ganhub.hookimpl\ndef register_models(register):\n"
        f"    register(WatermarkAutoLama(WeightSource({source.uri!r}, sha256={source.sha256!r}, size={source.size})))\n")
    info = folder / "served_lama_plugin-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: served-lama-plugin\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[ganhub]\nserved = served_lama_plugin\n")
    return folder


@pytest.fixture
def fetched(served, engine, tmp_path) -> tuple[dict[str, str], Path]:
    """(environment, plugin folder) for a process that finds the served graph in the Hub cache, offline."""
    env, _, source = served
    engine.load(MODEL_ID, device="cpu")  # the download, as `ganhub download` does it
    plugin = _served_plugin(tmp_path / "plugin", source)
    extra = {"GANHUB_PLUGINS": "served", "HF_HOME": str(env.home), "HF_HUB_CACHE": str(env.cache_dir),
             "HF_HUB_OFFLINE": "1", "GANHUB_HOME": os.environ["GANHUB_HOME"]}
    return extra, plugin


def _save(path: Path, rgb: np.ndarray) -> np.ndarray:
    pixels = np.round(rgb * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def _expected(engine: Engine, pixels: np.ndarray):  # type: ignore[no-untyped-def]
    return engine.run(MODEL_ID, image=decoded(pixels.astype(np.float32) / 255), device="cpu", quantized=True)


def _close(written: np.ndarray, expected: np.ndarray) -> None:
    """Another process may round a float differently (thread count): at most one 8-bit level."""
    assert np.abs(written.astype(np.int16) - expected).max() <= 1


def test_cli_run_with_no_mask(engine, fetched, tmp_path) -> None:
    """`ganhub run watermark-auto-lama photo.png -o out.png`, a real process, no --mask."""
    extra, plugin = fetched
    pixels = _save(tmp_path / "photo.png", _marked(7))
    env = {**os.environ, **extra, "PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "ganhub.cli", "run", MODEL_ID, str(tmp_path / "photo.png"),
                           "-o", str(tmp_path / "out.png")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = _expected(engine, pixels)
    assert expected.extras["mask"].any()
    _close(np.asarray(Image.open(tmp_path / "out.png")), expected.images[0])


def test_cli_offline_says_the_graph_needs_downloading(tmp_path) -> None:
    """The real plugin, nothing cached, no Hub: the CLI names the model and the download."""
    _save(tmp_path / "photo.png", _marked())
    env = {**os.environ, "GANHUB_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf"),
           "HF_HUB_OFFLINE": "1", "GANHUB_PLUGINS": "watermark"}
    env.pop("HF_HUB_CACHE", None)
    done = subprocess.run([sys.executable, "-m", "ganhub.cli", "run", MODEL_ID, str(tmp_path / "photo.png"),
                           "-o", str(tmp_path / "out.png")], env=env, capture_output=True, text=True, timeout=300)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2 and not (tmp_path / "out.png").exists()
    assert "weights are not downloaded yet" in said and MODEL_ID in said


def test_app_endpoint_runs_with_no_mask_painted(engine, fetched, tmp_path) -> None:
    from gradio_client import Client, handle_file

    from app_server import AppServer

    extra, plugin = fetched
    pixels = _save(tmp_path / "photo.png", _marked())
    editor = {"background": handle_file(str(tmp_path / "photo.png")), "layers": [], "composite": None}
    with AppServer("--plugins", "served", pythonpath=plugin, env=extra) as app:
        # auto on, no layer painted; "onnx" is the one runtime the tab offers (LaMa is a graph)
        mask, png, _ = Client(app.url, verbose=False).predict(editor, True, "onnx", api_name="/watermark_auto_lama")
    expected = _expected(engine, pixels)
    _close(np.asarray(Image.open(png).convert("RGB")), expected.images[0])
    agree = (np.asarray(Image.open(mask).convert("L")) > 127) == (expected.extras["mask"] > 0.5)
    assert agree.mean() > 0.999 and expected.extras["mask"].any()
