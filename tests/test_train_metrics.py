"""Metrics against closed forms and skimage; feature extractors; the FID Inception's structure."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganhub.train import metrics
from ganhub.train.features import RandomConvFeatures, extract, get_extractor
from ganhub.train.inception import FID_WEIGHTS, FidInception
from test_train_support import random_crops, one_thread  # noqa: F401 (autouse fixture)


def _crops(count: int = 6, size: int = 48, seed: int = 1) -> torch.Tensor:
    stacked = np.stack(random_crops(count, size, seed=seed)).transpose(0, 3, 1, 2)
    return torch.from_numpy(stacked).float() / 255


def test_psnr_closed_form() -> None:
    clean = _crops(2)
    shifted = clean + 0.1  # MSE 0.01 → 20 dB exactly (no clipping needed for the maths)
    assert torch.allclose(metrics.psnr(shifted, clean), torch.full((2,), 20.0, dtype=torch.float64))
    assert torch.isinf(metrics.psnr(clean, clean)).all()


def test_ssim_matches_skimage() -> None:
    from skimage.metrics import structural_similarity

    clean = _crops(3)
    noisy = (clean + 0.08 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    ours = metrics.ssim(noisy, clean)
    for index in range(3):
        reference = structural_similarity(
            noisy[index].permute(1, 2, 0).numpy().astype(np.float64),
            clean[index].permute(1, 2, 0).numpy().astype(np.float64),
            gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)
        assert abs(float(ours[index]) - reference) < 1e-6
    assert torch.allclose(metrics.ssim(clean, clean), torch.ones(3, dtype=torch.float64))


def test_fid_of_identical_feature_sets_is_zero() -> None:
    features = np.random.default_rng(0).normal(size=(500, 16))
    assert metrics.fid(features, features) < 1e-8


def test_frechet_distance_of_two_gaussians_closed_form() -> None:
    # Diagonal: |Δμ|² + Σ_i (σ1_i² + σ2_i² − 2 σ1_i σ2_i) = (1 + 4) + (1 − 2)² + (2 − 3)² = 7.
    fd = metrics.frechet_distance(np.zeros(2), np.diag([1.0, 4.0]), np.array([1.0, 2.0]), np.diag([4.0, 9.0]))
    assert abs(fd - 7.0) < 1e-12
    # Σ1 = I, Σ2 = R diag(4, 9) Rᵀ: Tr(I + Σ2 − 2 Σ2^½) = 2 + 13 − 2(2 + 3) = 5; Δμ = (3, 4) adds 25.
    angle = 0.7
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    sigma2 = rotation @ np.diag([4.0, 9.0]) @ rotation.T
    fd = metrics.frechet_distance(np.zeros(2), np.eye(2), np.array([3.0, 4.0]), sigma2)
    assert abs(fd - 30.0) < 1e-10


def test_fid_of_gaussian_samples_approaches_closed_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(40_000, 2))
    b = rng.normal(0.0, 1.0, size=(40_000, 2)) * np.array([2.0, 3.0]) + np.array([1.0, 2.0])
    # N(0, I) vs N((1, 2), diag(4, 9)): 5 + (1 + 4 − 2·2) + (1 + 9 − 2·3) = 10.
    assert abs(metrics.fid(a, b) - 10.0) < 0.2  # sampling error only


def test_kid_unbiased_near_zero_for_same_distribution_and_positive_otherwise() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    same, _ = metrics.kid(a, b, subsets=10, subset_size=200)
    shifted, _ = metrics.kid(a, b + 0.5, subsets=10, subset_size=200)
    assert abs(same) < 0.05 and shifted > 1.0  # unbiased: ~0 up to sampling noise (std ~0.02)


def test_kid_mmd_matches_direct_sum() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))

    def k(p, q):  # type: ignore[no-untyped-def]
        return (p @ q / 3 + 1) ** 3

    n = 5
    direct = (sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
              + sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
              - 2 * sum(k(x[i], y[j]) for i in range(n) for j in range(n)) / n**2)
    assert abs(metrics._mmd2(x, y) - direct) < 1e-10


def test_inception_score_extremes() -> None:
    uniform = np.zeros((100, 10))
    assert abs(metrics.inception_score(uniform, splits=1)[0] - 1.0) < 1e-9
    confident = np.eye(10)[np.arange(100) % 10] * 50.0  # sure of 10 evenly used classes
    assert abs(metrics.inception_score(confident, splits=1)[0] - 10.0) < 1e-6


def test_random_conv_features_are_fixed_and_separate_colours() -> None:
    images = _crops(8, 32)
    first, second = extract(RandomConvFeatures(), images), extract(get_extractor("random-conv"), images)
    assert np.array_equal(first, second) and first.shape == (8, 224)
    grey = torch.full_like(images, 0.5)
    assert metrics.fid(first, extract(RandomConvFeatures(), grey)) > 1.0


def test_fid_inception_matches_the_pytorch_fid_weights_layout() -> None:
    with torch.device("meta"):  # shapes only: no memory, no init
        model = FidInception()
    state = {k: v for k, v in model.net.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert "AuxLogits.fc.weight" not in state and state["fc.weight"].shape == (1008, 2048)
    assert state["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    # The file holds these float32 tensors plus ~0.1 % of pickle structure: an extra head or a
    # missing block would be off by megabytes.
    tensor_bytes = sum(v.numel() * 4 for v in state.values())
    assert FID_WEIGHTS.size * 0.998 < tensor_bytes < FID_WEIGHTS.size
    assert model.net.Mixed_7c.max_pool and not model.net.Mixed_7b.max_pool


def test_fid_inception_loads_through_ganhub_weights_and_runs(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A stand-in weights file (TF-port layout: no num_batches_tracked) through load_fid_inception."""
    import ganhub.weights
    from ganhub.train import inception
    from ganhub.weights.fetch import ResolvedWeights

    reference = FidInception()
    state = {k: v for k, v in reference.net.state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "pt_inception.pth"
    torch.save(state, path)
    asked = []

    def fake_resolve(sources):  # type: ignore[no-untyped-def]
        asked.extend(sources)
        return ResolvedWeights(path, sources[0].uri, "0" * 64, "pinned")

    monkeypatch.setattr(ganhub.weights, "resolve_weights", fake_resolve)
    model = inception.load_fid_inception()
    assert asked == [inception.FID_WEIGHTS]
    images = _crops(2, 32)
    features, logits = model.features(images), model.logits(images)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert torch.allclose(features, reference.features(images), atol=1e-5)  # same weights, loaded


@pytest.mark.slow
def test_fid_inception_real_weights_when_available() -> None:
    """Runs only where the Hub copy of the FID weights is cached or reachable."""
    from ganhub.errors import WeightsError
    from ganhub.train.inception import load_fid_inception

    try:
        model = load_fid_inception()
    except WeightsError as exc:
        pytest.skip(f"FID Inception weights unavailable offline: {exc}")
    images = _crops(20, 64)
    features, logits = model.features(images), model.logits(images)
    assert features.shape == (20, 2048) and float(features.min()) >= 0.0  # post-ReLU pool
    score, _ = metrics.inception_score(logits.numpy(), splits=1)
    assert 1.0 < score < 20.0
