"""Post-processing shared by every painting model: strength, colour keeping, output size.

All of it runs on H×W×3 float32 RGB in [0, 1] after the network, in ``Model.finish``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ganhub import Param

STRENGTH = Param(
    "strength", "float", 1.0, 0.0, 1.0, 0.05,
    help="how much of the painting to keep: 1 = the network's output, 0 = the photo (a "
    "linear blend in RGB)",
)
LONG_SIDE = Param(
    "long_side", "int", 0, 0, 4096, 64,
    help="resize the result so its longer side has this many pixels (0 = keep the input "
    "size). The network runs at the input size: downscale big photos first for coarser strokes",
)
KEEP_COLORS = Param(
    "keep_colors", "bool", False,
    help="keep the photo's colours and take only the painting's brightness (luma) and texture",
)

# ITU-R BT.601 luma weights, as YCbCr / PIL's "L" use.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def blend(painted: np.ndarray, photo: np.ndarray, strength: float) -> np.ndarray:
    """``strength`` × painting + (1 − strength) × photo, resizing the photo if sizes differ."""
    if strength >= 1.0:
        return painted
    photo = resize(photo, painted.shape[0], painted.shape[1])
    return (strength * painted + (1.0 - strength) * photo).astype(np.float32)


def keep_colors(painted: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """The painting's luma with the photo's chroma (shift each pixel by the luma difference)."""
    photo = resize(photo, painted.shape[0], painted.shape[1])
    delta = painted @ _LUMA - photo @ _LUMA
    return np.clip(photo + delta[..., None], 0.0, 1.0).astype(np.float32)


def resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area averaging to shrink (no aliasing), Lanczos to enlarge; float32 kept."""
    if rgb.shape[:2] == (height, width):
        return rgb
    import cv2

    shrinking = height * width < rgb.shape[0] * rgb.shape[1]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    out = cv2.resize(np.ascontiguousarray(rgb, np.float32), (width, height), interpolation=method)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def fit_long_side(rgb: np.ndarray, long_side: int) -> np.ndarray:
    """``rgb`` scaled so max(H, W) == long_side (aspect kept; 0 leaves it as it is)."""
    height, width = rgb.shape[:2]
    if long_side <= 0 or max(height, width) == long_side:
        return rgb
    scale = long_side / max(height, width)
    return resize(rgb, max(1, round(height * scale)), max(1, round(width * scale)))


def finish_painting(output: np.ndarray, source: np.ndarray, params: dict[str, Any], *,
                    blend_pixels: bool = True) -> np.ndarray:
    """The shared ``finish``: colours, then strength, then output size (each only if asked)."""
    if params.get("keep_colors"):
        output = keep_colors(output, source)
    if blend_pixels:
        output = blend(output, source, float(params.get("strength", 1.0)))
    return fit_long_side(output, int(params.get("long_side", 0) or 0))
