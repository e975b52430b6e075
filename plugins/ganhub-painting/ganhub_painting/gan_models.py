"""The GAN painters (AnimeGANv2, CartoonGAN) as ganhub image-to-image models (torch runtime).

Only what must be code: read the checkpoint weights-only, load it strictly into the ``_arch``
generator, wrap it in ganhub's [0, 1] RGB convention, and post-process with the shared
``finishing`` step. The specs (data) are in ``catalog``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import ganhub
from ganhub.weights import load_strict
from ganhub import ModelSpec
from ganhub_painting.finishing import finish_painting

if TYPE_CHECKING:
    import torch

ARCH_NAMES = {"animegan2": "AnimeGANv2 generator", "cartoongan": "CartoonGAN generator"}


def build_painter(arch: str, weights: Path) -> "torch.nn.Module":
    """The [0, 1]-convention network of ``arch`` with ``weights`` loaded strictly."""
    from ganhub.weights import read_state_dict, unwrap
    from ganhub_painting.networks import GENERATORS, PAINTERS

    generator = GENERATORS[arch]()
    # The published files are bare state dicts; unwrap tolerates a {"state_dict": …} re-save.
    state = unwrap(read_state_dict(weights), ("state_dict", "generator", "netG"))
    load_strict(generator, state, ARCH_NAMES[arch], weights.name)
    return PAINTERS[arch](generator.eval()).eval()


class GANPainter(ganhub.ImageToImageModel):
    """A feed-forward GAN generator that repaints a photo in one trained style."""

    def __init__(self, spec: ModelSpec, arch: str) -> None:
        if arch not in ARCH_NAMES:
            raise ValueError(f"unknown painting architecture {arch!r}")
        self.spec = spec
        self.arch = arch

    def build(self, weights: Path | None) -> "torch.nn.Module":
        if weights is None:
            raise ganhub.WeightsError(f"'{self.spec.id}' needs its {ARCH_NAMES[self.arch]} weights file")
        return build_painter(self.arch, weights)

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return finish_painting(output, source, params)
