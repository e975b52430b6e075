"""Large inputs through tiled super-resolution, as a CLI user runs them: wall time and peak RSS.

    python benchmarks/sr_large_image.py --size 2000x1500 --size 4000x3000 --runtime onnx [--float]

Each run is its own process (peak RSS is per process): ``ganhub run`` on a PNG of a real
photo (skimage's astronaut, tiled up to the size), writing the PNG. ``--float`` adds, per
size, the same work with the result held as float32 (``Engine.run`` without ``quantized``,
then ``write_image``): the path every run took before results were blended into 8 bits.
Peak RSS is printed next to the size of the 8-bit result itself, which any path must hold.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FLOAT_CHILD = """
import sys
from ganhub.engine import Engine
from ganhub.imaging import read_image, write_image
from ganhub.registry import Registry
model, source, target, runtime, tile = sys.argv[1:6]
engine = Engine(Registry.discover(), device="cpu")
result = engine.run(model, runtime=runtime, image=read_image(source, max_pixels=10**9), params={"tile": int(tile)})
write_image(target, result.images[0])
"""


def measured(command: list[str]) -> tuple[float, float, float, float]:
    """Run ``command``; its wall, user and system seconds and peak RSS (MiB), from wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024


def photo(width: int, height: int, path: Path) -> None:
    from PIL import Image
    from skimage import data

    tiled = np.tile(data.astronaut(), (height // 512 + 1, width // 512 + 1, 1))[:height, :width]
    Image.fromarray(np.ascontiguousarray(tiled)).save(path, compress_level=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="WIDTHxHEIGHT, repeatable (default 2000x1500 and 4000x3000)")
    parser.add_argument("--model", default="realesr-animevideov3")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--runtime", default="onnx", help="auto, torch or onnx")
    parser.add_argument("--float", action="store_true", help="also run the float32-result path for comparison")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ganhub = [sys.executable, "-m", "ganhub"]
    print(f"{'input':>11} {'path':<22} {'wall s':>7} {'user s':>7} {'sys s':>6} {'peak MiB':>9} {'8-bit out MiB':>14}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.size or ["2000x1500", "4000x3000"]:
            width, height = (int(v) for v in size.split("x"))
            source = Path(folder) / f"photo_{size}.png"
            photo(width, height, source)
            scale = 4  # the models this is meant for; only the label below depends on it
            out_mib = width * height * scale * scale * 3 / 2**20
            runs = {"ganhub run (8-bit)": ganhub + ["run", args.model, str(source), "-o", f"{folder}/cli.png",
                                                    "--overwrite", "--runtime", args.runtime, "-p", f"tile={args.tile}"]}
            if args.float:
                runs["float32 result"] = [sys.executable, "-c", FLOAT_CHILD, args.model, str(source),
                                          f"{folder}/float.png", args.runtime, str(args.tile)]
            for name, command in runs.items():
                wall, user, system, peak = measured(command)
                print(f"{size:>11} {name:<22} {wall:7.1f} {user:7.1f} {system:6.1f} {peak:9.0f} {out_mib:14.0f}", flush=True)


if __name__ == "__main__":
    main()
