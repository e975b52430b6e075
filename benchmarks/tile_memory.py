"""Peak memory of one tile's forward pass, per super-resolution architecture, in bytes per input pixel.

    python benchmarks/tile_memory.py [--only ESRGAN,Compact] [--tiles 256,512] [--json rows.json]
                                     [--timeout 300]

What it measures: how much the peak resident memory of a process grows while one tile
(batch 1, float32, CPU) goes through a network, as a linear function of the tile's input
pixels. The slope is the per-architecture memory model ganhub needs to choose a tile size
from free memory (spandrel issue #280, chaiNNer issue #2352); the intercept is printed too.

How: every measurement is its own fresh process, because the RSS high-water mark
(``getrusage(RUSAGE_SELF).ru_maxrss``) can only grow and never be reset. The child builds the
network (spandrel's architecture classes with the hyper-parameters of the common x4
checkpoints and random weights, since memory does not depend on weight values), runs one
warm-up forward at a 32x32 tile so that lazy allocations, thread pools and kernel caches
already exist, reads the high-water mark, runs one forward at tile T and reads it again. The
increase at two tile sizes gives the slope (delta bytes / delta pixels). The torch rows run
the module in eval mode under ``torch.inference_mode()``; the onnx rows export the same
module (TorchScript exporter, opset 17, dynamic H/W) into a temporary folder and run it with
onnxruntime's CPU provider, with the session options ganhub's ONNX runtime uses. Children run
with MALLOC_ARENA_MAX=2 and OMP_NUM_THREADS=2 so that runs repeat.

Architecture ids are read from spandrel's registry (``MAIN_REGISTRY``), so they equal what
``descriptor.architecture.id`` returns for a loaded checkpoint. The scale is measured from the
warm-up output's shape, not taken from the configuration.

Caveats: one run per tile, so expect about +-20 % between runs on a loaded machine. The fit
is linear but glibc's default allocator is not: blocks under its dynamic mmap threshold
(up to 32 MiB) stay in the heap, blocks over it are unmapped on free. Compact's activations
cross it between tile 256 and 512, so at 512 a Compact tile grows RSS by fewer bytes per pixel
than the 128/256 slope says (the slope overestimates there, which is the safe side). ganhub's
own allocator tuning (ganhub.runtime.cpu.tune_allocator) is not applied here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
WARMUP_TILE = 32
CNN_TILES = (128, 256)
# Transformers take tens of seconds per 256x256 tile on two CPU cores; 64 and 128 are whole
# multiples of every window and split size below (8, 16, 32), so no padding skews the slope.
TRANSFORMER_TILES = (64, 128)


@dataclass(frozen=True)
class Spec:
    """One network to measure: spandrel package, class in it, and constructor arguments."""

    package: str  # spandrel.architectures.<package>
    cls: str
    variant: str  # which public checkpoint the arguments reproduce
    kwargs: dict = field(default_factory=dict)
    tiles: tuple[int, int] = CNN_TILES
    onnx: bool = False  # also measure the ganhub ONNX runtime path

    @property
    def key(self) -> str:
        return f"{self.package}:{self.variant}"


SPECS = (
    Spec("ESRGAN", "ESRGAN", "RRDB 64f 23B (RealESRGAN_x4plus)",
         dict(in_nc=3, out_nc=3, num_filters=64, num_blocks=23, scale=4)),
    Spec("ESRGAN", "ESRGAN", "RRDB 64f 6B (x4plus_anime_6B)",
         dict(in_nc=3, out_nc=3, num_filters=64, num_blocks=6, scale=4), onnx=True),
    Spec("Compact", "Compact", "64f 16conv (realesr-animevideov3)",
         dict(num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=16, upscale=4), onnx=True),
    Spec("Compact", "Compact", "64f 32conv (realesr-general-x4v3)",
         dict(num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=32, upscale=4)),
    Spec("SPAN", "SPAN", "48ch x4",
         dict(num_in_ch=3, num_out_ch=3, feature_channels=48, upscale=4)),
    Spec("OmniSR", "OmniSR", "64f x4 (official)",
         dict(num_in_ch=3, num_out_ch=3, num_feat=64, block_num=1, pe=True, window_size=8,
              res_num=5, up_scale=4, bias=True)),
    Spec("SwinIR", "SwinIR", "M real-world x4 (BSRGAN_DFO_s64w8 GAN)",
         dict(upscale=4, in_chans=3, img_size=64, window_size=8, img_range=1.0, depths=[6] * 6,
              embed_dim=180, num_heads=[6] * 6, mlp_ratio=2, upsampler="nearest+conv",
              resi_connection="1conv"),
         tiles=TRANSFORMER_TILES),
    Spec("HAT", "HAT", "HAT-S x4",
         dict(upscale=4, in_chans=3, img_size=64, window_size=16, compress_ratio=24,
              squeeze_factor=24, conv_scale=0.01, overlap_ratio=0.5, img_range=1.0,
              depths=[6] * 6, embed_dim=144, num_heads=[6] * 6, mlp_ratio=2,
              upsampler="pixelshuffle", resi_connection="1conv"),
         tiles=TRANSFORMER_TILES),
    Spec("DAT", "DAT", "DAT-light x4",
         dict(upscale=4, in_chans=3, img_size=64, img_range=1.0, depth=[18], embed_dim=60,
              num_heads=[6], expansion_factor=2, resi_connection="3conv", split_size=[8, 32],
              upsampler="pixelshuffledirect"),
         tiles=TRANSFORMER_TILES),
    Spec("DAT", "DAT", "DAT-2 x4",
         dict(upscale=4, in_chans=3, img_size=64, img_range=1.0, depth=[6] * 6, embed_dim=180,
              num_heads=[6] * 6, expansion_factor=2, resi_connection="1conv",
              split_size=[8, 32], upsampler="pixelshuffle"),
         tiles=TRANSFORMER_TILES),
)


# ---------------------------------------------------------------- child side (one process each)

def peak_rss_bytes() -> int:
    """This process's RSS high-water mark; Linux reports ru_maxrss in KiB.

    Linux carries ru_maxrss across exec: a child starts at its parent's RSS at fork time. That
    floor hides growth up to it, so the parent never imports torch (see architecture_ids) and
    :func:`own_peak_bytes` checks that the floor is below what the child measures.
    """
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def own_peak_bytes() -> int:
    """The high-water mark of this process image alone (VmHWM starts afresh at exec)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def check_baseline(baseline: int) -> None:
    """Fail when an inherited ru_maxrss floor lies above this process's own peak."""
    if baseline > own_peak_bytes() + MIB:
        raise RuntimeError(f"ru_maxrss {baseline / MIB:.0f} MiB is inherited from the parent, "
                           f"above this process's own peak {own_peak_bytes() / MIB:.0f} MiB")


def build_network(spec: Spec):
    """The spandrel network for ``spec``, random weights, eval mode."""
    import importlib

    module = importlib.import_module(f"spandrel.architectures.{spec.package}")
    return getattr(module, spec.cls)(**spec.kwargs).eval()


def measure_torch(spec: Spec, tile: int) -> dict:
    """Warm up at a tiny tile, then the peak RSS growth of one forward at ``tile``."""
    import torch

    network = build_network(spec)
    with torch.inference_mode():
        warm = network(torch.rand(1, 3, WARMUP_TILE, WARMUP_TILE))
        scale = warm.shape[-1] / WARMUP_TILE
        del warm
        baseline = peak_rss_bytes()
        check_baseline(baseline)
        # The input tile is allocated after the baseline: a caller pays for it too.
        started = time.perf_counter()
        output = network(torch.rand(1, 3, tile, tile))
        seconds = time.perf_counter() - started
        peak = peak_rss_bytes()
    assert output.shape[-1] == round(tile * scale), output.shape
    return dict(scale=scale, baseline=baseline, peak=peak, seconds=seconds)


def export_onnx(spec: Spec, path: str) -> dict:
    """Export ``spec``'s network to ONNX with dynamic height and width (opset 17)."""
    import torch

    network = build_network(spec)
    axes = {"input": {2: "height", 3: "width"}, "output": {2: "height", 3: "width"}}
    started = time.perf_counter()
    # dynamo=False: the TorchScript exporter, as ganhub's exporter tries first (opset 17 is
    # below the dynamo exporter's minimum of 18).
    torch.onnx.export(network, (torch.rand(1, 3, 64, 64),), path, dynamo=False,
                      input_names=["input"], output_names=["output"], dynamic_axes=axes,
                      opset_version=17, do_constant_folding=True)
    return dict(seconds=time.perf_counter() - started)


def measure_onnx(path: str, tile: int) -> dict:
    """As :func:`measure_torch`, through an onnxruntime CPU session (torch is not imported)."""
    import numpy as np
    import onnxruntime

    # The same session options as ganhub.runtime.onnx_session (full graph optimisation,
    # default CPU arena and memory patterns), so the numbers describe ganhub's ONNX path.
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(path, sess_options=options,
                                           providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    warm = session.run(None, {"input": rng.random((1, 3, WARMUP_TILE, WARMUP_TILE), np.float32)})[0]
    scale = warm.shape[-1] / WARMUP_TILE
    del warm
    baseline = peak_rss_bytes()
    check_baseline(baseline)
    started = time.perf_counter()
    output = session.run(None, {"input": rng.random((1, 3, tile, tile), np.float32)})[0]
    seconds = time.perf_counter() - started
    peak = peak_rss_bytes()
    assert output.shape[-1] == round(tile * scale), output.shape
    return dict(scale=scale, baseline=baseline, peak=peak, seconds=seconds)


def child_main(job: dict) -> None:
    """Entry point of a child process: one job, its result as one JSON line on stdout."""
    if job["kind"] == "ids":
        print("RESULT " + json.dumps(registry_ids()), flush=True)
        return
    spec = next(s for s in SPECS if s.key == job["spec"])
    if job["kind"] == "torch":
        result = measure_torch(spec, job["tile"])
    elif job["kind"] == "export":
        result = export_onnx(spec, job["path"])
    else:
        result = measure_onnx(job["path"], job["tile"])
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------- parent side

def run_child(job: dict, timeout: float) -> dict:
    """Run one job in a fresh interpreter with a repeatable allocator and thread count."""
    env = dict(os.environ, MALLOC_ARENA_MAX="2", OMP_NUM_THREADS="2")
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child exited {done.returncode}: {tail}")
    return json.loads(lines[-1][len("RESULT "):])


def registry_ids() -> dict[str, str]:
    """spandrel package name -> the id its registered architecture reports (child side)."""
    import spandrel

    ids = {}
    for support in spandrel.MAIN_REGISTRY.architectures():
        # e.g. spandrel.architectures.Compact -> "Compact"; the id may differ from the folder.
        package = type(support.architecture).__module__.split(".")[2]
        ids[package] = str(support.architecture.id)
    return ids


def architecture_ids(timeout: float) -> dict[str, str]:
    """:func:`registry_ids` from a child: importing spandrel (and so torch) here would raise
    every later child's inherited ru_maxrss floor to this process's size."""
    return run_child(dict(kind="ids"), timeout)


def slope_row(spec: Spec, runtime: str, arch_id: str, runs: list[tuple[int, dict]],
              seconds: float) -> dict:
    """Fit bytes = intercept + slope * pixels through the two tile sizes."""
    (small, a), (large, b) = runs
    grow_a, grow_b = a["peak"] - a["baseline"], b["peak"] - b["baseline"]
    slope = (grow_b - grow_a) / (large * large - small * small)
    return dict(
        arch_id=arch_id, variant=spec.variant, runtime=runtime, scale=b["scale"],
        bytes_per_pixel=round(slope), intercept_mib=(grow_a - slope * small * small) / MIB,
        mib_256=slope * 256 * 256 / MIB, mib_512=slope * 512 * 512 / MIB,
        tiles=[small, large], growth_mib=[grow_a / MIB, grow_b / MIB],
        forward_seconds=[a["seconds"], b["seconds"]], seconds=seconds,
    )


def measure_spec(spec: Spec, runtime: str, arch_id: str, workdir: str, timeout: float) -> dict:
    """Both tile sizes of one spec on one runtime (exporting first for onnx)."""
    started = time.perf_counter()
    path = os.path.join(workdir, f"{spec.package}-{SPECS.index(spec)}.onnx")
    if runtime == "onnx":
        run_child(dict(kind="export", spec=spec.key, path=path), timeout)
    runs = []
    for tile in spec.tiles:
        job = dict(kind=runtime, spec=spec.key, tile=tile, path=path)
        runs.append((tile, run_child(job, timeout)))
    return slope_row(spec, runtime, arch_id, runs, time.perf_counter() - started)


def print_row(row: dict) -> None:
    if "error" in row:
        print(f"{row['arch_id']:<10} {row['variant']:<40} {row['runtime']:<5} skipped: {row['error']}",
              flush=True)
        return
    print(f"{row['arch_id']:<10} {row['variant']:<40} {row['runtime']:<5} {row['scale']:>5g} "
          f"{row['bytes_per_pixel']:>8,d} {row['intercept_mib']:>9.1f} {row['mib_256']:>8.0f} "
          f"{row['mib_512']:>8.0f} {'x'.join(map(str, row['tiles'])):>8} "
          f"{row['forward_seconds'][1]:>7.1f} {row['seconds']:>7.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated architecture ids to measure")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--tiles", help="two tile sizes for every row, e.g. 256,512 "
                        "(default: 128,256 for CNNs, 64,128 for transformers)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per child process")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(json.loads(args.child))

    ids = architecture_ids(args.timeout)
    wanted = set(args.only.split(",")) if args.only else None
    tiles = tuple(int(size) for size in args.tiles.split(",")) if args.tiles else None
    print(f"{'arch id':<10} {'variant':<40} {'rt':<5} {'scale':>5} {'B/px':>8} "
          f"{'fixed MiB':>9} {'MiB@256':>8} {'MiB@512':>8} {'tiles':>8} {'fwd s':>7} {'total s':>7}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="tile_memory-") as workdir:
        for spec in SPECS:
            arch_id = ids[spec.package]
            if wanted and arch_id not in wanted:
                continue
            if tiles:
                spec = dataclasses.replace(spec, tiles=tiles)
            for runtime in ("torch", "onnx") if spec.onnx else ("torch",):
                try:
                    row = measure_spec(spec, runtime, arch_id, workdir, args.timeout)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    row = dict(arch_id=arch_id, variant=spec.variant, runtime=runtime,
                               error=str(exc)[:200])
                print_row(row)
                rows.append(row)
    print("B/px: peak RSS growth per input pixel (slope between the two tiles); fixed MiB: the "
          "intercept;\nMiB@256/512: B/px times the tile's pixels; fwd s: one forward at the larger "
          "tile; total s: the row's processes.")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
