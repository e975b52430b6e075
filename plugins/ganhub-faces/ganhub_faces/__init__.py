"""ganhub-faces: face generators for ganhub (DCGAN 64² offline, StyleGAN2 FFHQ 1024²).

Registered through the ``ganhub`` entry-point group, exactly as a third-party plugin is.
Beyond the generate pipeline, :func:`interpolate` and :func:`write_animation` turn two
seeds into an animated WebP/GIF.
"""

from __future__ import annotations

import ganhub
from ganhub_faces.animate import interpolate, write_animation
from ganhub_faces.catalog import models

__all__ = ["interpolate", "register_models", "write_animation"]


@ganhub.hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    for model in models():
        register(model)
