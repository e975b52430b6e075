"""A before/after grid for eyeballing: watermarked | predicted mask | output | clean, per row.

    python -m ganhub_watermark.grid /tmp/watermark_grid.png          # v2's single-layer marks
    python -m ganhub_watermark.grid /tmp/kinds_grid.png --kinds      # one row per v3 mark kind
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ganhub import imaging
from ganhub_watermark import data, evaluate, synth


def grid(loaded, photos: list[np.ndarray], size: int = 128, rows: int = 6, seed: int = 7,  # type: ignore[no-untyped-def]
         kinds: tuple[str, ...] = ()) -> np.ndarray:
    """H×W×3 uint8 grid of ``rows`` held-out crops with the held-out font (``kinds``: one row per kind)."""
    rng, fonts = np.random.default_rng(seed), synth.fonts(held_out=True)
    lines = []
    for row, clean in enumerate(evaluate.crops(photos, 1 + len(kinds) // max(1, len(photos)), size, seed)[:len(kinds) or rows]):
        if kinds:
            marked = synth.make_mark(clean, rng, kinds[row], fonts).marked
        else:
            marked, _, _ = synth.add_watermark(clean, rng, fonts)
        output, mask = evaluate._run(loaded, marked)
        cells = [marked, np.repeat(mask[..., None], 3, axis=2), output, clean]
        lines.append(np.concatenate([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=1) for c in cells], 1))
    return (np.clip(np.concatenate(lines, 0), 0, 1) * 255).astype(np.uint8)


def main() -> None:
    """Write the grid for the shipped weights."""
    from ganhub import Engine
    from ganhub import Registry

    loaded = Engine(Registry.discover(allow=["watermark"])).load("ganhub-watermark-cgan", device="cpu")
    photos = data.held_out_bsd68() + data.held_out_skimage()
    args = [a for a in sys.argv[1:] if a != "--kinds"]
    out = Path(args[0] if args else "/tmp/watermark_grid.png")
    kinds = synth.EVAL_KINDS if "--kinds" in sys.argv[1:] else ()
    imaging.write_image(out, grid(loaded, photos[::3], kinds=kinds))  # atomic, like every output
    print(out)


if __name__ == "__main__":
    main()
