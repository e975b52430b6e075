"""Video and animated images through any image-to-image or inpaint model; metadata outputs keep.

``run_media(engine, model_id, in_path, out_path, …)`` is the one entry point (CLI, app, Python):
it decodes a video (PyAV) or an animated GIF/WebP/PNG (Pillow) a few frames at a time, runs the
model on each frame through the engine and encodes the result to a temporary file beside
``out_path``, renamed into place only when complete. :mod:`ganhub.media.metadata` keeps ICC,
EXIF and XMP on image outputs.

Nothing heavy is imported here: :mod:`ganhub.imaging` imports ``ganhub.media.metadata``, so this
package must load without PyAV, torch or the engine (names below are imported on first use).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "run_media": "ganhub.media.job",
    "MediaOptions": "ganhub.media.job",
    "MediaResult": "ganhub.media.job",
    "is_media": "ganhub.media.animation",
    "probe": "ganhub.media.job",
    "MediaLimits": "ganhub.media.limits",
    "MediaInfo": "ganhub.media.frames",
    "MediaError": "ganhub.media.frames",
    "ImageMetadata": "ganhub.media.metadata",
    "flicker": "ganhub.media.watermark",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganhub.media' has no attribute {name!r}")
