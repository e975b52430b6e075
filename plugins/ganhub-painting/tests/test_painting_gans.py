"""The GAN painters with seeded random weights: conformance, pipeline features, Hub-only loading."""

from __future__ import annotations

import numpy as np
import pytest

import ganhub
from ganhub import imaging
from ganhub import Loaded
from ganhub import run_image_to_image
from ganhub import TorchSession
from ganhub.testing import check_model
from ganhub_painting import catalog
from ganhub_painting.testing import save_random_checkpoint

GAN_IDS = ["animegan2-face-paint-v2", "cartoongan-shinkai", "cartoongan-hosoda", "cartoongan-miyazaki"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("random")
    return {arch: save_random_checkpoint(folder / f"{arch}.pth", arch, seed=5) for arch in ("animegan2", "cartoongan")}


def _loaded(registry, model_id, checkpoints) -> Loaded:
    model = registry.get(model_id)
    session = TorchSession(model.build(checkpoints[model.arch]), "cpu", "fp32")
    return Loaded(model, session, None, 0.0, model.constraints_for(session.network))


@pytest.mark.parametrize("model_id", GAN_IDS)
def test_conformance_with_random_weights(registry, checkpoints, model_id):
    model = registry.get(model_id)
    report = check_model(model, checkpoints[model.arch], check_range=False)
    assert report.output_shape[1:] == (3, 24, 20)
    assert 0.0 <= report.value_range[0] and report.value_range[1] <= 1.0  # clamped inside the network


def test_specs_pin_full_commits_and_hashes():
    for model in catalog.models()[:4]:
        (source,) = model.spec.weights
        assert source.uri.startswith("hf://") and source.sha256 and len(source.sha256) == 64
        assert model.spec.tileable and model.spec.task == ganhub.Task.PHOTO_TO_PAINTING


def test_hub_only_model_fails_cleanly_offline(engine):
    image = imaging.read_image(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ganhub.WeightsError, match="not downloaded yet"):
        engine.run("cartoongan-shinkai", image=image)


def test_pipeline_tiles_blends_resizes_and_keeps_alpha(registry, checkpoints):
    loaded = _loaded(registry, "cartoongan-hosoda", checkpoints)
    rng = np.random.default_rng(0)
    rgba = np.dstack([rng.integers(0, 256, (72, 100, 3)), np.full((72, 100), 200)]).astype(np.uint8)
    image = imaging.read_image(rgba)
    params = loaded.model.spec.resolve_params({"tile": 64, "tile_overlap": 8})
    tiled = run_image_to_image(loaded, image=image, params=params)
    whole = run_image_to_image(loaded, image=image, params=loaded.model.spec.resolve_params({"tile": 0}))
    assert tiled.images[0].shape == whole.images[0].shape == (72, 100, 3)
    np.testing.assert_allclose(tiled.alphas[0], 200 / 255, atol=1e-6)
    # Tiles normalise their own statistics, so tiled differs from whole (documented); it stays close-ish.
    assert np.abs(tiled.images[0] - whole.images[0]).mean() < 0.15
    off = run_image_to_image(loaded, image=image, params=loaded.model.spec.resolve_params({"strength": 0.0}))
    np.testing.assert_allclose(off.images[0], image.rgb, atol=1e-6)  # strength 0 = the photo
    big = run_image_to_image(loaded, image=image, params=loaded.model.spec.resolve_params({"long_side": 200}))
    assert big.images[0].shape == (144, 200, 3) and big.alphas[0].shape == (144, 200)


def test_animegan_takes_odd_sizes(registry, checkpoints):
    loaded = _loaded(registry, "animegan2-face-paint-v2", checkpoints)
    image = imaging.read_image(np.full((33, 47, 3), 128, np.uint8))
    result = run_image_to_image(loaded, image=image, params=loaded.model.spec.resolve_params())
    assert result.images[0].shape == (33, 47, 3)
