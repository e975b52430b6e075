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
    from ganhub import Engine, Loaded

DETECTOR_ID, FILLER_ID = "ganhub-watermark-cgan", "lama"


def auto_remove(loaded: "Loaded", image: imaging.DecodedImage) -> RunResult:
    """Auto mode: the model finds the watermark; ``extras["mask"]`` is what it removed."""
    return run_inpaint(loaded, image=image, params=loaded.model.spec.resolve_params(), mask=None)


def brush_remove(loaded: "Loaded", image: imaging.DecodedImage, mask: np.ndarray) -> RunResult:
    """Brush mode: only the painted pixels (mask > 0.5) may change (the host's inpaint path)."""
    return run_inpaint(loaded, image=image, params=loaded.model.spec.resolve_params(), mask=mask)


def auto_then_inpaint(detector: "Loaded", filler: "Loaded", image: imaging.DecodedImage,
                      grow: int = 2) -> RunResult:
    """Auto + LaMa: our model finds the mask, ``filler`` (LaMa) fills it, grown by ``grow`` px.

    For opaque marks, which the cGAN finds but cannot invert (nothing of the photo is left
    under them). When the detector finds nothing, the image comes back unchanged with an empty
    mask and a note: an empty mask is a result here, not a mistake of the user's.
    """
    found = auto_remove(detector, image)
    mask = dilate(found.extras["mask"], grow)
    if not mask.any():  # the host's composite already kept every pixel of the input
        found.notes.append("auto + LaMa: no watermark found, nothing filled")
        return found
    return brush_remove(filler, image, mask)


def auto_lama(engine: "Engine", image: imaging.DecodedImage, grow: int = 2, device: str | None = None) -> RunResult:
    """Auto + LaMa with the default weights of both (LaMa's pinned ONNX graph comes from the Hub)."""
    detector = engine.load(DETECTOR_ID, device=device)
    filler = engine.load(FILLER_ID, device=device)
    return auto_then_inpaint(detector, filler, image, grow)


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow a {0, 1} mask by ``pixels`` (3×3 max, repeated): LaMa needs the glyph edges inside."""
    for _ in range(pixels):
        padded = np.pad(mask, 1)
        height, width = mask.shape
        mask = np.max([padded[y : y + height, x : x + width] for y in range(3) for x in range(3)], axis=0)
    return mask
