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
from ganhub.imaging import quantize

_PadMode = Literal["reflect", "edge", "constant"]
FLUSH_ROWS = 64  # output rows divided and stored at a time


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
    out_dtype: type | np.dtype = np.float32,
) -> np.ndarray:
    """Run ``fn`` (N×C×h×w → N×C'×h·scale×w·scale) over ``x`` in overlapping, feathered tiles.

    ``overlap`` is the context a tile gets beyond each seam: neighbouring tiles share a band
    of at least 2 × overlap pixels (tiles are spread evenly and shrunk to the smallest size that
    keeps that band, see ``_tile_plan``) and are blended across it by the weights of ``_window``. ``x`` is
    padded (reflect) to a multiple of ``multiple_of`` as an untiled run would be and ``tile``
    is rounded down to that multiple, so every tile has a valid size without its own padding.
    ``tile=0``, or an image that fits one tile, runs ``fn`` once. ``progress(done, total)`` is
    called before the first tile (0 done: the user sees the work has started) and after each.

    The result is an N×C×H×W view of a channels-last buffer (``result[0].transpose(1, 2, 0)``
    is contiguous) of ``out_dtype``: float32 as ``fn`` returned it, or uint8/uint16 holding
    round(clip(v, 0, 1) · 255 or 65535). Tiles are blended in float one row of tiles at a time
    (``_Band``), so with an integer ``out_dtype`` the memory that grows with the image is the
    result's own bytes: 576 MB, not 2.3 GB of float32, for a ×4 result of a 12 MP photo.
    """
    out_dtype = _check_dtype(out_dtype)
    tile = _check_tiling(x, scale, tile, overlap, multiple_of)
    padded, (height, width) = pad_to_multiple(np.ascontiguousarray(x, dtype=np.float32), multiple_of)
    ph, pw = padded.shape[2], padded.shape[3]
    if tile == 0 or (ph <= tile and pw <= tile):
        if progress:
            progress(0, 1)
        output = crop_to(_run_tile(fn, padded, scale), height * scale, width * scale)
        if progress:
            progress(1, 1)
        if out_dtype == np.float32:
            return output
        return _store(output.transpose(0, 2, 3, 1), out_dtype).transpose(0, 3, 1, 2)
    (th, rows), (tw, cols) = _tile_plan(ph, tile, overlap, multiple_of), _tile_plan(pw, tile, overlap, multiple_of)
    total, done = len(rows) * len(cols), 0
    if progress:
        progress(0, total)
    row_windows = [_window(th, scale, overlap, i > 0, i < len(rows) - 1) for i in range(len(rows))]
    col_windows = [_window(tw, scale, overlap, j > 0, j < len(cols) - 1) for j in range(len(cols))]
    band = _Band(_weight_sums(row_windows, rows, ph, scale), _weight_sums(col_windows, cols, pw, scale),
                 th * scale, (height * scale, width * scale), out_dtype)
    for i, top in enumerate(rows):
        band.move_to(top * scale)
        for j, left in enumerate(cols):
            out = _run_tile(fn, padded[:, :, top : top + th, left : left + tw], scale)
            band.add(out, left * scale, row_windows[i][:, None] * col_windows[j][None, :])
            done += 1
            if progress:
                progress(done, total)
    return band.close()


class _Band:
    """The float blend of one row of tiles, flushed into the result as rows become final.

    Rows above the next tile row's top get no more contributions, so they are divided by the
    summed weights and stored (quantized for an integer result); the rest of the band moves
    up to start the next row of tiles.
    """

    def __init__(self, row_sum: np.ndarray, col_sum: np.ndarray, rows: int, size: tuple[int, int], dtype: np.dtype):
        self.row_sum, self.col_sum, self.size, self.dtype = row_sum, col_sum, size, dtype
        self.height, self.top = rows, 0
        self.accum: np.ndarray | None = None  # N×rows×W×C float32, made at the first tile
        self.result: np.ndarray | None = None  # N×H×W×C of dtype

    def add(self, out: np.ndarray, left: int, weight: np.ndarray) -> None:
        if self.accum is None:
            count, channels = out.shape[0], out.shape[1]
            self.accum = np.zeros((count, self.height, self.col_sum.size, channels), np.float32)
            self.result = np.empty((count, *self.size, channels), self.dtype)
        region = self.accum[:, : out.shape[2], left : left + out.shape[3]]
        region += out.transpose(0, 2, 3, 1) * weight[None, :, :, None]

    def move_to(self, top: int) -> None:
        """Start the row of tiles whose output begins at row ``top``: rows above it are final."""
        if self.accum is None or top == self.top:
            self.top = top
            return
        done = top - self.top
        self._flush(done)
        kept = self.height - done
        self.accum[:, :kept] = self.accum[:, done:]
        self.accum[:, kept:] = 0.0
        self.top = top

    def close(self) -> np.ndarray:
        assert self.result is not None  # there is always at least one tile
        self._flush(self.height)
        return self.result.transpose(0, 3, 1, 2)

    def _flush(self, count: int) -> None:
        assert self.accum is not None and self.result is not None
        stop = min(self.top + count, self.size[0])
        if stop <= self.top:
            return
        width = self.size[1]
        for start in range(self.top, stop, FLUSH_ROWS):  # a few rows at a time: _store makes a float copy
            end = min(start + FLUSH_ROWS, stop)
            block = self.accum[:, start - self.top : end - self.top, :width]
            block /= self.row_sum[start:end][None, :, None, None]
            block /= self.col_sum[:width][None, None, :, None]
            self.result[:, start:end] = _store(block, self.dtype)


def _weight_sums(windows: list[np.ndarray], starts: list[int], length: int, scale: int) -> np.ndarray:
    """Per output row (or column), the summed blend weights of the tiles covering it."""
    sums = np.zeros(length * scale, np.float32)
    for window, start in zip(windows, starts):
        sums[start * scale : start * scale + window.size] += window
    return sums


def _check_dtype(dtype: type | np.dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.uint8, np.uint16):
        raise ImageError(f"out_dtype {dtype} is not supported; use float32, uint8 or uint16")
    return dtype


def _store(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float [0, 1] as ``dtype``: ``imaging.quantize``'s rounding (and its refusal of NaN), so a
    tiled result holds exactly what writing the float result would."""
    if dtype == np.float32:
        return values
    return quantize(values, 8 * dtype.itemsize, "the model's output")


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
