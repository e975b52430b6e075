"""Helpers shared by the painting tests (a uniquely named module: `conftest` names collide)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def photo(name: str, side: int = 256) -> np.ndarray:
    """skimage's ``name`` photo, shorter side resized to ``side``, float32 RGB in [0, 1]."""
    from skimage import data, transform

    image = getattr(data, name)()
    height, width = image.shape[:2]
    scale = side / min(height, width)
    size = (round(height * scale), round(width * scale))
    return np.clip(transform.resize(image, size, anti_aliasing=True), 0, 1).astype(np.float32)
