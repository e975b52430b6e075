"""Seeds and params → network inputs (numpy), deterministic and the same on every device.

Seed convention: image ``i`` of a batch uses seed ``seed + i`` (so any image of a batch can
be made again alone), and its latent is ``np.random.RandomState(seed).randn(dim)``, the
convention of NVIDIA's StyleGAN/StyleGAN2 ``generate.py``; "random" noise continues the same
stream, map by map in layer order, as that script does. RandomState's stream is frozen by
NumPy's compatibility policy, so seeds keep their faces across NumPy versions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ganhub import GanhubError
from ganhub_faces._arch.stylegan2_config import CROSSOVER, StyleGAN2Config

SEED_LIMIT = 2**32


def image_seeds(seed: int, count: int) -> list[int]:
    """The seed of each image of a batch (wrapping at 2³²)."""
    return [(seed + index) % SEED_LIMIT for index in range(count)]


def gaussian_z(seed: int, dim: int) -> np.ndarray:
    """The latent of one seed, float32 (dim,)."""
    return np.random.RandomState(seed).randn(dim).astype(np.float32)


def gaussian_z_and_noise(seed: int, dim: int, noise_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Latent then the packed noise maps from one seed's stream."""
    stream = np.random.RandomState(seed)
    z = stream.randn(dim).astype(np.float32)
    return z, stream.randn(noise_size).astype(np.float32)


def frame_times(frames: int) -> np.ndarray:
    """``frames`` evenly spaced t in [0, 1], both ends included."""
    if frames < 1:
        raise GanhubError(f"frames is {frames}; ask for at least 1")
    return np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation (Gaussian latents lie near a sphere; a lerp would cut inside it).

    Exactly ``a`` at t=0 and ``b`` at t=1, so animation end frames equal the seed images.
    """
    if t <= 0.0:
        return a.copy()
    if t >= 1.0:
        return b.copy()
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    cosine = np.dot(a64, b64) / (np.linalg.norm(a64) * np.linalg.norm(b64))
    omega = math.acos(float(np.clip(cosine, -1.0, 1.0)))
    if abs(math.sin(omega)) < 1e-6:  # (anti)parallel: the arc is undefined, fall back to a lerp
        return ((1.0 - t) * a64 + t * b64).astype(np.float32)
    mixed = (math.sin((1.0 - t) * omega) * a64 + math.sin(t * omega) * b64) / math.sin(omega)
    return mixed.astype(np.float32)


def noise_blend(t: float) -> tuple[float, float]:
    """Weights (cos, sin) of πt/2: unit variance for independent Gaussians, exact at 0 and 1."""
    if t <= 0.0:
        return 1.0, 0.0
    if t >= 1.0:
        return 0.0, 1.0
    return math.cos(math.pi * t / 2), math.sin(math.pi * t / 2)


def dcgan_inputs(dim: int, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """(z,) for ``count`` images, or ``count`` frames from ``seed`` to ``interp_seed``."""
    target = int(params.get("interp_seed", -1))
    if target < 0:
        return (np.stack([gaussian_z(s, dim) for s in image_seeds(seed, count)]),)
    if params.get("interp_space", "z") != "z":
        raise GanhubError("this generator has no w space (no mapping network): interpolate in 'z'")
    start, end = gaussian_z(seed, dim), gaussian_z(target, dim)
    return (np.stack([slerp(start, end, float(t)) for t in frame_times(count)]),)


def crossover_mask(config: StyleGAN2Config, crossover: str) -> np.ndarray:
    """(n_latent,) 1 where the second seed's styles are used, for coarse/middle/fine mixing."""
    mask = np.zeros(config.n_latent, np.float32)
    if crossover != "off":
        low, high = CROSSOVER[crossover]
        mask[low : min(high, config.n_latent)] = 1.0
    return mask


def stylegan2_inputs(config: StyleGAN2Config, seed: int, count: int,
                     params: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """The six inputs of :class:`~ganhub_faces.networks.StyleGAN2Faces` (see there)."""
    random_noise = params.get("noise_mode", "const") == "random"
    crossover = str(params.get("style_mix", "off"))
    psi = np.full((count, 1), float(params.get("truncation", 1.0)), np.float32)
    select = np.full((count, 1), 1.0 if random_noise else 0.0, np.float32)
    if int(params.get("interp_seed", -1)) >= 0:
        if crossover != "off":
            raise GanhubError("style mixing and interpolation both use the second latent: pick one")
        z, z_mix, mix, noise = _interpolation(config, seed, count, params, random_noise)
        return z, z_mix, psi, mix, select, noise
    pairs = [_draw(config, s, random_noise) for s in image_seeds(seed, count)]
    z = np.stack([z for z, _ in pairs])
    noise = np.stack([n for _, n in pairs])
    z_mix = z.copy()
    if crossover != "off":
        z_mix[:] = gaussian_z(int(params.get("mix_seed", 0)), config.style_dim)
    mix = np.repeat(crossover_mask(config, crossover)[None], count, axis=0)
    return z, z_mix, psi, mix, select, noise


def _draw(config: StyleGAN2Config, seed: int, random_noise: bool) -> tuple[np.ndarray, np.ndarray]:
    if random_noise:
        return gaussian_z_and_noise(seed, config.style_dim, config.noise_size)
    # Constant noise ignores this input: zeros cost nothing to make.
    return gaussian_z(seed, config.style_dim), np.zeros(config.noise_size, np.float32)


def _interpolation(config: StyleGAN2Config, seed: int, count: int, params: dict[str, Any],
                   random_noise: bool) -> tuple[np.ndarray, ...]:
    """z, z_mix, mix, noise for ``count`` frames from ``seed`` to ``interp_seed``."""
    (z_a, noise_a), (z_b, noise_b) = (
        _draw(config, s, random_noise) for s in (seed, int(params["interp_seed"]))
    )
    times = [float(t) for t in frame_times(count)]
    noise = np.stack([wa * noise_a + wb * noise_b for wa, wb in map(noise_blend, times)])
    if params.get("interp_space", "w") == "z":
        z = np.stack([slerp(z_a, z_b, t) for t in times])
        return z, z.copy(), np.zeros((count, config.n_latent), np.float32), noise
    # w space: map both ends, blend every style layer by t (a lerp in w, the paper's choice).
    mix = np.repeat(np.asarray(times, np.float32)[:, None], config.n_latent, axis=1)
    return np.repeat(z_a[None], count, 0), np.repeat(z_b[None], count, 0), mix, noise
