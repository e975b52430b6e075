"""ganhub: a plugin-based model hub and app for GAN image models.

Everything a plugin author needs is importable from here (and from the public modules
``ganhub.weights``, ``ganhub.imaging``, ``ganhub.testing``, ``ganhub.train`` and
``ganhub.onnx``); built-in plugins use nothing else, and a test keeps it that way::

    import ganhub

    @ganhub.hookimpl
    def register_models(register):
        register(MyUpscaler())

Registration must stay cheap, so the running side (``Engine``, sessions, pipelines) is
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganhub.errors import (
    GanhubError,
    ImageError,
    PluginError,
    SpecError,
    UnknownModelError,
    WeightsError,
    WeightsUnavailable,
)
from ganhub.hookspecs import hookimpl
from ganhub.model import GenerateModel, ImageToImageModel, InpaintModel, Model
from ganhub.spec import InputConstraints, Kind, ModelSpec, Param, Task, WeightSource, tiling_params

__version__ = "0.1.0"

# Imported on first use: name -> module.
_LAZY = {
    "Engine": "ganhub.engine",
    "Registry": "ganhub.registry",
    "Loaded": "ganhub.pipeline",
    "RunResult": "ganhub.pipeline",
    "run_generate": "ganhub.pipeline",
    "run_image_to_image": "ganhub.pipeline",
    "run_inpaint": "ganhub.pipeline",
    "Session": "ganhub.runtime.base",
    "TorchSession": "ganhub.runtime.torch_session",
    "OnnxSession": "ganhub.runtime.onnx_session",
}

__all__ = [
    "GanhubError",
    "GenerateModel",
    "ImageError",
    "ImageToImageModel",
    "InpaintModel",
    "InputConstraints",
    "Kind",
    "Model",
    "ModelSpec",
    "Param",
    "PluginError",
    "SpecError",
    "Task",
    "UnknownModelError",
    "WeightSource",
    "WeightsError",
    "WeightsUnavailable",
    "hookimpl",
    "tiling_params",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'ganhub' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
