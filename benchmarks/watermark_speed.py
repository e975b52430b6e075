"""Watermark remover speed in onnxruntime (CPU): seconds per megapixel, candidate vs shipped.

    python benchmarks/watermark_speed.py [--weights RUN/generator.safetensors] [--size 1024]

Issue #19's budget is ≤ 2 s per megapixel with onnxruntime on this machine, for the whole
auto-mode network (four mirrored passes averaged, mask, composite) as the app runs it.
Each weights file is built as the app builds it (``AutoMaskInpainter`` over the network its
shapes describe: v2's one layer or v3's two), exported with ganhub's exporter into a
temporary folder, then all graphs are timed round by round, interleaved, so a busy CPU
slows each alike: compare the ratio; the s/MP column is only meaningful on a quiet CPU.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

SHIPPED = "shipped"


def networks(candidates: list[str]) -> dict[str, "object"]:
    """{label: fp32 eval module} for the shipped weights and each candidate file."""
    from ganhub.weights import read_state_dict
    from ganhub_watermark.evaluate import shipped_weights
    from ganhub_watermark.net import AutoMaskInpainter, from_state_dict

    # A run's export is always generator.safetensors: label it by its run folder instead.
    label = lambda path: path.parent.name if path.stem == "generator" else path.stem  # noqa: E731
    files = {SHIPPED: shipped_weights(), **{label(Path(c)): Path(c) for c in candidates}}
    return {label: AutoMaskInpainter(from_state_dict(read_state_dict(path))).eval() for label, path in files.items()}


def export(network: "object", folder: Path, label: str) -> "object":
    """An onnxruntime CPU session of ``network`` (ganhub's exporter, dynamic H and W)."""
    from ganhub.onnx.graph import export_graph, finalize_graph
    from ganhub.runtime.onnx_session import CPU, OnnxSession

    example = (np.zeros((1, 3, 64, 64), np.float32), np.zeros((1, 1, 64, 64), np.float32))
    names = (["image", "mask"], ["output"])
    axes = {n: {2: "height", 3: "width"} for n in ("image", "mask", "output")}
    path = folder / f"{label}.onnx"
    export_graph(network, example, names, axes, 17, path)
    finalize_graph(path, "fp32", f"watermark-{label}")
    return OnnxSession(path, "cpu", [CPU])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", action="append", default=[], help="a candidate .safetensors (repeatable)")
    parser.add_argument("--size", type=int, default=1024, help="square input side (multiple of 8)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from skimage import data
    from PIL import Image

    photo = Image.fromarray(data.astronaut()).resize((args.size, args.size), Image.BICUBIC)
    image = np.ascontiguousarray(np.asarray(photo, np.float32).transpose(2, 0, 1)[None] / 255.0)
    mask = np.zeros((1, 1, args.size, args.size), np.float32)  # empty mask: auto mode
    megapixels = args.size * args.size / 1e6
    with tempfile.TemporaryDirectory() as folder:
        sessions = {label: export(net, Path(folder), label) for label, net in networks(args.weights).items()}
        times: dict[str, list[float]] = {label: [] for label in sessions}
        for label, session in sessions.items():  # warm-up
            session.run(image, mask)
        for _ in range(args.rounds):
            for label, session in sessions.items():
                start = time.perf_counter()
                session.run(image, mask)
                times[label].append(time.perf_counter() - start)
    base = min(times[SHIPPED])
    print(f"{args.size}×{args.size} ({megapixels:.2f} MP), onnxruntime CPU, best of {args.rounds} interleaved rounds\n")
    print("| weights | s | s/MP | vs shipped |\n|---|---|---|---|")
    for label, values in times.items():
        best = min(values)
        print(f"| {label} | {best:.2f} | {best / megapixels:.2f} | {best / base:.2f}× |")


if __name__ == "__main__":
    main()
