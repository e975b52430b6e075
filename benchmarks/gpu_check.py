"""The GPU check: providers present, torch fp16 vs onnxruntime CUDA fp16 vs TensorRT fp16, parity, % of peak.

    bash benchmarks/gpu_check.sh            # on a CUDA machine; < 8 minutes; prints one table
    python benchmarks/gpu_check.py --cpu-smoke   # walks the same code on the CPU at 64² (no GPU needed)

On ``--model`` (default realesrgan-x4plus) at one ``--size``² crop of a real photo:
  torch fp32        the reference every other row is compared with (PSNR)
  torch fp16        ganhub's torch session on CUDA
  ORT CUDA fp16     the fp16 export on onnxruntime's CUDA provider
  ORT TensorRT fp16 the fp32 export on the TensorRT provider with fp16 enabled (engine cached)
Times are the fastest of ``--repeats`` calls after a warm-up, numpy in and out (the copies are
part of what a user pays). TFLOP/s come from the model's convolutions; the peak is a large fp16
matmul measured here, next to the datasheet figure where the card is known.
Goals (issue #16): ORT/TRT ≥ 2× torch fp16 and ≥ 40 % of peak.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

DATASHEET_FP16_DENSE_TFLOPS = {"H100 80GB HBM3": 989.0, "H100 PCIe": 756.0, "H200": 989.0, "A100": 312.0,
                               "L4": 121.0, "RTX 4090": 165.0, "T4": 65.0}


def best_ms(run: Callable[[], object], repeats: int, sync: Callable[[], None]) -> float:
    run()
    sync()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        sync()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def matmul_peak(device: str, dtype_name: str) -> float:
    """TFLOP/s of an 8192³ (CPU: 1024³) matmul at this dtype on this device."""
    import torch

    n = 8192 if device == "cuda" else 1024
    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return 2 * n**3 / best_ms(lambda: a @ b, 5, sync) / 1e9


def providers_line() -> tuple[str, set[str]]:
    import onnxruntime as ort
    import torch

    available = set(ort.get_available_providers())
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    wanted = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
    marks = ", ".join(f"{name.removesuffix('ExecutionProvider')} {'yes' if name in available else 'NO'}" for name in wanted)
    return f"torch {torch.__version__} on {cuda}; onnxruntime {ort.__version__}: {marks}", available


def ort_session(path: Path, providers: list) -> Callable[[np.ndarray], np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=providers)
    name = session.get_inputs()[0].name
    wants_half = session.get_inputs()[0].type == "tensor(float16)"
    return lambda x: np.asarray(session.run(None, {name: x.astype(np.float16) if wants_half else x})[0], np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="realesrgan-x4plus")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cpu-smoke", action="store_true", help="run the same steps on the CPU at 64² (checks the script)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from ganhub.model import weight_sources
    from ganhub.onnx import export_model, flops_per_pixel
    from ganhub.onnx.parity import psnr
    from ganhub.onnx.photos import bench_inputs, load_photos
    from ganhub.registry import Registry
    from ganhub.runtime.torch_session import TorchSession
    from ganhub.weights.fetch import resolve_weights

    line, available = providers_line()
    print(line)
    device = "cpu" if args.cpu_smoke else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run this on a GPU machine (or --cpu-smoke to check the script)")
    size = 64 if args.cpu_smoke else args.size
    model = Registry.discover().get(args.model)
    weights = resolve_weights(weight_sources(model, None)).path
    network = model.build(weights)
    work = (flops_per_pixel(network, model) or 0.0) * size * size
    (x, *_rest) = bench_inputs(model, size, load_photos()[0])
    folder = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    started = time.perf_counter()
    export_model(model, weights, folder, fp16=not args.cpu_smoke, sizes=[(64, 64)])
    print(f"exported {args.model} (fp32{'' if args.cpu_smoke else ' + fp16'}) in {time.perf_counter() - started:.0f} s")
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    reference_session = TorchSession(network, device, "fp32")
    reference = reference_session.run(x)
    runs: dict[str, Callable[[np.ndarray], np.ndarray]] = {"torch fp32": reference_session.run}
    if device == "cuda":
        runs["torch fp16"] = TorchSession(model.build(weights), "cuda", "fp16").run
        fp16_graph = folder / f"{args.model}.fp16.onnx"
        if "CUDAExecutionProvider" in available:
            runs["ORT CUDA fp16"] = ort_session(fp16_graph, ["CUDAExecutionProvider"])
        if "TensorrtExecutionProvider" in available:
            trt = {"trt_fp16_enable": True, "trt_engine_cache_enable": True, "trt_engine_cache_path": str(folder)}
            runs["ORT TensorRT fp16"] = ort_session(folder / f"{args.model}.onnx",
                                                    [("TensorrtExecutionProvider", trt), "CUDAExecutionProvider"])
    else:
        runs["ORT CPU fp32"] = ort_session(folder / f"{args.model}.onnx", ["CPUExecutionProvider"])

    peak = matmul_peak(device, "float16" if device == "cuda" else "float32")
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    sheet = next((v for k, v in DATASHEET_FP16_DENSE_TFLOPS.items() if k in name), None)
    print(f"{args.model}, one {size}² crop; fp16 matmul peak measured {peak:.0f} TFLOP/s"
          + (f" (datasheet {sheet:.0f})" if sheet else ""))
    print(f"{'path':<20}{'ms':>9}{'vs torch fp16':>15}{'TFLOP/s':>9}{'of peak':>9}{'PSNR dB':>9}")
    base = None
    for label, run in runs.items():
        try:
            ms = best_ms(lambda: run(x), args.repeats, sync)
            quality = psnr(run(x), reference)
        except Exception as exc:  # one provider failing must not hide the others' rows
            print(f"{label:<20}{'failed':>9}  {type(exc).__name__}: {str(exc)[:100]}")
            continue
        base = ms if label == "torch fp16" else base
        tflops = work / ms / 1e9
        ratio = f"{base / ms:.2f}×" if base else "—"
        print(f"{label:<20}{ms:>9.1f}{ratio:>15}{tflops:>9.1f}{tflops / peak:>8.0%}{quality:>9.1f}")


if __name__ == "__main__":
    main()
