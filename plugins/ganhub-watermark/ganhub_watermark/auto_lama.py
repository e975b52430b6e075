"""Auto + LaMa as one session: the shipped cGAN finds the mark, LaMa's graph fills it.

This is :func:`ganhub_watermark.modes.auto_then_inpaint` behind the Session protocol, so the
``watermark-auto-lama`` model runs through the host's ordinary inpaint pipeline (CLI, app tab,
API) with no mask painted. The detector's mask is the set of pixels it changed, the same rule
the host applies to any auto-mask model (:data:`CHANGED`); it is grown by
:data:`GROW` pixels so LaMa sees the glyph edges as holes, and only those pixels are filled.

Both halves are the plugin's existing models: the cGAN from its pinned package file
(verified by sha256 like any load), LaMa from the file the engine fetched and verified for
this model's spec (its pinned Hub graph).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganhub_watermark.modes import dilate

if TYPE_CHECKING:
    from ganhub import Session

GROW = 2  # px: modes.auto_then_inpaint's default, so both paths fill the same pixels
# The host's rule for an auto-mask model's mask (ganhub.pipeline.AUTO_MASK_CHANGE, not public
# API): a change below half an 8-bit level is invisible, so it is not part of the mark.
CHANGED = 1.0 / 512


class AutoLamaSession:
    """Detector session then filler session; N×3×H×W image and N×1×H×W mask in, image out."""

    runtime = "onnx"  # the filler, LaMa's graph, is where the time goes

    def __init__(self, detector: "Session", filler: "Session", grow: int = GROW):
        self.detector, self.filler, self.grow = detector, filler, grow
        self.device, self.precision = filler.device, filler.precision
        self.constraints = None  # the spec's constraints apply

    def run(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The image with the found (and grown) mark filled; unchanged where nothing was found.

        ``mask`` is passed to the detector as it is: empty asks it to look everywhere, a
        painted one restricts it to that area (as the cGAN model itself does).
        """
        found = self.find(image, mask)
        output = image.copy()
        for index, hole in enumerate(found):
            if hole.any():  # LaMa refuses an empty mask; nothing found means nothing to fill
                output[index] = self.filler.run(image[index : index + 1], hole[None, None])[0]
        return output

    def find(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """N×H×W {0, 1}: the pixels the detector changed, grown by ``grow``."""
        removed = self.detector.run(image, mask)
        changed = (np.abs(removed - image).max(axis=1) > CHANGED).astype(np.float32)
        return np.stack([dilate(plane, self.grow) for plane in changed])


def open_session(lama_weights: Path, device: str) -> AutoLamaSession:
    """The cGAN (its packaged, pinned weights) and LaMa's graph at ``lama_weights`` on ``device``."""
    from ganhub import TorchSession, WeightsError
    from ganhub.weights import resolve_weights
    from ganhub_watermark.catalog import LaMa, WatermarkCGAN

    cgan = WatermarkCGAN()
    detector = TorchSession(cgan.build(resolve_weights(cgan.spec.weights).path), device, "fp32")
    filler = LaMa().open_session(lama_weights, device)
    if filler is None:  # only the ONNX form runs in windows; the spec takes no other file
        raise WeightsError(f"{lama_weights.name} is not LaMa's ONNX graph",
                           fix="run watermark-auto-lama with its default weights")
    return AutoLamaSession(detector, filler)
