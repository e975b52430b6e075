"""ganhub-superres: Real-ESRGAN super-resolution and bring-your-own upscalers for ganhub.

Registered through the ``ganhub`` entry-point group, exactly as a third-party plugin is.
"""

from __future__ import annotations

import ganhub
from ganhub_superres.catalog import models


@ganhub.hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    for model in models():
        register(model)


@ganhub.hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from ganhub_superres.commands import convert_ncnn

    cli.command("convert-ncnn")(convert_ncnn)
