"""Windows for a fixed-size inpainter: which 512×512 views of the image LaMa sees, and how.

LaMa's ONNX graph takes exactly SIZE×SIZE pixels. A photo is larger, and a watermark covers
a small part of it, so each masked region is filled in its own square window around the
region's bounding box, with context on every side:

- a region whose box plus context fits in SIZE px is cropped at full resolution (the crop is
  SIZE×SIZE, or the whole image side where the image is smaller, reflect-padded up to SIZE);
- a larger region gets a larger square window (box + context), scaled down to SIZE, filled,
  and the fill scaled back up.

Grouping: connected mask components closer than GROUP_GAP px are one region (the glyphs of
one word). Regions are then merged greedily while their joint box still fits one
full-resolution window, so a dozen small marks near each other cost one run, while marks far
apart (a logo in each corner) get a window each instead of one window shrunk to fit them all.
Only the pixels of a window's own region are pasted back, so overlapping windows never
overwrite each other's fill; every masked pixel in a window is a hole for the model, so the
marks of other regions are never used as context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

SIZE = 512  # the graph's fixed input side
MIN_MARGIN = 32  # context on each side of a box, at least (px of the image)
MARGIN_FRACTION = 0.25  # ... or this share of the box's longer side, whichever is more
GROUP_GAP = 16  # mask components closer than this (px) form one region

# image 3×S×S in [0, 1] with holes zeroed, mask 1×S×S in {0, 1} -> fill 3×S×S in [0, 1]
Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Box:
    """Rows top..bottom-1 and columns left..right-1 of an image."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def longest(self) -> int:
        return max(self.bottom - self.top, self.right - self.left)

    def union(self, other: "Box") -> "Box":
        return Box(min(self.top, other.top), min(self.left, other.left),
                   max(self.bottom, other.bottom), max(self.right, other.right))

    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)


def window_side(box: Box) -> int:
    """The side of the square window a box needs: the box plus its context margin each side."""
    margin = max(MIN_MARGIN, round(MARGIN_FRACTION * box.longest))
    return box.longest + 2 * margin


@dataclass(frozen=True)
class Region:
    """Where one window goes: the box of its masked pixels and their component labels."""

    box: Box
    labels: tuple[int, ...]


def regions(mask: np.ndarray) -> tuple[np.ndarray, list[Region]]:
    """The component label of each pixel (H×W int) and the regions of a {0, 1} mask, top-left first."""
    from scipy import ndimage

    hit = mask > 0.5
    # Closing the gaps first makes neighbouring glyphs one component; members stay exact.
    near = ndimage.binary_dilation(hit, np.ones((3, 3), bool), iterations=GROUP_GAP // 2)
    labels, _ = ndimage.label(near)
    found = []
    for label, where in enumerate(ndimage.find_objects(labels), start=1):
        member = hit[where] & (labels[where] == label)  # a small crop, not a full-size array each
        if member.any():
            inner = _bounding_box(member)
            top, left = where[0].start, where[1].start
            box = Box(inner.top + top, inner.left + left, inner.bottom + top, inner.right + left)
            found.append(Region(box, (label,)))
    return labels, _merge(found)


def _bounding_box(member: np.ndarray) -> Box:
    rows, cols = np.flatnonzero(member.any(axis=1)), np.flatnonzero(member.any(axis=0))
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def _merge(found: list[Region]) -> list[Region]:
    """Join regions into the first group whose joint box still fits one full-resolution window.

    Greedy, in reading order, repeated until nothing joins: linear in the regions per pass, so
    a tiled mark of hundreds of glyphs groups in milliseconds.
    """
    while True:
        groups: list[Region] = []
        for region in sorted(found, key=lambda r: (r.box.top, r.box.left)):
            for index, group in enumerate(groups):
                joint = group.box.union(region.box)
                if window_side(joint) <= SIZE:
                    groups[index] = Region(joint, group.labels + region.labels)
                    break
            else:
                groups.append(region)
        if len(groups) == len(found):
            return groups
        found = groups


def window(box: Box, height: int, width: int) -> tuple[Box, float]:
    """The crop around ``box`` (inside the image) and the scale that brings it to ≤ SIZE px."""
    side = max(SIZE, window_side(box))
    rows = _span(box.top, box.bottom, side, height)
    cols = _span(box.left, box.right, side, width)
    return Box(rows[0], cols[0], rows[1], cols[1]), SIZE / side


def _span(start: int, stop: int, side: int, limit: int) -> tuple[int, int]:
    """``side`` px centred on start..stop, shifted inside 0..limit (all of it if shorter)."""
    length = min(side, limit)
    first = (start + stop) // 2 - length // 2
    first = min(max(first, 0), limit - length)
    return first, first + length


def fill(image: np.ndarray, mask: np.ndarray, run: Runner) -> np.ndarray:
    """``image`` (3×H×W, [0, 1]) with every pixel where ``mask`` (H×W) > 0.5 filled by ``run``.

    Pixels outside the mask come back bit-identical: only masked pixels are written.
    """
    hole = mask > 0.5
    out = image.copy()
    labels, found = regions(mask)
    for region in found:
        crop, scale = window(region.box, *hole.shape)
        rows, cols = crop.slices()
        filled = _fill_window(image[:, rows, cols], hole[rows, cols], scale, run)
        paste = hole[rows, cols] & np.isin(labels[rows, cols], region.labels)
        out[:, rows, cols][:, paste] = filled[:, paste]
    return out


def _fill_window(image: np.ndarray, hole: np.ndarray, scale: float, run: Runner) -> np.ndarray:
    """One crop through the model: scale to ≤ SIZE, pad to SIZE×SIZE, run, undo both."""
    height, width = hole.shape
    small = (max(1, round(height * scale)), max(1, round(width * scale)))
    pixels = resize(image, *small)
    # Any model pixel that a hole pixel touches is a hole: no trace of the mark is shown to it.
    holes = resize(hole[None].astype(np.float32), *small)[0] > 0.01 if scale < 1 else hole
    pixels = np.where(holes[None], 0.0, pixels).astype(np.float32)
    pad = ((0, 0), (0, SIZE - small[0]), (0, SIZE - small[1]))
    model_in = np.pad(pixels, pad, mode="reflect" if min(small) > 1 else "edge")
    model_mask = np.pad(holes[None].astype(np.float32), pad)  # the padding is context, not hole
    filled = run(model_in, model_mask)[:, : small[0], : small[1]]
    return np.clip(resize(filled, height, width), 0.0, 1.0)


def resize(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """C×h×w float planes resized to C×height×width (bicubic; PIL antialiases when shrinking)."""
    if planes.shape[1:] == (height, width):
        return planes
    from PIL import Image

    return np.stack([
        np.asarray(Image.fromarray(np.ascontiguousarray(plane, np.float32)).resize(
            (width, height), Image.Resampling.BICUBIC))
        for plane in planes
    ])
