"""The small objects plugins register: a ModelSpec plus only the code that must be code.

A model builds a *network* (usually a ``torch.nn.Module``) with a fixed tensor convention
per kind, so every runtime, the tiler, the exporter and the conformance suite can drive any
model the same way:

- image-to-image: ``(N, 3, H, W)`` float in [0, 1] -> ``(N, 3, H*scale, W*scale)`` in [0, 1]
- inpaint:        ``(N, 3, H, W)`` image, ``(N, 1, H, W)`` mask (1 = remove) -> ``(N, 3, H, W)``
- generate:       the tensors returned by :meth:`GenerateModel.latents` -> ``(N, 3, H, W)``

Normalisation (e.g. a network trained on [-1, 1]) lives inside the built network, so an
ONNX export of it needs no extra code. Pre/post-processing that depends on params (resize
the output, blend with the input) lives in :meth:`finish`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganhub.errors import GanhubError
from ganhub.spec import InputConstraints, Kind, ModelSpec, WeightSource

if TYPE_CHECKING:  # torch is imported lazily: registration must stay cheap
    import torch

    from ganhub.runtime.base import Session


class Model:
    """Base of the per-kind adapters; plugins subclass one of those below."""

    spec: ModelSpec
    kind: Kind

    def build(self, weights: Path | None) -> "torch.nn.Module":
        """Build the network and load ``weights`` (a verified local file) into it."""
        raise NotImplementedError(f"{type(self).__name__}.build")

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        """Seeded inputs of the network's convention, for export, parity and conformance."""
        raise NotImplementedError(f"{type(self).__name__}.example_inputs")

    def typical_input(self, crop: np.ndarray, seed: int) -> np.ndarray:
        """A clean 3×H×W [0, 1] photo crop made into what this model is usually given, for int8
        calibration, the int8 parity check and ``auto``'s probe (default: the crop itself).

        A model that leaves most of a clean photo alone (a watermark remover) overrides this:
        calibrated and checked on clean crops only, its int8 graph passed parity while it
        removed marks 0.9 dB worse than fp32.
        """
        return crop

    def constraints_for(self, network: object) -> InputConstraints:
        """The input constraints of a built network (a BYO model learns its scale on load)."""
        return self.spec.constraints

    def open_session(self, weights: Path | None, device: str) -> "Session | None":
        """A session this model runs itself (e.g. several ONNX graphs); None: the default runtime."""
        return None

    def onnx_file(self, weights: Path) -> Path | None:
        """The ``.onnx`` file to run directly when the weights *are* an ONNX graph."""
        return weights if weights is not None and weights.suffix == ".onnx" else None


class ImageToImageModel(Model):
    """Image in, image out (super-resolution, painting styles, restoration)."""

    kind = Kind.IMAGE_TO_IMAGE
    # Set True when ``finish`` also works on uint8/uint16 arrays (at the input's bit depth):
    # large tiled runs then blend straight into an 8- or 16-bit result and never hold the
    # whole output as float32. The default ``finish`` (returns its input) counts as True.
    finish_takes_integers = False

    def extra_inputs(self, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """Arrays passed to the network after the image (e.g. a style vector), made from params."""
        return ()

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """Post-process the network's H×W×3 output (e.g. resize to a smaller scale): float in
        [0, 1], or uint8/uint16 when ``finish_takes_integers``."""
        return output

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng(0)
        return (rng.random((batch, 3, height, width), dtype=np.float32),)


class InpaintModel(Model):
    """Image + mask (1 = remove) in, image out; ``auto_mask`` models find the mask themselves."""

    kind = Kind.INPAINT
    auto_mask = False

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return output

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng(0)
        image = rng.random((batch, 3, height, width), dtype=np.float32)
        mask = np.zeros((batch, 1, height, width), np.float32)
        mask[:, :, height // 4 : height // 2, width // 4 : width // 2] = 1.0
        return image, mask


class GenerateModel(Model):
    """Seed + params in, images out (face generators, unconditional GANs)."""

    kind = Kind.GENERATE

    def latents(self, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """The network inputs for ``count`` images from ``seed`` (deterministic)."""
        raise NotImplementedError(f"{type(self).__name__}.latents")

    def is_animation(self, params: dict[str, Any]) -> bool:
        """True when a run's images are the frames of one animation (e.g. an interpolation)."""
        return False

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        return self.latents(0, batch, self.spec.resolve_params())


def weight_sources(model: Model, weights: str | None) -> tuple[WeightSource, ...]:
    """The weight sources to try: the spec's, or the user's own file where the model allows."""
    if weights is None:
        if not model.spec.weights:
            raise GanhubError(f"model '{model.spec.id}' runs weights you supply",
                              fix="give a weights file or hf://owner/repo/file@<commit>",
                              action="supply-weights", model_id=model.spec.id)
        return model.spec.weights
    if not model.spec.accepts_user_weights:
        raise GanhubError(f"model '{model.spec.id}' uses its own pinned weights",
                          why="only models that accept user weights take other files",
                          fix="run it without your own weights", action="drop-user-weights",
                          model_id=model.spec.id)
    return (WeightSource(weights, user_supplied=True),)
