"""Training images: a folder read once into memory, sampled as random crops by a seeded generator.

At the scales this trainer targets (thousands of images at 32-128 px after ``load_size``) the
whole set fits in memory as uint8, which keeps sampling cheap and, more importantly, makes the
batch sequence a pure function of one ``torch.Generator`` whose state a checkpoint saves: a
resumed run draws exactly the batches the uninterrupted run would have drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganhub.errors import GanhubError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted so runs see the same order."""
    if not folder.is_dir():
        raise GanhubError(f"training data folder '{folder}' does not exist")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise GanhubError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under '{folder}'")
    return files


def _read_rgb(path: Path, load_size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        if load_size:
            scale = load_size / min(image.size)
            size = (max(load_size, round(image.width * scale)), max(load_size, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BICUBIC)
        return np.asarray(image, dtype=np.uint8)


class ImageBank:
    """Images as uint8 CHW tensors; :meth:`sample` draws random crops in [0, 1]."""

    def __init__(self, images: list[np.ndarray], crop: int, flip: bool = True):
        small = [i for i, img in enumerate(images) if min(img.shape[:2]) < crop]
        if small:
            raise GanhubError(
                f"{len(small)} image(s) are smaller than image_size {crop}: raise load_size or "
                "remove them"
            )
        self.images = [torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))) for img in images]
        self.crop, self.flip = crop, flip

    @classmethod
    def from_folder(cls, folder: Path, crop: int, load_size: int = 0, flip: bool = True) -> "ImageBank":
        """Read every image under ``folder`` (see :func:`list_images`)."""
        return cls([_read_rgb(p, load_size) for p in list_images(folder)], crop, flip)

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, count: int, generator: torch.Generator, crop: int | None = None) -> torch.Tensor:
        """``count`` random crops, (N, 3, side, side) float32 in [0, 1], from ``generator`` only.

        ``side`` is the bank's crop, or ``crop`` when given (at most the bank's: every image was
        checked against that one), for trainers that draw crops of several sizes.
        """
        side = self.crop if crop is None else crop
        if not 1 <= side <= self.crop:
            raise GanhubError(f"crop {side} is outside 1..{self.crop}: build the bank with the largest crop you draw")
        picks = torch.randint(len(self.images), (count,), generator=generator).tolist()
        coins = torch.rand(count, generator=generator).tolist()
        crops = []
        for index, coin in zip(picks, coins):
            image = self.images[index]
            top = int(torch.randint(image.shape[1] - side + 1, (1,), generator=generator))
            left = int(torch.randint(image.shape[2] - side + 1, (1,), generator=generator))
            window = image[:, top : top + side, left : left + side]
            crops.append(window.flip(-1) if self.flip and coin < 0.5 else window)
        return torch.stack(crops).float().div_(255.0)


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] → [-1, 1], the range the networks train in (tanh outputs)."""
    return images * 2.0 - 1.0


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] → [0, 1], clamped."""
    return ((images + 1.0) * 0.5).clamp(0.0, 1.0)
