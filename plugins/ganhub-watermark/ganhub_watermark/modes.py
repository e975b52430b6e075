"""The three ways to remove a watermark: auto (our mask), brush (your mask), auto + LaMa.

All go through the host's inpaint pipeline: with ``mask=None`` an ``auto_mask`` model gets an
empty mask, finds the watermark itself, and the pixels it changed come back as the mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ganhub import imaging
from ganhub import RunResult, run_inpaint

if TYPE_CHECKING:
    from ganhub import Loaded

def auto_remove(loaded: "Loaded", image: imaging.DecodedImage) -> RunResult:
    """Auto mode: the model finds the watermark; ``extras["mask"]`` is what it removed."""
    return run_inpaint(loaded, image=image, params=loaded.model.spec.resolve_params(), mask=None)


def brush_remove(loaded: "Loaded", image: imaging.DecodedImage, mask: np.ndarray) -> RunResult:
    """Brush mode: only the painted pixels (mask > 0.5) may change (the host's inpaint path)."""
    return run_inpaint(loaded, image=image, params=loaded.model.spec.resolve_params(), mask=mask)


def auto_then_inpaint(detector: "Loaded", filler: "Loaded", image: imaging.DecodedImage,
                      grow: int = 2) -> RunResult:
    """Auto + LaMa: our model finds the mask, ``filler`` (LaMa) fills it, grown by ``grow`` px."""
    mask = auto_remove(detector, image).extras["mask"]
    return brush_remove(filler, image, dilate(mask, grow))


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow a {0, 1} mask by ``pixels`` (3×3 max, repeated): LaMa needs the glyph edges inside."""
    for _ in range(pixels):
        padded = np.pad(mask, 1)
        height, width = mask.shape
        mask = np.max([padded[y : y + height, x : x + width] for y in range(3) for x in range(3)], axis=0)
    return mask
