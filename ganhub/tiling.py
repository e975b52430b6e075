"""Array geometry for networks: pad to a multiple and crop back, and tiled inference.

``tiled_apply`` runs an image-to-image network tile by tile with feathered seams so large
images fit in memory. Arrays are N×C×H×W float32; like :mod:`ganhub.imaging`, this module
never imports torch: networks reach it as plain numpy callables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ganhub.errors import GanhubError, ImageError

_PadMode = Literal["reflect", "edge", "constant"]


# -- padding ------------------------------------------------------------------------------


def pad_to_multiple(x: np.ndarray, multiple: int, mode: str = "reflect") -> tuple[np.ndarray, tuple[int, int]]:
    """Pad an N×C×H×W array at the bottom and right so H and W are multiples of ``multiple``.

    ``mode`` is "reflect", "edge" (alias "replicate") or "constant" (zeros). Reflection needs
    the pad to be smaller than the side; on a side too small for that, "edge" is used instead.
    Returns the padded array and the original (H, W) for crop_to.
    """
    if x.ndim != 4:
        raise ImageError(f"expected an N×C×H×W array, got shape {x.shape}")
    if multiple < 1:
        raise ImageError(f"multiple is {multiple}; use a positive integer")
    modes: dict[str, _PadMode] = {"reflect": "reflect", "edge": "edge", "replicate": "edge", "constant": "constant"}
    if mode not in modes:
        raise ImageError(f"padding mode '{mode}' is unknown; use reflect, edge or constant")
    height, width = x.shape[2], x.shape[3]
    for axis, size in ((2, height), (3, width)):
        pad = -size % multiple
        if pad:
            axis_mode: _PadMode = "edge" if modes[mode] == "reflect" and pad >= size else modes[mode]
            widths = [(0, 0)] * 4
            widths[axis] = (0, pad)
            x = np.pad(x, widths, mode=axis_mode)
    return x, (height, width)


def crop_to(x: np.ndarray, height: int, width: int) -> np.ndarray:
    """The top-left ``height``×``width`` of an N×C×H×W array (undoes pad_to_multiple)."""
    if x.shape[-2] < height or x.shape[-1] < width:
        raise ImageError(f"cannot crop {x.shape[-1]}×{x.shape[-2]} to the larger {width}×{height}")
    return np.ascontiguousarray(x[..., :height, :width])


# -- tiled inference ----------------------------------------------------------------------


def tiled_apply(
    fn: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    *,
    scale: int,
    tile: int,
    overlap: int,
    multiple_of: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Run ``fn`` (N×C×h×w → N×C'×h·scale×w·scale) over ``x`` in overlapping, feathered tiles.

    ``overlap`` is the context a tile gets beyond each seam: neighbouring tiles share a band
    of at least 2 × overlap pixels (tiles are spread evenly and shrunk to the smallest size that
    keeps that band, see ``_tile_plan``) and are blended across it by the weights of ``_window``. ``x`` is
    padded (reflect) to a multiple of ``multiple_of`` as an untiled run would be and ``tile``
    is rounded down to that multiple, so every tile has a valid size without its own padding.
    ``tile=0``, or an image that fits one tile, runs ``fn`` once. A tiled result is an N×C×H×W
    view of a channels-last buffer (``result[0].transpose(1, 2, 0)`` is contiguous). ``progress(done, total)`` is
    called before the first tile (0 done: the user sees the work has started) and after each.
    """
    tile = _check_tiling(x, scale, tile, overlap, multiple_of)
    padded, (height, width) = pad_to_multiple(np.ascontiguousarray(x, dtype=np.float32), multiple_of)
    ph, pw = padded.shape[2], padded.shape[3]
    if tile == 0 or (ph <= tile and pw <= tile):
        if progress:
            progress(0, 1)
        output = _run_tile(fn, padded, scale)
        if progress:
            progress(1, 1)
        return crop_to(output, height * scale, width * scale)
    (th, rows), (tw, cols) = _tile_plan(ph, tile, overlap, multiple_of), _tile_plan(pw, tile, overlap, multiple_of)
    total, done = len(rows) * len(cols), 0
    if progress:
        progress(0, total)
    # The output is accumulated channels-last (N×H×W×C) and returned as an N×C×H×W view: the
    # pipeline's H×W×C image is then that very buffer, not a copy of a GB-sized array. The
    # blend weights are separable (one tile size per axis, windows that depend only on the
    # row or the column), so their sum is two 1-D vectors rather than another full-size map.
    accum: np.ndarray | None = None
    row_sum, col_sum = np.zeros(ph * scale, np.float32), np.zeros(pw * scale, np.float32)
    for i, top in enumerate(rows):
        wy = _window(th, scale, overlap, i > 0, i < len(rows) - 1)
        row_sum[top * scale : (top + th) * scale] += wy
        for j, left in enumerate(cols):
            out = _run_tile(fn, padded[:, :, top : top + th, left : left + tw], scale)
            if accum is None:
                accum = np.zeros((out.shape[0], ph * scale, pw * scale, out.shape[1]), np.float32)
            wx = _window(tw, scale, overlap, j > 0, j < len(cols) - 1)
            if i == 0:
                col_sum[left * scale : (left + tw) * scale] += wx
            weight = (wy[:, None] * wx[None, :])[None, :, :, None]
            region = (slice(top * scale, (top + th) * scale), slice(left * scale, (left + tw) * scale))
            accum[:, region[0], region[1]] += out.transpose(0, 2, 3, 1) * weight
            done += 1
            if progress:
                progress(done, total)
    assert accum is not None  # there is always at least one tile
    accum /= row_sum[None, :, None, None]  # in place: at ×4 the output is the largest array here
    accum /= col_sum[None, None, :, None]
    return accum[:, : height * scale, : width * scale].transpose(0, 3, 1, 2)


def _check_tiling(x: np.ndarray, scale: int, tile: int, overlap: int, multiple_of: int) -> int:
    """Validate tiling arguments; returns the tile size rounded down to ``multiple_of``."""
    if x.ndim != 4:
        raise ImageError(f"expected an N×C×H×W array, got shape {x.shape}")
    if scale < 1 or multiple_of < 1:
        raise ImageError(f"scale ({scale}) and multiple_of ({multiple_of}) must be positive integers")
    if tile < 0 or overlap < 0:
        raise ImageError(f"tile ({tile}) and overlap ({overlap}) must be ≥ 0; tile 0 turns tiling off")
    if tile == 0:
        return 0
    rounded = tile - tile % multiple_of
    if rounded <= 2 * overlap:
        raise ImageError(
            f"tile {tile} (used as {rounded}, a multiple of {multiple_of}) must be larger than "
            f"2 × overlap = {2 * overlap}; use a larger tile or a smaller overlap"
        )
    return rounded


def _tile_plan(length: int, tile: int, overlap: int, multiple_of: int) -> tuple[int, list[int]]:
    """The tile size and evenly spaced starts along one axis.

    As few tiles as ``tile`` allows, then each shrunk to the smallest multiple of
    ``multiple_of`` that still leaves neighbours sharing ≥ 2 × overlap: at 1024 px with
    256/16 that is five 232-px tiles (1160 px processed) instead of five 256-px tiles with the
    last one shifted back (1280 px). Falls back to the full size if rounding leaves no room.
    """
    if length <= tile:
        return length, [0]
    count = -(-(length - 2 * overlap) // (tile - 2 * overlap))  # ceil: tiles the stride needs
    size = -(-(length + 2 * overlap * (count - 1)) // count)
    size += -size % multiple_of
    while size < tile and _tightest_overlap(length, size, count) < 2 * overlap:
        size += multiple_of
    size = min(size, tile)
    starts = [i * (length - size) // (count - 1) for i in range(count)]
    if _tightest_overlap(length, size, count) < 2 * overlap:  # cannot happen for size == tile; guard
        return tile, _shifted_starts(length, tile, overlap)
    return size, starts


def _tightest_overlap(length: int, size: int, count: int) -> int:
    starts = [i * (length - size) // (count - 1) for i in range(count)]
    return min(size - (b - a) for a, b in zip(starts, starts[1:]))


def _shifted_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Stride tile - 2 × overlap, the last tile shifted back inside the image."""
    starts = list(range(0, length - tile, tile - 2 * overlap))
    starts.append(length - tile)
    return starts


def _window(size: int, scale: int, overlap: int, ramp_start: bool, ramp_end: bool) -> np.ndarray:
    """1-D output weights for a tile of ``size`` input pixels, ramping on sides with a neighbour.

    Across the 2 × overlap band shared with a neighbour, the weight is 0 for the overlap / 2
    pixels next to the tile edge, where the tile border (the network's zero padding) corrupts
    the output, then ramps linearly to 1 over the next ``overlap`` pixels. The mirrored ramps
    of two neighbours sum to 1, so the seam is feathered rather than cut.
    """
    weights = np.ones(size * scale, np.float32)
    span = 2 * overlap * scale
    if span == 0:
        return weights
    guard = (overlap // 2) * scale
    # Pixel centres (d + 0.5) make the two mirrored ramps of neighbours sum to exactly 1.
    ramp = np.clip((np.arange(span, dtype=np.float32) + 0.5 - guard) / (span - 2 * guard), 0.0, 1.0)
    if ramp_start:
        weights[:span] = np.minimum(weights[:span], ramp)
    if ramp_end:
        weights[-span:] = np.minimum(weights[-span:], ramp[::-1])
    return weights


def _run_tile(fn: Callable[[np.ndarray], np.ndarray], tile: np.ndarray, scale: int) -> np.ndarray:
    out = np.asarray(fn(np.ascontiguousarray(tile)), dtype=np.float32)
    expected = (tile.shape[0], tile.shape[2] * scale, tile.shape[3] * scale)
    if out.ndim != 4 or (out.shape[0], *out.shape[2:]) != expected:
        raise GanhubError(
            f"the model returned shape {out.shape} for a {tile.shape} input; expected "
            f"N={expected[0]} and {expected[1]}×{expected[2]} at scale {scale}"
        )
    return out
