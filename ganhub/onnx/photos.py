"""Real photos for int8 calibration, held-out parity and benchmarks (not noise: some kernels
take shortcuts on zeros, and quantisation ranges calibrated on noise miss real content).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganhub.errors import GanhubError
from ganhub.onnx.timing import Inputs
from ganhub.spec import Kind

if TYPE_CHECKING:
    from ganhub.model import Model

# The folder next to the repository checkout (ganhub/onnx/photos.py -> ../../../shared).
SET14 = Path(__file__).resolve().parents[3] / "shared" / "data" / "sr" / "Set14"
MAX_SET14 = 8


def load_photos() -> list[np.ndarray]:
    """Real photos as H×W×3 float32 in [0, 1]: skimage's astronaut, coffee, chelsea, then Set14."""
    photos: list[np.ndarray] = []
    try:
        from skimage import data

        photos += [data.astronaut(), data.coffee(), data.chelsea()]
    except ImportError:
        pass
    if SET14.is_dir():
        from PIL import Image

        for path in sorted(SET14.glob("*.png"))[:MAX_SET14]:
            with Image.open(path) as image:
                photos.append(np.asarray(image.convert("RGB")))
    if not photos:
        raise GanhubError(f"no photos to measure with: install scikit-image or provide {SET14}")
    return [np.asarray(photo, np.float32) / 255.0 for photo in photos]


def photo_crop(photo: np.ndarray, height: int, width: int,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """A height×width crop as 3×H×W float32: centred, or at a random spot given ``rng``.

    A photo smaller than the crop is first enlarged (bicubic) so every size is real content.
    """
    import cv2

    scale = max(height / photo.shape[0], width / photo.shape[1], 1.0)
    if scale > 1.0:
        size = (int(np.ceil(photo.shape[1] * scale)), int(np.ceil(photo.shape[0] * scale)))
        photo = np.clip(cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    spare_y, spare_x = photo.shape[0] - height, photo.shape[1] - width
    top, left = (spare_y // 2, spare_x // 2) if rng is None else (
        int(rng.integers(0, spare_y + 1)), int(rng.integers(0, spare_x + 1)))
    crop = photo[top : top + height, left : left + width]
    return np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)


def photo_inputs(model: "Model", shapes: list[Inputs], seed: int) -> list[Inputs]:
    """Model inputs shaped like ``shapes`` whose image is real photo crops (seeded positions),
    as the model is usually given them (``Model.typical_input``)."""
    if model.kind == Kind.GENERATE:
        params = model.spec.resolve_params()
        return [model.latents(seed + i, len(s[0]), params) for i, s in enumerate(shapes)]
    photos, rng, result, drawn = load_photos(), np.random.default_rng(seed), [], 0
    for index, example in enumerate(shapes):
        batch, _, height, width = example[0].shape
        crops = [model.typical_input(photo_crop(photos[(index + b) % len(photos)], height, width, rng),
                                     seed * 100_003 + drawn + b) for b in range(batch)]  # a seed per crop
        drawn += batch
        result.append((np.stack(crops), *example[1:]))
    return result


def bench_inputs(model: "Model", size: int, photo: np.ndarray) -> Inputs:
    """The input for one size: a size×size photo crop (generate models: ``size`` = batch)."""
    if model.kind == Kind.GENERATE:
        return model.latents(0, size, model.spec.resolve_params())
    example = model.example_inputs(size, size, 1)  # keeps the kind's other inputs (a mask)
    return (model.typical_input(photo_crop(photo, size, size), 0)[None], *example[1:])
