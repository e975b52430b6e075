"""Helpers shared by the watermark tests (a uniquely named module: `conftest` names collide)."""

from __future__ import annotations

import numpy as np

from ganhub import imaging


def decoded(rgb: np.ndarray) -> imaging.DecodedImage:
    """An in-memory image as the pipeline takes it."""
    return imaging.DecodedImage(np.ascontiguousarray(rgb, dtype=np.float32), None, 8, "RGB")
