"""Watermarks on video: one static mask for every frame, and the flicker it saves.

A watermark sits still while the picture moves, so a mask estimated once from many frames (the
per-pixel median of the masks an auto-mask model finds on each) marks the watermark and not
what happens to pass under it. Per-frame masks differ from frame to frame (noise, moving
edges); whatever they add or miss shows as flicker. ``flicker`` measures it: the mean absolute
difference of consecutive output frames over the pixels whose input stands still.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ganhub.errors import GanhubError

if TYPE_CHECKING:
    from ganhub.imaging import DecodedImage
    from ganhub.media.runner import FrameRunner

MASK_MODES = ("per-frame", "static")


def sample_indices(total: int | None, count: int) -> list[int]:
    """``count`` frame indices spread evenly over ``total`` frames (the first ones if unknown)."""
    if count < 1:
        raise GanhubError(f"mask samples is {count}; use 1 or more")
    if not total or total <= count:
        return list(range(count if not total else total))
    return sorted({round(i * (total - 1) / max(1, count - 1)) for i in range(count)})


def median_mask(masks: list[np.ndarray]) -> np.ndarray:
    """1 where at least half of the masks are 1: the per-pixel median of binary masks."""
    if not masks:
        raise GanhubError("no frames to estimate a mask from")
    return (np.median(np.stack(masks), axis=0) >= 0.5).astype(np.float32)


def estimate_static_mask(images: Iterable["DecodedImage"], runner: "FrameRunner", total: int | None,
                         samples: int) -> np.ndarray:
    """The median of the masks ``runner``'s auto-mask model finds on ``samples`` spread frames."""
    if not getattr(runner.model, "auto_mask", False):
        raise GanhubError(f"'{runner.model_id}' does not find masks itself; a static mask needs an "
                          "auto-mask model", fix="use per-frame mode or give a mask", action="per-frame-mask")
    wanted = sample_indices(total, samples)
    masks: list[np.ndarray] = []
    for index, image in enumerate(images):
        if index in wanted:
            mask = runner.run_one(image, mask=None).mask
            masks.append(np.zeros(image.rgb.shape[:2], np.float32) if mask is None else mask)
        if index >= wanted[-1]:
            break  # the rest need not even be decoded
    return median_mask(masks)


def flicker(frames: Iterable[np.ndarray], region: np.ndarray | None = None) -> float:
    """Mean absolute difference of consecutive frames over ``region`` (all pixels when None),
    in the frames' own units (0..255 for uint8)."""
    total, pairs, previous = 0.0, 0, None
    for frame in frames:
        current = np.asarray(frame, dtype=np.float32)
        if previous is not None:
            difference = np.abs(current - previous).mean(axis=-1)
            total += float(difference[region].mean() if region is not None else difference.mean())
            pairs += 1
        previous = current
    return total / pairs if pairs else 0.0


def static_region(frames: Iterable[np.ndarray], tolerance: float) -> np.ndarray:
    """Pixels whose range over all frames (max − min, any channel) is at most ``tolerance``."""
    low = high = None
    for frame in frames:
        values = np.asarray(frame, dtype=np.float32)
        low = values if low is None else np.minimum(low, values)
        high = values if high is None else np.maximum(high, values)
    if low is None or high is None:
        raise GanhubError("no frames to find the static region of")
    return (high - low).max(axis=-1) <= tolerance
