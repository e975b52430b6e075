"""Every CPU path for one model side by side, with GFLOP/s against roofs measured in the same run.

    python benchmarks/cpu_paths.py [--model realesrgan-x4plus] [--size 256] [--rounds 3]

Part 1, one crop through each path (each path in its own process, so glibc's allocator
settings differ only where the row says so; rounds interleave the paths; the fastest of each
path's calls counts, since other processes only ever add time):

  torch fp32 NCHW         the torch path before this work: NCHW, glibc's default allocator
  torch fp32              ganhub's torch session: channels-last, allocator tuned
  torch bf16              autocast (rows only where the CPU has bf16 in hardware)
  onnxruntime fp32        the export ``--runtime auto`` caches (made here when missing)
  onnxruntime int8        its int8 quantisation (``ganhub.onnx.cache_int8``; refused below 35 dB)
  auto                    what ``--runtime auto`` picked on this machine, and its time

Part 2, the whole process as a CLI user lives it: ``ganhub run`` with defaults against a
six-line spandrel + torch fp32 script (load, run, save), interleaved, medians of wall times,
and the mean absolute difference of their outputs.

Roofs: large fp32 and bf16 matmuls in torch, int8 with ``torch._int_mm``.
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

import numpy as np

CHILD = r'''
import json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
path, model_id, size, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import numpy as np
from ganhub.engine import Engine
from ganhub.onnx.photos import bench_inputs, load_photos
from ganhub.registry import Registry
engine = Engine(Registry.discover(), device="cpu")
model = engine.registry.get(model_id)
inputs = bench_inputs(model, size, load_photos()[0])
if path == "torch fp32 NCHW":  # the old session: build the network, plain NCHW, no allocator settings
    import torch
    from ganhub.model import weight_sources
    from ganhub.weights.fetch import resolve_weights
    network = model.build(resolve_weights(weight_sources(model, None)).path).eval()
    def run():
        with torch.inference_mode():
            return network(*(torch.from_numpy(x) for x in inputs)).numpy()
elif path == "onnxruntime int8":  # the int8 graph auto may pick (quantised once, refused below 35 dB)
    from ganhub.model import weight_sources
    from ganhub.onnx.cache_int8 import ensure_int8
    from ganhub.runtime.onnx_session import open_onnx
    from ganhub.weights.fetch import resolve_weights
    weights = resolve_weights(weight_sources(model, None))
    session = open_onnx(model, weights.path, "cpu", onnx_path=ensure_int8(model, weights))
    run = lambda: session.run(*inputs)
else:
    runtime = {"torch fp32": "torch", "onnxruntime fp32": "onnx", "auto": "auto"}.get(path, "torch")
    session = engine.load(model_id, runtime=runtime).session
    if path == "torch bf16":
        from ganhub.runtime.torch_session import TorchSession
        session = TorchSession(session.network, "cpu", "bf16")
    run = lambda: session.run(*inputs)
run()
times = []
for _ in range(calls):
    started = time.perf_counter(); run(); times.append((time.perf_counter() - started) * 1000)
runtime = getattr(locals().get("session"), "runtime", "torch")
precision = getattr(locals().get("session"), "precision", "fp32")
label = runtime if runtime.endswith(precision) else f"{runtime}-{precision}"
print(json.dumps({"ms": min(times), "picked": label}))
'''

SIX_LINES = r'''
import sys, numpy as np, torch, spandrel
from PIL import Image
net = spandrel.ModelLoader().load_from_file(sys.argv[1]).model.eval()
x = torch.from_numpy(np.asarray(Image.open(sys.argv[2]).convert("RGB"), np.float32).transpose(2, 0, 1)[None] / 255)
with torch.inference_mode(): y = net(x).clamp(0, 1)[0].permute(1, 2, 0).numpy()
Image.fromarray((y * 255 + 0.5).astype(np.uint8)).save(sys.argv[3])
'''


def roofs() -> dict[str, float]:
    """GFLOP/s (GOP/s for int8) of large matmuls: the most this CPU gives each precision."""
    import torch

    n = 2048
    results = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        results[name] = _best_gflops(lambda: a @ b, 2 * n**3)
    a8, b8 = torch.randint(-64, 64, (n, n), dtype=torch.int8), torch.randint(-64, 64, (n, n), dtype=torch.int8)
    results["int8"] = _best_gflops(lambda: torch._int_mm(a8, b8), 2 * n**3)
    return results


def _best_gflops(run, ops: float, repeats: int = 5) -> float:
    run()
    best = min(_timed(run) for _ in range(repeats))
    return ops / best / 1e9


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def child(path: str, model: str, size: int, calls: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, path, model, str(size), str(calls)],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_one(model_id: str, size: int, rounds: int, paths: list[str]) -> dict[str, dict]:
    best: dict[str, dict] = {path: {"ms": float("inf")} for path in paths}
    for _ in range(rounds):
        for path in paths:
            found = child(path, model_id, size, calls=2)
            if "error" in found:
                best[path] = found
            elif found["ms"] < best[path].get("ms", float("inf")):
                best[path] = found
    return best


def flops_per_pixel(model_id: str) -> float | None:
    from ganhub.model import weight_sources
    from ganhub.onnx.bench import flops_per_pixel as count
    from ganhub.registry import Registry
    from ganhub.weights.fetch import resolve_weights

    model = Registry.discover().get(model_id)
    return count(model.build(resolve_weights(weight_sources(model, None)).path), model)


def part_two(model_id: str, size: int, rounds: int) -> tuple[float, float, float]:
    from PIL import Image

    from ganhub.model import weight_sources
    from ganhub.onnx.photos import load_photos, photo_crop
    from ganhub.registry import Registry
    from ganhub.weights.fetch import resolve_weights

    import torch

    model = Registry.discover().get(model_id)
    folder = Path(tempfile.mkdtemp(prefix="cpu-paths-"))
    # The script gets a plain .pth, as a user of the upstream release would have (ganhub's
    # package files may be ncnn, which spandrel does not read): the same weights, converted.
    weights = folder / "net.pth"
    torch.save(model.build(resolve_weights(weight_sources(model, None)).path).state_dict(), weights)
    crop = photo_crop(load_photos()[0], size, size).transpose(1, 2, 0)
    Image.fromarray((crop * 255 + 0.5).astype(np.uint8)).save(folder / "crop.png")
    script = folder / "six_lines.py"
    script.write_text(SIX_LINES)
    ganhub = [sys.executable, "-m", "ganhub", "run", model_id, str(folder / "crop.png"), "-o",
              str(folder / "ganhub.png"), "--overwrite"]
    plain = [sys.executable, str(script), str(weights), str(folder / "crop.png"), str(folder / "script.png")]
    times: dict[str, list[float]] = {"ganhub": [], "script": []}
    for _ in range(rounds):
        for name, command in (("ganhub", ganhub), ("script", plain)):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=1800)
            times[name].append(time.perf_counter() - started)
    ours = np.asarray(Image.open(folder / "ganhub.png"), np.float32)
    theirs = np.asarray(Image.open(folder / "script.png"), np.float32)
    return statistics.median(times["ganhub"]), statistics.median(times["script"]), float(np.abs(ours - theirs).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="realesrgan-x4plus")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-process", action="store_true", help="leave out part 2")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ganhub.runtime.cpu import cpu_name, native_bf16

    paths = ["torch fp32 NCHW", "torch fp32", *(["torch bf16"] if native_bf16() else []), "onnxruntime fp32", "onnxruntime int8", "auto"]
    child("onnxruntime fp32", args.model, 32, calls=1)  # export once before timing anything
    roof = roofs()
    per_pixel = flops_per_pixel(args.model) or 0.0
    work = per_pixel * args.size * args.size
    print(f"{args.model}, one {args.size}² crop, {cpu_name()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("roofs: " + ", ".join(f"{k} {v:.0f} G{'OP' if k == 'int8' else 'FLOP'}/s" for k, v in roof.items()))
    best = part_one(args.model, args.size, args.rounds, paths)
    base = best["torch fp32 NCHW"].get("ms")
    print(f"{'path':<20}{'ms':>10}{'vs NCHW':>9}{'GFLOP/s':>9}{'of roof':>9}  note")
    for path, found in best.items():
        if "error" in found:
            print(f"{path:<20}{'—':>10}  {found['error'][:80]}")
            continue
        ms, gflops = found["ms"], work / found["ms"] / 1e6
        precision = next((p for p in ("bf16", "int8") if p in found["picked"] or p in path), "fp32")
        note = f"picked {found['picked']}" if path == "auto" else ""
        print(f"{path:<20}{ms:>10.0f}{(base / ms if base else 0):>8.2f}×{gflops:>9.0f}{gflops / roof[precision]:>8.0%}  {note}")
    if not args.skip_process:
        ours, theirs, diff = part_two(args.model, args.size, args.rounds)
        print(f"whole process: ganhub run {ours:.1f} s, six-line spandrel script {theirs:.1f} s -> "
              f"{theirs / ours:.2f}× ; outputs differ by {diff:.2f}/255 on average")


if __name__ == "__main__":
    main()
