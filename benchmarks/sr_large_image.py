"""A large input through tiled super-resolution: wall time and peak memory (RSS).

    python benchmarks/sr_large_image.py --size 4000x3000 --model realesr-animevideov3 [--runtime onnx]

The input is a real photo (skimage's astronaut) tiled up to the requested size; the run
includes writing the PNG, as a CLI run does. Peak RSS is reported next to the size of the
float32 output itself, which the pipeline still holds: tiling bounds the network's
activations, not the result.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--model", default="realesr-animevideov3")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--runtime", default="auto", help="auto, torch or onnx")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from skimage import data

    from ganhub.engine import Engine
    import tempfile

    from ganhub.imaging import read_image, write_image
    from ganhub.registry import Registry

    width, height = (int(v) for v in args.size.split("x"))
    photo = data.astronaut()
    image = np.tile(photo, (height // 512 + 1, width // 512 + 1, 1))[:height, :width]
    engine = Engine(Registry.discover(), device="cpu")
    engine.load(args.model, runtime=args.runtime)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tiles: list[int] = []
    started = time.perf_counter()
    result = engine.run(args.model, runtime=args.runtime, image=read_image(image), params={"tile": args.tile},
                        progress=lambda done, total: tiles.append(total))
    with tempfile.TemporaryDirectory() as folder:
        write_image(f"{folder}/out.png", result.images[0])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = result.images[0]
    print(f"{args.model} {width}x{height} -> {out.shape[1]}x{out.shape[0]}, tile {args.tile}, "
          f"{tiles[-1] if tiles else 1} tiles: {seconds:.1f} s, {width * height / seconds / 1e3:.1f} kpx/s")
    print(f"peak RSS {peak:.0f} MiB (after load {before:.0f} MiB); the float32 output alone is "
          f"{out.nbytes / 2**20:.0f} MiB -> peak/output = {peak / (out.nbytes / 2**20):.2f}")


if __name__ == "__main__":
    main()
