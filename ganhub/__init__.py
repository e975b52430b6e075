"""ganhub: a plugin-based model hub and app for GAN image models.

Everything a plugin author needs is importable from here::

    import ganhub

    @ganhub.hookimpl
    def register_models(register):
        register(MyUpscaler())
"""

from ganhub.errors import GanhubError, ImageError, PluginError, SpecError, WeightsError
from ganhub.hookspecs import hookimpl
from ganhub.model import GenerateModel, ImageToImageModel, InpaintModel, Model
from ganhub.spec import InputConstraints, Kind, ModelSpec, Param, Task, WeightSource, tiling_params

__version__ = "0.1.0"

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
    "WeightSource",
    "WeightsError",
    "hookimpl",
    "tiling_params",
    "__version__",
]
