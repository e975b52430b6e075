"""The files the battery sends: small seeded photos-like images, and broken or hostile ones.

All are made in memory from a seed (no network, no bundled data): smooth colour gradients
with texture, a brush-stroke layer for inpainting, random bytes wearing a .png name, a PNG
cut in half, and a tiny file that declares a 12000×12000 image.
"""

from __future__ import annotations

import hashlib
import io
import os

import numpy as np
from PIL import Image

SIDE = 32  # small: CPU runs of ×4 models stay well under a second
HUGE_SIDE = 12_000  # 144 MP of 1-bit zeros is a ~20 kB file


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def photo(variant: int, side: int = SIDE) -> bytes:
    """A seeded RGB picture: a diagonal colour gradient plus texture, as PNG bytes."""
    rng = np.random.default_rng(variant)
    ramp = np.linspace(0.0, 1.0, side)
    base = np.stack([np.add.outer(ramp, ramp * k) / (1 + k) for k in rng.uniform(0.2, 2.0, 3)], axis=-1)
    noise = rng.normal(0.0, 0.08, (side, side, 3))
    pixels = np.clip((base + noise) * 255.0, 0, 255).astype(np.uint8)
    return png_bytes(Image.fromarray(pixels))


def stroke(side: int = SIDE) -> bytes:
    """A transparent layer with one opaque brush stroke in the middle (an inpainting mask)."""
    layer = np.zeros((side, side, 4), np.uint8)
    layer[side // 4 : side // 2, side // 4 : 3 * side // 4] = (255, 0, 255, 255)
    return png_bytes(Image.fromarray(layer))


def corrupt(seed: int = 0) -> bytes:
    """Random bytes: no image format recognises them."""
    return np.random.default_rng(seed).integers(0, 256, 2048, dtype=np.uint8).tobytes()


def truncated() -> bytes:
    """A valid PNG's first half: the header reads, the pixels do not."""
    data = photo(99, side=64)
    return data[: len(data) // 2]


def huge() -> bytes:
    """A small file declaring an enormous image (must be refused from its header)."""
    return png_bytes(Image.new("1", (HUGE_SIDE, HUGE_SIDE)))


def oversized(size: int) -> bytes:
    """``size`` random bytes (an upload over the limit)."""
    return os.urandom(size)


def content_hash(data: bytes) -> str:
    """A digest of a file's content: its decoded pixels for images, else its bytes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(f"{image.mode}{image.size}".encode() + image.tobytes())
    except Exception:  # not an image: compare the bytes
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(b"".join(frames)).hexdigest()
