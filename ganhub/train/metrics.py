"""Image-quality metrics: PSNR and SSIM (paired), FID and KID (feature sets), Inception Score.

PSNR and SSIM are written here in torch rather than taken from ``skimage.metrics``: scikit-image
is only a test dependency of ganhub, the torch versions run batched on the training device, and
the SSIM below reproduces skimage's Gaussian variant (σ = 1.5, 11×11 window, population
covariances, the border of half a window left out) to ~1e-6, which the tests check.
FID and KID take feature matrices, so the feature extractor is pluggable (:mod:`.features`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def psnr(output: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Per-image PSNR in dB of (N, C, H, W) tensors; identical images give +inf."""
    mse = (output.double() - target.double()).pow(2).flatten(1).mean(1)
    return 10.0 * torch.log10(data_range**2 / mse)


def _gaussian_window(sigma: float, radius: int, channels: int, device: torch.device) -> torch.Tensor:
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64, device=device)
    line = torch.exp(-(offsets**2) / (2 * sigma**2))
    line = line / line.sum()
    return torch.outer(line, line).expand(channels, 1, -1, -1).contiguous()


def ssim(output: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, sigma: float = 1.5) -> torch.Tensor:
    """Per-image SSIM (Wang et al. 2004) of (N, C, H, W) tensors, averaged over channels.

    Matches ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1, channel_axis=-1)``. Only windows entirely inside
    the image count ("valid" convolution), which is what skimage's border crop amounts to.
    """
    x, y = output.double(), target.double()
    channels, radius = x.shape[1], int(3.5 * sigma + 0.5)
    if min(x.shape[-2:]) < 2 * radius + 1:
        raise ValueError(f"SSIM needs images of at least {2 * radius + 1} px per side")
    window = _gaussian_window(sigma, radius, channels, x.device)

    def blur(z: torch.Tensor) -> torch.Tensor:
        return F.conv2d(z, window, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return index.flatten(1).mean(1)


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, as the reference FID code) of an (N, D) feature matrix."""
    data = np.asarray(features, np.float64)
    return data.mean(0), np.cov(data, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """‖μ₁-μ₂‖² + Tr(Σ₁ + Σ₂ - 2(Σ₁Σ₂)^½) between two Gaussians.

    Tr((Σ₁Σ₂)^½) is computed as Σ√λ of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½ (same eigenvalues
    as Σ₁Σ₂): eigh on a symmetric matrix is stable and needs no scipy, unlike the general
    ``sqrtm`` whose complex round-off the reference code has to discard.
    """
    root1 = _sqrt_psd(np.atleast_2d(sigma1))
    middle = root1 @ np.atleast_2d(sigma2) @ root1
    eigen = np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)
    diff = np.atleast_1d(mu1) - np.atleast_1d(mu2)
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.sqrt(eigen).sum()
    return float(max(value, 0.0))


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between the feature statistics of two sample sets."""
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def kid(features_a: np.ndarray, features_b: np.ndarray, subsets: int = 20, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD² with the cubic kernel
    k(x, y) = (xᵀy / d + 1)³, averaged over random subsets; returns (mean, std).

    Unlike FID it is unbiased in the number of samples, so small evaluation sets compare fairly.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    size = min(subset_size, len(a), len(b))
    if size < 2:
        raise ValueError("KID needs at least two samples in each set")
    rng = np.random.default_rng(seed)
    values = [_mmd2(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


def _mmd2(x: np.ndarray, y: np.ndarray) -> float:
    dim, n = x.shape[1], len(x)
    k_xx, k_yy, k_xy = ((p @ q.T / dim + 1.0) ** 3 for p, q in ((x, x), (y, y), (x, y)))
    off = n * (n - 1)  # the unbiased estimator leaves the diagonals out
    return float((k_xx.sum() - np.trace(k_xx)) / off + (k_yy.sum() - np.trace(k_yy)) / off - 2 * k_xy.mean())


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) ‖ p(y))) over ``splits`` chunks of (N, classes) logits; (mean, std)."""
    data = torch.as_tensor(np.asarray(logits, np.float64))
    scores = []
    for chunk in data.chunk(splits):
        log_p = torch.log_softmax(chunk, 1)
        log_marginal = torch.logsumexp(log_p, 0) - np.log(len(chunk))
        kl = (log_p.exp() * (log_p - log_marginal)).sum(1).mean()
        scores.append(float(torch.exp(kl)))
    return float(np.mean(scores)), float(np.std(scores))
