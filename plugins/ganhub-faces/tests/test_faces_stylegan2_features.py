"""StyleGAN2 features on the tiny random config: truncation, noise, mixing, interpolation, export."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganhub import GanhubError
from ganhub_faces import interpolate, write_animation
from ganhub_faces.catalog import tiny_stylegan2


def images(tiny, seed: int, count: int = 1, **given) -> np.ndarray:
    model, session = tiny
    return session.run(*model.latents(seed, count, model.spec.resolve_params(given)))


def test_truncation_zero_gives_the_mean_face_for_every_seed(tiny):
    mean_faces = images(tiny, 0, 4, truncation=0.0)
    assert all(np.array_equal(mean_faces[0], face) for face in mean_faces[1:])
    assert not np.array_equal(*images(tiny, 0, 2, truncation=1.0))


def test_mean_latent_is_cached_and_the_same_on_every_load(tiny, tiny_checkpoint):
    model, session = tiny
    again = model.build(tiny_checkpoint)
    assert np.array_equal(session.network.generator.w_avg.numpy(), again.generator.w_avg.numpy())


def test_deterministic_for_every_noise_mode(tiny):
    for mode in ("const", "random"):
        first, second = images(tiny, 11, 2, noise_mode=mode), images(tiny, 11, 2, noise_mode=mode)
        assert np.array_equal(first, second), mode
    const, random = images(tiny, 11, noise_mode="const"), images(tiny, 11, noise_mode="random")
    assert np.abs(const - random).max() > 1e-3  # the noise input is used, and drawn from the seed
    same_face = images(tiny, 0, 2, noise_mode="random", truncation=0.0)
    assert np.abs(same_face[0] - same_face[1]).max() > 1e-4  # ψ=0: only the seeded noise differs


def test_style_mixing_changes_only_with_a_different_seed(tiny):
    plain = images(tiny, 4)
    assert np.allclose(images(tiny, 4, style_mix="coarse", mix_seed=4), plain, atol=1e-6)
    for crossover in ("coarse", "middle", "fine"):
        mixed = images(tiny, 4, style_mix=crossover, mix_seed=99)
        assert np.abs(mixed - plain).max() > 1e-3, crossover


@pytest.mark.parametrize(("space", "noise_mode"), [("w", "const"), ("z", "random")])
def test_interpolation_endpoints_equal_the_single_seed_images(tiny, space, noise_mode):
    frames = interpolate(tiny, 21, 37, frames=5, space=space, params={"noise_mode": noise_mode}, batch=2)
    assert len(frames) == 5 and frames[0].shape == (64, 64, 3)
    for frame, seed in ((frames[0], 21), (frames[-1], 37)):
        single = images(tiny, seed, noise_mode=noise_mode)[0].transpose(1, 2, 0)
        np.testing.assert_allclose(frame, single, atol=1e-5)
    assert np.abs(frames[2] - frames[0]).mean() > 1e-3


def test_mixing_and_interpolation_together_are_refused(tiny):
    with pytest.raises(GanhubError, match="pick one"):
        images(tiny, 1, 2, style_mix="fine", interp_seed=5)


def test_write_animation_webp_and_gif(tiny, tmp_path):
    frames = interpolate(tiny, 1, 2, frames=4)
    for suffix in (".webp", ".gif"):
        path = write_animation(frames, tmp_path / f"morph{suffix}", fps=10)
        with Image.open(path) as animation:
            assert animation.n_frames == 4 and animation.size == (64, 64)
    with pytest.raises(GanhubError, match="animations are"):
        write_animation(frames, tmp_path / "morph.png")


def test_tiny_random_model_builds_without_a_file():
    network = tiny_stylegan2(seed=5).build(None)
    assert network.generator.config.size == 64


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")  # legacy exporter chatter
def test_onnx_export_matches_torch_with_a_dynamic_batch(tiny, tmp_path):
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    model, session = tiny
    inputs = model.latents(3, 2, model.spec.resolve_params({"noise_mode": "random", "style_mix": "middle"}))
    names = list(session.network.input_names)
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(
        session.network, tuple(torch.from_numpy(x) for x in inputs), str(path), dynamo=False,
        input_names=names, output_names=["image"], opset_version=17,
        dynamic_axes={name: {0: "batch"} for name in names + ["image"]},
    )
    runner = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for count in (1, 3):
        feed = model.latents(8, count, model.spec.resolve_params({"truncation": 0.5}))
        expected = session.run(*feed)
        got = runner.run(None, dict(zip(names, feed)))[0]
        assert np.abs(got - expected).max() < 1e-4, count


@pytest.mark.slow
def test_ffhq_config_f_shape_runs_at_1024_with_random_weights():
    """The registered model's exact shape (30M parameters), batch 1, ~2–4 s on 2 CPU cores."""
    from ganhub_faces.catalog import models, stylegan2_spec
    from ganhub_faces.models import StyleGAN2FaceModel

    ffhq = models()[1]
    model = StyleGAN2FaceModel(stylegan2_spec(), ffhq.config, random_seed=0)
    network = model.build(None)
    assert sum(p.numel() for p in network.generator.parameters()) == pytest.approx(30.4e6, rel=0.01)
    torch = pytest.importorskip("torch")
    feed = model.latents(1, 1, model.spec.resolve_params({"noise_mode": "random", "style_mix": "fine"}))
    with torch.inference_mode():
        image = network(*(torch.from_numpy(x) for x in feed))
    assert image.shape == (1, 3, 1024, 1024) and torch.isfinite(image).all()
