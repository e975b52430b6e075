"""int8 recipes vs fp32 onnxruntime on real photos: speed, PSNR vs fp32, ops left in float.

    python benchmarks/onnx_int8.py realesr-animevideov3 --crop 256

Exports the fp32 graph (with its parity check) into a temporary folder, quantises it with the
old recipe (s8s8: PRelu left in float) and the new one (u8s8-prelu: PRelu rewritten into int8
ops), then times the three graphs on the same Set14 crops (skimage photos without ../shared),
interleaved round by round so a busy CPU slows all of them alike: compare the ratios. PSNR is
of the clipped int8 output against fp32's, mean and min over the crops (the export's bar is 35).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

SET14 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr" / "Set14"


def crops(size: int) -> list[np.ndarray]:
    """N×3×size×size float32 crops of Set14 (or skimage's photos)."""
    from PIL import Image

    if SET14.exists():
        images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(SET14.glob("*.png"))]
    else:
        from skimage import data

        images = [getattr(data, n)() for n in ("astronaut", "coffee", "chelsea", "rocket")]
    return [np.ascontiguousarray(im[:size, :size].transpose(2, 0, 1)[None], np.float32) / 255 for im in images]


def graphs(model_id: str, folder: Path) -> dict[str, Path]:
    """fp32 (exported, parity-checked) and one int8 graph per recipe, without the int8 refusal."""
    from ganhub.onnx import export_model, resolve_model_weights
    from ganhub.onnx.int8 import RECIPES, _quantize, calibration_feeds
    from ganhub.registry import Registry
    from ganhub.runtime.onnx_session import OnnxSession

    model = Registry.discover().get(model_id)
    report = export_model(model, resolve_model_weights(model, None), folder)
    fp32 = Path(report.files["fp32"])
    names = OnnxSession(fp32, "cpu").input_names
    feeds = calibration_feeds(model, model.spec.constraints, names)
    paths = {"fp32": fp32}
    for recipe in RECIPES:
        paths[recipe] = folder / f"{model_id}.{recipe}.int8.onnx"
        _quantize(fp32, paths[recipe], feeds, recipe)
    return paths


def measure(paths: dict[str, Path], inputs: list[np.ndarray], rounds: int) -> dict[str, dict]:
    """Median ms per crop and PSNR vs fp32 of each graph, timed interleaved."""
    from ganhub.runtime.onnx_session import OnnxSession

    sessions = {name: OnnxSession(path, "cpu") for name, path in paths.items()}
    outputs = {name: [np.clip(s.run(x), 0, 1) for x in inputs] for name, s in sessions.items()}  # + warm-up
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(rounds):
        for x in inputs:
            for name, session in sessions.items():
                started = time.perf_counter()
                session.run(x)
                times[name].append(time.perf_counter() - started)
    rows = {}
    for name in sessions:
        errors = [float(np.mean((a.astype(np.float64) - b) ** 2)) for a, b in zip(outputs[name], outputs["fp32"])]
        psnrs = [10 * np.log10(1 / max(e, 1e-12)) for e in errors]
        rows[name] = {"ms": 1e3 * float(np.median(times[name])), "psnr": psnrs}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ganhub.onnx.int8 import float_layers

    with tempfile.TemporaryDirectory() as folder:
        paths = graphs(args.model_id, Path(folder))
        inputs = crops(args.crop)
        rows = measure(paths, inputs, args.rounds)
        floats = {name: float_layers(path)["fp32_ops"] for name, path in paths.items() if name != "fp32"}
    base = rows["fp32"]["ms"]
    print(f"{args.model_id}, {len(inputs)} Set14 {args.crop}² crops, {args.rounds} interleaved round(s)")
    print(f"{'graph':12s} {'ms':>8s} {'vs fp32':>8s} {'PSNR mean':>10s} {'min':>7s}  ops left in float")
    for name, row in rows.items():
        psnr = "" if name == "fp32" else f"{np.mean(row['psnr']):10.2f} {np.min(row['psnr']):7.2f}"
        left = "" if name == "fp32" else str({op: v["count"] for op, v in floats[name].items()})
        print(f"{name:12s} {row['ms']:8.1f} {base / row['ms']:7.2f}× {psnr:>18s}  {left}")


if __name__ == "__main__":
    main()
