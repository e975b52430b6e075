"""Helpers shared by the tests/test_train_*.py modules (no tests here).

Real images only: random crops of skimage.data's astronaut / coffee / chelsea / rocket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import ganhub
from ganhub.registry import Registry

SKIMAGE_NAMES = ("astronaut", "coffee", "chelsea", "rocket")


def skimage_images(names: tuple[str, ...] = SKIMAGE_NAMES) -> list[np.ndarray]:
    """The named skimage.data images as H×W×3 uint8."""
    from skimage import data

    return [getattr(data, name)() for name in names]


def random_crops(count: int, size: int, names: tuple[str, ...] = SKIMAGE_NAMES, seed: int = 123) -> list[np.ndarray]:
    """``count`` seeded random ``size``² crops, cycling through the named images."""
    images, generator, crops = skimage_images(names), torch.Generator().manual_seed(seed), []
    for index in range(count):
        image = images[index % len(images)]
        top = int(torch.randint(image.shape[0] - size, (1,), generator=generator))
        left = int(torch.randint(image.shape[1] - size, (1,), generator=generator))
        crops.append(np.ascontiguousarray(image[top : top + size, left : left + size]))
    return crops


def write_folder(folder: Path, images: list[np.ndarray]) -> Path:
    """Save images as PNGs in ``folder`` (a training data folder)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"img-{index:03d}.png")
    return folder


def registry_with(*models: ganhub.Model) -> Registry:
    """A fresh Registry holding ``models`` (no plugin discovery)."""
    return Registry.from_models(*models, name="train-test")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Run a module's tiny networks on one CPU thread, then restore the count (autouse where
    imported, module scope so module-scoped training fixtures run under it too).

    On a shared 2-core machine, two intra-op threads wait on each other whenever another
    process takes a core: measured 2-7 steps/s instead of ~75 (DCGAN, 32 px) with one thread.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
