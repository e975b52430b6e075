"""Clean photos for training and evaluation, with a fixed held-out split.

BSD68 lives in the shared data folder (``../shared/data/photos/BSD68`` from the repo root);
every 4th file (sorted by name) is held out for evaluation. skimage photos are always
available: ``astronaut``, ``rocket`` and ``camera`` train, ``chelsea`` and ``coffee`` are held out.
:func:`extra_train_photos` adds Set5 and Set14 (``../shared/data/sr``), for trainers that ask for
more photos; no evaluation set uses them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

TRAIN_SKIMAGE = ("astronaut", "rocket", "camera")
HELD_OUT_SKIMAGE = ("chelsea", "coffee")


def _shared_data() -> Path:
    repo = Path(__file__).resolve().parents[3]  # plugins/ganhub-watermark/ganhub_watermark/
    return repo.parent / "shared" / "data"


def bsd68_dir() -> Path:
    """The BSD68 folder: $GANHUB_BSD68, else ../shared/data/photos/BSD68 beside the repo."""
    env = os.environ.get("GANHUB_BSD68")
    return Path(env) if env else _shared_data() / "photos" / "BSD68"


def sr_dir() -> Path:
    """The shared super-resolution sets (Set5/, Set14/): ../shared/data/sr beside the repo."""
    return _shared_data() / "sr"


def _load(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:  # grayscale photos still teach shapes of glyphs over texture
        image = np.repeat(image[..., None], 3, axis=2)
    return image[..., :3].astype(np.float32) / 255.0


def bsd68_split() -> tuple[list[Path], list[Path]]:
    """(train, held-out) BSD68 files; both empty when the shared data is absent."""
    folder = bsd68_dir()
    files = sorted(folder.glob("*.png")) if folder.is_dir() else []
    return [f for i, f in enumerate(files) if i % 4], [f for i, f in enumerate(files) if i % 4 == 0]


def train_photos() -> list[np.ndarray]:
    """All training photos as H×W×3 float32 in [0, 1]."""
    return [_load(p) for p in bsd68_split()[0]] + [_skimage(n) for n in TRAIN_SKIMAGE]


def extra_train_photos(min_side: int) -> list[np.ndarray]:
    """Set5 and Set14 photos with both sides at least ``min_side`` (17 of 19 at 256), as
    :func:`train_photos`; empty when the shared data is absent."""
    files = sorted(sr_dir().glob("Set*/*.png"))
    photos = [_load(f) for f in files]
    return [p for p in photos if min(p.shape[:2]) >= min_side]


def held_out_bsd68() -> list[np.ndarray]:
    """Held-out BSD68 photos (empty when the shared data is absent)."""
    return [_load(p) for p in bsd68_split()[1]]


def held_out_skimage() -> list[np.ndarray]:
    """Held-out skimage photos (always available)."""
    return [_skimage(n) for n in HELD_OUT_SKIMAGE]


def random_crop(photos: list[np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``size``² crop of a random photo, randomly flipped."""
    photo = photos[rng.integers(len(photos))]
    y = int(rng.integers(0, photo.shape[0] - size + 1))
    x = int(rng.integers(0, photo.shape[1] - size + 1))
    crop = photo[y : y + size, x : x + size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop
