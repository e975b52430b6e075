"""Example inputs that work offline: scikit-image's and matplotlib's bundled photos.

The pictures ship inside installed packages, so no network is needed. They are written as
PNG files into a cache folder the first time an app is built (never at import time) and
reused afterwards. Super-resolution gets small crops, because a ×4 model on a CPU turns a
128×128 crop into a 512×512 result in seconds while a full photo takes minutes.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ganhub.spec import Task

CROP = 128  # side of the super-resolution crops
MAX_SIDE = 384  # longest side of the examples for other tasks


@dataclass(frozen=True)
class ExamplePhoto:
    """One bundled photo and where its interesting part is (for the small crop)."""

    name: str
    load: Callable[[], np.ndarray]
    top: int
    left: int


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return np.asarray(getattr(skimage.data, name)())

    return load


def _grace_hopper() -> np.ndarray:
    # Located through the package spec rather than by importing matplotlib, which is slow.
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("matplotlib is not installed")
    base = Path(list(spec.submodule_search_locations)[0])
    from PIL import Image

    with Image.open(base / "mpl-data" / "sample_data" / "grace_hopper.jpg") as image:
        return np.asarray(image.convert("RGB"))


PHOTOS = (
    ExamplePhoto("astronaut", _skimage("astronaut"), 40, 170),
    ExamplePhoto("chelsea", _skimage("chelsea"), 40, 130),
    ExamplePhoto("coffee", _skimage("coffee"), 110, 220),
    ExamplePhoto("rocket", _skimage("rocket"), 150, 270),
    ExamplePhoto("grace_hopper", _grace_hopper, 120, 180),
)


def examples_dir() -> Path:
    """Where example PNGs are cached: ``$GANHUB_HOME/examples`` (default ~/.cache/ganhub)."""
    home = os.environ.get("GANHUB_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "ganhub"
    )
    return Path(home) / "examples"


def _crop(pixels: np.ndarray, photo: ExamplePhoto) -> np.ndarray:
    top = min(photo.top, max(0, pixels.shape[0] - CROP))
    left = min(photo.left, max(0, pixels.shape[1] - CROP))
    return pixels[top : top + CROP, left : left + CROP]


def _shrink(pixels: np.ndarray) -> np.ndarray:
    from PIL import Image

    image = Image.fromarray(pixels)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    return np.asarray(image)


def _write_png(path: Path, pixels: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so two apps starting at once never see half a file.
    handle, temporary = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        Image.fromarray(np.ascontiguousarray(pixels)).save(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def example_file(photo: ExamplePhoto, small: bool) -> Path | None:
    """The cached PNG of ``photo`` (a crop when ``small``), written if missing; None if unavailable."""
    path = examples_dir() / f"{photo.name}-{'crop' if small else 'photo'}.png"
    if path.is_file():
        return path
    try:
        pixels = photo.load()
    except (ImportError, OSError, AttributeError):  # package missing or its data not shipped
        return None
    pixels = _crop(pixels, photo) if small else _shrink(pixels)
    try:
        _write_png(path, pixels)
    except OSError:
        return None
    return path


def example_images(task: str) -> list[str]:
    """Paths of the example inputs for a task's image tabs (small crops for super-resolution)."""
    small = task == Task.SUPER_RESOLUTION
    found = (example_file(photo, small) for photo in PHOTOS)
    return [str(path) for path in found if path is not None]
