"""int8 vs fp32 onnxruntime on real photos: speed and PSNR of the int8 output vs fp32's.

    python benchmarks/onnx_int8.py realesr-animevideov3 --crop 128

Exports the model (fp32 + int8, each with its parity report) into a temporary folder, then
times both graphs on the same Set14 crops (skimage photos without ../shared), alternating.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id")
    parser.add_argument("--crop", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ganhub.onnx import export_model, resolve_model_weights
    from ganhub.registry import Registry
    from ganhub.runtime.onnx_session import OnnxSession

    model = Registry.discover().get(args.model_id)
    with tempfile.TemporaryDirectory() as folder:
        report = export_model(model, resolve_model_weights(model, None), Path(folder), int8=True)
        fp32, int8 = (OnnxSession(Path(report.files[p]), "cpu") for p in ("fp32", "int8"))
        times: dict[str, list[float]] = {"fp32": [], "int8": []}
        psnrs = []
        for x in crops(args.crop):
            for name, session in (("fp32", fp32), ("int8", int8)):
                session.run(x)  # warm-up at this shape
                started = time.perf_counter()
                session.run(x)
                times[name].append(time.perf_counter() - started)
            a, b = np.clip(fp32.run(x), 0, 1), np.clip(int8.run(x), 0, 1)
            psnrs.append(10 * np.log10(1 / max(float(np.mean((a - b) ** 2)), 1e-12)))
    fp32_ms, int8_ms = (1e3 * float(np.median(times[k])) for k in ("fp32", "int8"))
    print(f"{args.model_id} on {len(psnrs)} {args.crop}² crops: fp32 {fp32_ms:.1f} ms, int8 {int8_ms:.1f} ms "
          f"(speed-up {fp32_ms / int8_ms:.2f}×); int8 vs fp32 PSNR mean {np.mean(psnrs):.2f} dB, min {np.min(psnrs):.2f} dB")
    print("ops left in float:", {op: v["count"] for op, v in report.int8.get("fp32_ops", {}).items()})


if __name__ == "__main__":
    main()
