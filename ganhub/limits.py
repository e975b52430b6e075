"""How large an input a model takes on this machine.

A model that is not tiled holds its whole activation stack at once, so its spec's fixed
``max_pixels`` applies. A tiled model's activations are bounded by the tile; what grows with
the photo is only the image itself (decoded input and its padded copies, and the result: at
the output's bit depth when the run is quantized, as the CLI's and the app's are, else float32
plus the 8-bit copy written out). So its limit follows the memory available now, read before
anything is decoded: a 20–50 MP phone photo runs where there is memory for it, and the refusal
says which limit applied and why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ganhub.spec import InputConstraints, ModelSpec

MEMORY_SHARE = 0.5  # of the memory available now: leaves room for the network and the rest
CEILING = 64_000_000  # whatever the memory: 50 MP photos run, a decompression bomb does not
FLOAT, CHANNELS = 4, 3


@dataclass(frozen=True)
class PixelLimit:
    """The most input pixels a model takes here, and why (for the error a user reads)."""

    pixels: int
    why: str


def bytes_per_input_pixel(scale: int, integer_result: bool = True) -> int:
    """Memory a tiled run holds per input pixel.

    Always: three float32 copies of the input (decoded, network layout, padded) and its alpha.
    An integer result (``Engine.run(quantized=True)`` with a model whose ``finish`` takes
    integers) is up to 16-bit RGBA at the output's size; otherwise a float32 result plus the
    8-bit copy and the file writer's.
    """
    out = scale * scale
    inputs = FLOAT * CHANNELS * 3 + FLOAT
    if integer_result:
        return inputs + 2 * (CHANNELS + 1) * out
    return inputs + FLOAT * CHANNELS * out + CHANNELS * out + 4 * out


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:  # other Unixes: free physical pages (a lower bound: caches are not counted)
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def pixel_limit(spec: ModelSpec, constraints: InputConstraints | None = None, tiled: bool | None = None,
                integer_result: bool = True) -> PixelLimit:
    """The input limit for ``spec`` (tiled: from memory, see ``bytes_per_input_pixel``;
    otherwise its fixed ``max_pixels``)."""
    constraints = constraints or spec.constraints
    fixed = PixelLimit(constraints.max_pixels, f"the model's limit of {constraints.max_pixels / 1e6:.1f} MP")
    if not (spec.tileable if tiled is None else tiled):
        return fixed
    memory = available_memory()
    if memory is None:
        return fixed
    per_pixel = bytes_per_input_pixel(constraints.scale, integer_result)
    pixels = int(memory * MEMORY_SHARE / per_pixel)
    if pixels >= CEILING:
        return PixelLimit(CEILING, f"the {CEILING / 1e6:.0f} MP ceiling for any input")
    why = (f"half of the {memory / 2**30:.1f} GiB of memory available now, at {per_pixel} bytes per "
           f"input pixel for a ×{constraints.scale} output")
    return PixelLimit(max(pixels, 1), why)
