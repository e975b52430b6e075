"""The conformance suite every plugin runs: build, shapes, value range, determinism, licence.

A plugin's tests call :func:`check_model` for each of its models with tiny seeded inputs
(random or real weights); the host's own tests run it on the built-in plugins. It needs
torch, so it lives apart from the import-light public API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from ganhub.model import GenerateModel, ImageToImageModel, InpaintModel, Model

if TYPE_CHECKING:
    from ganhub.engine import Engine
    from ganhub.registry import Registry


@dataclass(frozen=True)
class ConformanceReport:
    """What was checked, for a test to print or assert on."""

    model_id: str
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    value_range: tuple[float, float]


def check_spec(model: Model) -> None:
    """The spec carries what the UI and the model card need."""
    spec = model.spec
    assert spec.license.strip(), f"{spec.id}: no licence"
    assert spec.description.strip(), f"{spec.id}: no description"
    for param in spec.params:
        if param.type != "image":
            param.coerce(param.default)


def check_model(model: Model, weights: Path | None, *, height: int = 24, width: int = 20,
                tolerance: float = 0.05, check_range: bool = True) -> ConformanceReport:
    """Build the network and check shapes, finite values in [0, 1] ± tolerance, determinism.

    ``check_range=False`` for random weights, whose outputs need not look like images.
    """
    from ganhub.runtime.torch_session import TorchSession

    check_spec(model)
    constraints = model.constraints_for(None)
    multiple = constraints.multiple_of
    height, width = _round_up(height, multiple), _round_up(width, multiple)
    session = TorchSession(model.build(weights), "cpu", "fp32")
    constraints = model.constraints_for(session.network)
    inputs = model.example_inputs(height, width, batch=2)
    if isinstance(model, (ImageToImageModel, InpaintModel)):
        inputs = (photo(height, width, batch=2), *inputs[1:])  # noise would overshoot any SR model
    first, second = session.run(*inputs), session.run(*inputs)
    assert np.array_equal(first, second), f"{model.spec.id}: two runs on the same input differ"
    assert np.isfinite(first).all(), f"{model.spec.id}: output has NaN/inf"
    _check_shape(model, inputs, first, constraints.scale)
    low, high = float(first.min()), float(first.max())
    if check_range:
        assert low >= -tolerance and high <= 1 + tolerance, f"{model.spec.id}: values {low}..{high}"
    return ConformanceReport(model.spec.id, tuple(x.shape for x in inputs), first.shape, (low, high))


def plugin_registry(module: ModuleType, name: str) -> "Registry":
    """A fresh registry holding only ``module``'s models (as if pip-installed as ``name``).

    Fails with the plugin's own traceback when it does not register cleanly.
    """
    from ganhub.registry import Registry

    registry = Registry(allow=set())
    record = registry.add_plugin(module, name)
    assert record.status == "ok", record.traceback or record.error
    return registry


@contextmanager
def offline_engine(registry: "Registry", hub_cache: Path, runtime: str = "torch") -> Iterator["Engine"]:
    """A CPU engine with the Hub switched off and an empty Hub cache at ``hub_cache``.

    Requests that name no runtime run on ``runtime`` (torch: the same path on every machine,
    and no first-use ONNX export a test did not ask for).

    Hub sources are tried first for many models; offline, that attempt fails fast and
    locally, so packaged or ncnn fallbacks are what a test exercises. The environment is
    restored on exit.
    """
    from ganhub.engine import Engine

    saved = {key: os.environ.get(key) for key in ("HF_HUB_OFFLINE", "HF_HUB_CACHE")}
    os.environ.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(hub_cache))
    try:
        yield Engine(registry, device="cpu", runtime=runtime)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def photo(height: int, width: int, batch: int = 1) -> np.ndarray:
    """Crops of a real photo (skimage's astronaut) as N×3×H×W float32 in [0, 1]."""
    from skimage import data

    image = data.astronaut()
    crops = [image[40 + 8 * i : 40 + 8 * i + height, 180 : 180 + width] for i in range(batch)]
    return np.stack(crops).transpose(0, 3, 1, 2).astype(np.float32) / 255


def _check_shape(model: Model, inputs: tuple[np.ndarray, ...], output: np.ndarray, scale: int) -> None:
    batch = inputs[0].shape[0]
    assert output.ndim == 4 and output.shape[:2] == (batch, 3), f"{model.spec.id}: {output.shape}"
    if isinstance(model, (ImageToImageModel, InpaintModel)):
        height, width = inputs[0].shape[2:]
        expected = (height * scale, width * scale)
        assert output.shape[2:] == expected, f"{model.spec.id}: {output.shape[2:]} != {expected}"
    elif isinstance(model, GenerateModel):
        assert output.shape[2] >= 8 and output.shape[3] >= 8, f"{model.spec.id}: {output.shape}"


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple
