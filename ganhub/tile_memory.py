"""Tile sizes from memory: a per-architecture activation table, and halving on out-of-memory.

A tiled network's memory is its activations for one tile, which grow with the tile's pixels
at a rate set by the architecture (how wide and how many feature maps are alive at once), not
by the photo. ``ACTIVATION_BYTES`` holds that rate per architecture id (spandrel's ids), as
measured by ``benchmarks/tile_memory.py``; ``auto_tile`` turns free memory into the largest
tile that fits a share of it. When a run still runs out of memory (other programs, a card
shared with a game), ``smaller_tile`` gives the tile to retry with: half the size.
"""

from __future__ import annotations

import gc
import math
import sys
from dataclasses import dataclass

from ganhub.limits import available_memory

# Peak bytes per input pixel of one tile, float32, batch 1 (inference mode): the slope of peak
# RSS between two tile sizes, each in a fresh process, measured with
# `python benchmarks/tile_memory.py` on 2026-12-07 (AMD EPYC, 2 cores, torch 2.x, spandrel
# 0.4.2, onnxruntime CPU). Each entry is the largest seen over the architecture's variants,
# torch and onnxruntime, and two runs (±20 % run to run): ESRGAN 12.7k torch / 16.2k onnx
# (23 and 6 blocks alike: layers run one after another), Compact 1.4k torch / 1.0k onnx
# (16 and 32 convs), SPAN 5.7-7.3k, OmniSR 9.3k, SwinIR-M 22.6k, HAT-S 36-42k, DAT-light and
# DAT-2 15.6-16.5k. Keys are spandrel's architecture ids (``descriptor.architecture.id``).
ACTIVATION_BYTES: dict[str, int] = {
    "ESRGAN": 16_300,
    "Compact": 1_400,
    "SPAN": 7_400,
    "OmniSR": 9_300,
    "SwinIR": 22_700,
    "HAT": 42_500,
    "DAT": 16_500,
}
UNKNOWN_ARCHITECTURE = max(ACTIVATION_BYTES.values())  # an unknown model is assumed as hungry as the worst
MEMORY_SHARE = 0.25  # of free memory for one tile's activations: the result and inputs need the rest
MIN_TILE = 64  # below this the overlap dominates: better to fail with a clear error
TILE_CAP = {"cpu": 1024, "accelerator": 2048}  # the tiling params' range; memory decides below that
_OOM_TEXT = ("out of memory", "can't allocate memory", "failed to allocate memory", "bad_alloc",
             "cannot allocate memory")


@dataclass(frozen=True)
class TileChoice:
    """A tile size, and why (for the run's notes)."""

    tile: int
    why: str


def bytes_per_tile_pixel(architecture: str | None) -> int:
    """Activation bytes per input pixel of a tile for ``architecture`` (the worst known if unknown)."""
    return ACTIVATION_BYTES.get(architecture or "", UNKNOWN_ARCHITECTURE)


def auto_tile(architecture: str | None, device: str, multiple_of: int, free: int | None = None) -> TileChoice | None:
    """The largest tile whose activations fit ``MEMORY_SHARE`` of free memory, capped for the
    device; None when free memory is unknown (keep the model's default)."""
    free = free if free is not None else free_memory(device)
    if free is None:
        return None
    per_pixel = bytes_per_tile_pixel(architecture)
    side = int(math.sqrt(free * MEMORY_SHARE / per_pixel))
    cap = TILE_CAP["cpu" if device == "cpu" else "accelerator"]
    tile = max(MIN_TILE, min(cap, side))
    tile -= tile % max(32, multiple_of)
    known = architecture in ACTIVATION_BYTES
    return TileChoice(tile, f"tile {tile} from {free / 2**30:.1f} GiB free at {per_pixel} bytes per tile pixel"
                            f" ({architecture if known else 'unknown architecture: the largest known rate'})")


def free_memory(device: str) -> int | None:
    """Free bytes where the activations live: the card's free memory, or RAM available now."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    return available_memory()


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure (Python, torch on CPU or CUDA, onnxruntime)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _OOM_TEXT)


def smaller_tile(tile: int, longest_side: int, multiple_of: int, overlap: int) -> int | None:
    """The tile to retry with after running out of memory at ``tile`` (0: the whole image),
    or None when halving again would leave tiles too small to be worth running."""
    current = tile or longest_side
    half = current // 2
    half -= half % max(1, multiple_of)
    if half < MIN_TILE or half <= 2 * overlap:
        return None
    return half


def release_memory() -> None:
    """Give back what the failed attempt held before retrying (Python objects, CUDA's cache)."""
    gc.collect()
    torch = sys.modules.get("torch")  # only if a torch model ran: never import it here
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
