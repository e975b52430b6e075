"""Interpolation animations: two seeds → N frames → animated WebP or GIF.

The frames come from the model's own ``latents`` (param ``interp_seed``), so an
animation made here, one made through ``Engine.run(..., params={"interp_seed": b})`` and
the ONNX graph of the model all agree. This module only chunks the batch and writes files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ganhub import GanhubError, GenerateModel
from ganhub_faces.latents import SEED_LIMIT

MAX_FRAMES = 600


def interpolate(target: Any, seed_a: int, seed_b: int, frames: int = 16, space: str | None = None,
                params: dict[str, Any] | None = None, batch: int = 8) -> list[np.ndarray]:
    """``frames`` images morphing from ``seed_a``'s face to ``seed_b``'s, as H×W×3 float32 in [0, 1].

    ``target`` is what ``Engine.load(model_id)`` returns (anything with ``.model`` and
    ``.session``), or a ``(model, session_or_torch_module)`` pair. ``space`` is "w" (linear in
    the mapped latent; StyleGAN2's default) or "z" (spherical; the only choice for DCGAN).
    ``params`` are the model's other params (truncation, noise_mode); the first and last
    frames equal the images ``seed_a`` and ``seed_b`` give with the same params.
    """
    model, session = _unpack(target)
    if not 2 <= frames <= MAX_FRAMES:
        raise GanhubError(f"frames is {frames}; use 2..{MAX_FRAMES}")
    for seed in (seed_a, seed_b):
        if not 0 <= seed < SEED_LIMIT:
            raise GanhubError(f"seed is {seed}; use an integer in 0..{SEED_LIMIT - 1}")
    given = {**(params or {}), "interp_seed": seed_b}
    if space is not None:
        if space not in ("z", "w"):
            raise GanhubError(f"space is {space!r}; use 'z' or 'w'")
        if space == "w" and not _has_param(model, "interp_space"):
            raise GanhubError(f"'{model.spec.id}' has no w space (no mapping network): use space='z'")
        if _has_param(model, "interp_space"):
            given["interp_space"] = space
    inputs = model.latents(seed_a, frames, model.spec.resolve_params(given))
    images: list[np.ndarray] = []
    for start in range(0, frames, max(1, batch)):
        output = session.run(*(x[start : start + batch] for x in inputs))
        images.extend(np.clip(img.transpose(1, 2, 0), 0.0, 1.0).astype(np.float32) for img in output)
    return images


def write_animation(frames: Sequence[np.ndarray], path: str | Path, fps: float = 12.0,
                    loop: int = 0, quality: int = 90) -> Path:
    """Write frames as an animated .webp or .gif (see :func:`ganhub.imaging.write_animation`)."""
    from ganhub.imaging import write_animation as write

    return write(frames, path, fps=fps, loop=loop, quality=quality)


def _has_param(model: GenerateModel, name: str) -> bool:
    return any(param.name == name for param in model.spec.params)


def _unpack(target: Any) -> tuple[GenerateModel, Any]:
    """(model, session) from a Loaded, or from a (model, session | torch module) pair."""
    if hasattr(target, "model") and hasattr(target, "session"):
        model, runner = target.model, target.session
    elif isinstance(target, tuple) and len(target) == 2:
        model, runner = target
    else:
        raise GanhubError("interpolate() takes Engine.load(model_id)'s result or a (model, session) pair")
    if not isinstance(model, GenerateModel):
        raise GanhubError(f"'{model.spec.id}' is not a generator: nothing to interpolate")
    if not hasattr(runner, "run"):  # a bare torch module: run it the way the engine would
        from ganhub import TorchSession

        device = next(runner.parameters()).device.type
        runner = TorchSession(runner, device, "fp32")
    return model, runner
