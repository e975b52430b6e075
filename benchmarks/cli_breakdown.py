"""Where a one-image CLI run spends its time: imports, discovery, weights, build, run, write.

    python benchmarks/cli_breakdown.py [--model realesrgan-x4plus-anime] [--size 192] [--rounds 3]

Each round starts fresh interpreters, alternating "every load rehashes its weights"
(GANHUB_REHASH=1, how every run verified before digests were remembered) with the default
(a digest is computed once per version of a file). Each child times its phases the way
``ganhub run`` goes through them and prints them as JSON; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(name): marks.append((name, time.perf_counter()))
import ganhub.cli.main  # what `ganhub` imports before it parses arguments
from ganhub import imaging
from ganhub.engine import Engine
from ganhub.registry import Registry
from ganhub.weights import resolve_weights
mark("imports")
registry = Registry.discover()
model = registry.get(sys.argv[1])
mark("discovery")
resolve_weights(Engine.sources(model, None))
mark("weights (find + verify)")
engine = Engine(registry)
engine.load(sys.argv[1], runtime=sys.argv[4])
mark("build (incl. weights again)")
image = imaging.read_image(sys.argv[2])
result = engine.run(sys.argv[1], image=image, runtime=sys.argv[4], quantized=True)
mark("run")
imaging.write_image(sys.argv[3], result.images[0], result.alphas[0], result.bit_depth)
mark("write")
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""


def child(model: str, source: Path, target: Path, runtime: str, rehash: bool) -> dict[str, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("GANHUB_REHASH", None)
    if rehash:
        env["GANHUB_REHASH"] = "1"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, model, str(source), str(target), runtime],
                          capture_output=True, text=True, env=env, check=True)
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    phases["whole process"] = time.perf_counter() - started
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="realesrgan-x4plus-anime")
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtime", default="auto")
    args = parser.parse_args()
    from PIL import Image
    from skimage import data

    folder = Path(tempfile.mkdtemp(prefix="ganhub-breakdown-"))
    source = folder / "crop.png"
    Image.fromarray(data.astronaut()[100 : 100 + args.size, 150 : 150 + args.size]).save(source)
    child(args.model, source, folder / "warm.png", args.runtime, False)  # caches, exports, choices: warm
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for _ in range(args.rounds):
        for rehash in (True, False):
            runs[rehash].append(child(args.model, source, folder / "out.png", args.runtime, rehash))
    phases = list(runs[True][0])
    print(f"{args.model} {args.size}² ({args.runtime}), medians of {args.rounds} fresh processes each, seconds")
    print(f"{'phase':<30} {'rehash every load':>18} {'digest remembered':>18}")
    for phase in phases:
        before, after = (statistics.median(r[phase] for r in runs[k]) for k in (True, False))
        print(f"{phase:<30} {before:18.2f} {after:18.2f}")


if __name__ == "__main__":
    main()
