"""ganhub-watermark: watermark removal for ganhub (our own auto-mask cGAN; LaMa; auto + LaMa).

Registered through the ``ganhub`` entry-point group, exactly as a third-party plugin is.
"""

from __future__ import annotations

import ganhub
from ganhub_watermark.catalog import models

__all__ = ["register_models"]


@ganhub.hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    """Register the watermark models."""
    for model in models():
        register(model)
