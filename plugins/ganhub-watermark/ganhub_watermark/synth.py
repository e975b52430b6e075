"""Synthetic watermarks: text (several TrueType fonts) and simple logo shapes over clean photos.

Everything random is drawn from a ``numpy.random.Generator`` passed in, so a seed gives the
same (watermarked, clean, mask) triple on every machine with the same fonts installed.
One font family (Liberation Serif) is kept out of training, to evaluate on unseen glyphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
HELD_OUT_FAMILY = "LiberationSerif"  # never seen in training: the evaluation font
WORDS = ("SAMPLE", "© Photo", "stock", "PREVIEW", "ganhub", "Copyright 2026", "DRAFT",
         "shutter", "© studio", "demo", "PROOF", "www.example.com", "watermark", "PRO")
MASK_THRESHOLD = 0.1  # coverage above this counts as watermark (anti-aliased edges below do not)


def fonts(held_out: bool = False) -> list[Path]:
    """Training fonts (all but the held-out family), or only the held-out family's files."""
    found = sorted(p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf"))
    # The TeX math font has almost no Latin glyph coverage worth training on.
    found = [p for p in found if "Math" not in p.name]
    chosen = [p for p in found if p.name.startswith(HELD_OUT_FAMILY) == held_out]
    if not chosen:
        raise FileNotFoundError(f"no fonts found in {', '.join(map(str, FONT_DIRS))}")
    return chosen


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _text(rng: np.random.Generator) -> str:
    if rng.random() < 0.7:
        return str(WORDS[rng.integers(len(WORDS))])
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghkmnopqrstuvwxyz0123456789"
    return "".join(letters[i] for i in rng.integers(len(letters), size=int(rng.integers(3, 10))))


def _text_stamp(rng: np.random.Generator, font_files: list[Path], side: int) -> Image.Image:
    """One rotated word as an 'L' coverage image (255 = fully covered)."""
    path = font_files[rng.integers(len(font_files))]
    font = _font(str(path), int(rng.integers(max(8, side // 12), max(12, side // 3))))
    text = _text(rng)
    left, top, right, bottom = font.getbbox(text)
    stamp = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(stamp).text((2 - left, 2 - top), text, fill=255, font=font)
    angle = float(rng.choice([0.0, rng.uniform(-45, 45)]))
    return stamp.rotate(angle, resample=Image.BICUBIC, expand=True)


def _logo_stamp(rng: np.random.Generator, side: int) -> Image.Image:
    """A simple logo-like shape: ring, box, triangle or star outline/fill."""
    size = int(rng.integers(max(10, side // 8), max(16, side // 2)))
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    width = int(rng.integers(1, max(2, size // 6)))
    fill = 255 if rng.random() < 0.4 else None
    shape = int(rng.integers(4))
    box = (1, 1, size - 2, size - 2)
    if shape == 0:
        draw.ellipse(box, outline=255, width=width, fill=fill)
    elif shape == 1:
        draw.rounded_rectangle(box, radius=size // 5, outline=255, width=width, fill=fill)
    else:
        points = 3 if shape == 2 else 10
        angles = np.linspace(0, 2 * np.pi, points, endpoint=False) + rng.uniform(0, np.pi)
        radii = np.full(points, size / 2 - 2) * (np.tile([1.0, 0.45], points)[:points] if shape == 3 else 1)
        poly = [(size / 2 + r * np.cos(a), size / 2 + r * np.sin(a)) for r, a in zip(radii, angles)]
        draw.polygon(poly, outline=255, fill=fill, width=width)
    return stamp


def coverage(rng: np.random.Generator, height: int, width: int, font_files: list[Path]) -> np.ndarray:
    """An H×W float coverage map in [0, 1]: one stamp, or a stamp tiled over the image."""
    layer = Image.new("L", (width, height), 0)
    side = min(height, width)
    stamp = _logo_stamp(rng, side) if rng.random() < 0.25 else _text_stamp(rng, font_files, side)
    if rng.random() < 0.35:  # tiled / repeated, as stock-photo sites do
        step_x = stamp.width + int(rng.integers(4, max(5, side // 3)))
        step_y = stamp.height + int(rng.integers(4, max(5, side // 3)))
        offset_x, offset_y = int(rng.integers(-stamp.width, 1)), int(rng.integers(-stamp.height, 1))
        for row, y in enumerate(range(offset_y, height, step_y)):
            shift = (step_x // 2) * (row % 2)
            for x in range(offset_x - shift, width, step_x):
                layer.paste(255, (x, y), stamp)
    else:
        x = int(rng.integers(-stamp.width // 4, max(1, width - stamp.width * 3 // 4)))
        y = int(rng.integers(-stamp.height // 4, max(1, height - stamp.height * 3 // 4)))
        layer.paste(255, (x, y), stamp)
    return np.asarray(layer, np.float32) / 255.0


def _colour(rng: np.random.Generator) -> np.ndarray:
    pick = rng.random()
    if pick < 0.4:
        return np.ones(3, np.float32)  # white, the most common watermark colour
    if pick < 0.6:
        return np.zeros(3, np.float32)
    if pick < 0.75:
        return np.full(3, rng.uniform(0.3, 0.8), np.float32)
    return rng.random(3).astype(np.float32)


@dataclass(frozen=True)
class Sample:
    """One synthetic pair and how it was made: ``marked = clean·(1 − alpha) + colour·alpha``."""

    marked: np.ndarray  # H×W×3 float32 in [0, 1]
    clean: np.ndarray  # H×W×3 float32 in [0, 1]
    mask: np.ndarray  # H×W {0, 1}: where the watermark covers more than MASK_THRESHOLD
    alpha: np.ndarray  # H×W opacity of the watermark layer, in [0, 0.8]
    colour: np.ndarray  # (3,) the watermark's colour


def synthesize(clean: np.ndarray, rng: np.random.Generator,
               font_files: list[Path] | None = None) -> Sample:
    """Watermark an H×W×3 float32 image in [0, 1]; the sample keeps alpha and colour for training."""
    height, width = clean.shape[:2]
    cover = coverage(rng, height, width, font_files or fonts())
    opacity = float(rng.uniform(0.2, 0.8))
    alpha = cover * opacity
    colour = _colour(rng)
    marked = clean * (1.0 - alpha[..., None]) + colour * alpha[..., None]
    mask = (cover > MASK_THRESHOLD).astype(np.float32)
    return Sample(marked.astype(np.float32), clean.astype(np.float32), mask,
                  alpha.astype(np.float32), colour)


def add_watermark(clean: np.ndarray, rng: np.random.Generator,
                  font_files: list[Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(watermarked, clean, mask) for an H×W×3 float32 image in [0, 1]; mask is H×W in {0, 1}."""
    sample = synthesize(clean, rng, font_files)
    return sample.marked, sample.clean, sample.mask
