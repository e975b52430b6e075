"""Side-by-side benchmark of torch and onnxruntime on the same model, input and machine.

One process, one input per size (a real photo crop, not noise: some kernels take shortcuts on
zeros), warm-up runs first, then the runtimes alternate inside every repeat so that a CPU
clocking up or a noisy neighbour slows all of them alike; medians are reported. A model with
no exported graph is exported (with its parity check) into a temporary folder first.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from ganhub.errors import GanhubError
from ganhub.onnx.photos import bench_inputs, load_photos
from ganhub.onnx.timing import Inputs, load_average
from ganhub.spec import Kind

if TYPE_CHECKING:
    import torch
    from rich.console import Console

    from ganhub.engine import Engine
    from ganhub.model import Model
    from ganhub.registry import Registry
    from ganhub.runtime.base import Session


def flops_per_pixel(network: "torch.nn.Module", model: "Model", side: int = 32) -> float | None:
    """FLOPs per input pixel of an image model, counted from its convolutions.

    A forward hook on every Conv2d adds 2·Cin·Cout·kh·kw/groups per output pixel (one multiply
    and one add per MAC); other layers are cheap next to those and are left out. None for
    generate models, whose cost is per image, not per pixel.
    """
    import torch

    if model.kind == Kind.GENERATE:
        return None
    total = [0.0]

    def count(layer: torch.nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        per_output = 2.0 * layer.in_channels / layer.groups * layer.kernel_size[0] * layer.kernel_size[1]
        total[0] += per_output * output.numel()

    hooks = [m.register_forward_hook(count) for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    # Convolutions keep their per-pixel cost at any size, so a small input counts exactly.
    side = max(side, model.spec.constraints.multiple_of, model.spec.constraints.min_side)
    inputs = model.example_inputs(side, side, 1)
    weight = next(network.parameters())
    try:
        with torch.inference_mode():
            network(*(torch.from_numpy(x).to(weight.device, weight.dtype) for x in inputs))
    finally:
        for hook in hooks:
            hook.remove()
    return total[0] / (side * side) if total[0] else None


def _registry_of(source: "Engine | Registry") -> "Registry":
    return getattr(source, "registry", source)  # an Engine carries its registry


RUNTIMES = ("torch", "torch-bf16", "onnx", "onnx-int8", "auto")


def _open_sessions(model: "Model", weights: Path | None, runtimes: Sequence[str], device: str,
                   onnx_file: Path, say: Callable[[str], None], weights_uri: str | None = None) -> dict[str, "Session"]:
    from ganhub.runtime.onnx_session import open_onnx
    from ganhub.runtime.torch_session import open_torch

    sessions: dict[str, Session] = {}
    for runtime in runtimes:
        if runtime in ("torch", "torch-bf16"):
            sessions[runtime] = open_torch(model, weights, device, precision=runtime[6:] or "fp32")
        elif runtime == "onnx":
            sessions[runtime] = open_onnx(model, weights, device, onnx_path=onnx_file)
        elif runtime in ("onnx-int8", "auto"):
            sessions[runtime] = _cached_path_session(model, runtime, device, weights_uri, say)
        else:
            raise GanhubError(f"unknown runtime '{runtime}': use {', '.join(RUNTIMES)}")
        say(f"{runtime} session on {sessions[runtime].device} ({sessions[runtime].runtime})")
    return sessions


def _cached_path_session(model: "Model", runtime: str, device: str, weights_uri: str | None,
                         say: Callable[[str], None]) -> "Session":
    """What ``--runtime auto`` runs (measured once per machine), or its cached int8 graph."""
    from ganhub.engine import Engine
    from ganhub.model import weight_sources
    from ganhub.onnx.cache_int8 import ensure_int8
    from ganhub.registry import Registry
    from ganhub.runtime.onnx_session import open_onnx
    from ganhub.weights.fetch import resolve_weights

    if runtime == "auto":
        return Engine(Registry.from_models(model), device=device).load(
            model.spec.id, runtime="auto", weights=weights_uri, on_status=say).session
    resolved = resolve_weights(weight_sources(model, weights_uri))
    return open_onnx(model, resolved.path, device, onnx_path=ensure_int8(model, resolved, say))


def _time_size(sessions: dict[str, "Session"], inputs: Inputs, repeats: int, warmup: int) -> dict[str, Any]:
    """Median ms per runtime, alternating runtimes inside every repeat."""
    outputs = {}
    for name, session in sessions.items():
        for _ in range(warmup):
            outputs[name] = session.run(*inputs)
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(repeats):
        for name, session in sessions.items():
            started = time.perf_counter()
            outputs[name] = session.run(*inputs)
            times[name].append((time.perf_counter() - started) * 1000.0)
    row: dict[str, Any] = {f"{name}_ms": round(statistics.median(t), 3) for name, t in times.items()}
    if "torch" in outputs and "onnx" in outputs and outputs["torch"].shape == outputs["onnx"].shape:
        row["max_abs_diff"] = float(np.abs(outputs["torch"] - outputs["onnx"]).max())
    return row


def _rates(row: dict[str, Any], runtimes: Sequence[str], pixels: int | None, fpp: float | None) -> None:
    for name in runtimes:
        seconds = row[f"{name}_ms"] / 1000.0
        if pixels:
            row[f"{name}_mpx_per_s"] = round(pixels / seconds / 1e6, 4)
        if pixels and fpp:
            row[f"{name}_gflop_per_s"] = round(fpp * pixels / seconds / 1e9, 2)
    if "torch_ms" in row and "onnx_ms" in row:
        row["onnx/torch"] = float(f"{row['onnx_ms'] / row['torch_ms']:.4g}")  # 4 significant digits


def bench(
    source: "Engine | Registry",
    model_id: str,
    runtimes: Sequence[str] = ("torch", "onnx"),
    sizes: Sequence[int] = (128, 256, 512),
    device: str = "cpu",
    repeats: int = 5,
    warmup: int = 1,
    *,
    weights: str | None = None,
    export_dir: Path | None = None,
    console: "Console | None" = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time ``model_id`` on each runtime at each size; print a table, return a JSON-able dict.

    Sizes are square input sides (generate models: batch sizes). The onnx runtime uses the
    exported fp32 graph in ``export_dir`` (default: the runtime's export folder); when there
    is none, the model is exported (with its parity check) into a temporary folder first.
    """
    from ganhub.onnx.export import resolve_model_weights
    from ganhub.runtime.onnx_session import exported_path

    if repeats < 1 or warmup < 0 or not sizes:
        raise GanhubError("bench needs repeats >= 1, warmup >= 0 and at least one size")
    say = progress or (lambda message: None)
    model = _registry_of(source).get(model_id)
    weights_path = resolve_model_weights(model, weights)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ganhub-bench-") as scratch:
        onnx_file = exported_path(model_id, "fp32", export_dir)
        if "onnx" in runtimes:
            onnx_file = _onnx_file(model, weights_path, onnx_file, Path(scratch), notes, say)
        sessions = _open_sessions(model, weights_path, runtimes, device, onnx_file, say, weights)
        result = _measure(model, sessions, sizes, repeats, warmup, say)
    result.update(device_requested=device, onnx_file=str(onnx_file) if "onnx" in runtimes else None,
                  notes=notes + result["notes"])
    print_table(result, console)
    return result


def _onnx_file(model: "Model", weights: Path | None, exported: Path, scratch: Path,
               notes: list[str], say: Callable[[str], None]) -> Path:
    """The graph to time: shipped ONNX weights, the export, or a fresh export into ``scratch``."""
    shipped = model.onnx_file(weights) if weights is not None else None
    if shipped is not None or exported.exists():
        return shipped or exported
    from ganhub.onnx.export import export_model

    notes.append(f"no export at {exported}: exported into a temporary folder first")
    say(notes[-1])
    return Path(export_model(model, weights, scratch, progress=say).files["fp32"])


def _measure(model: "Model", sessions: dict[str, "Session"], sizes: Sequence[int], repeats: int,
             warmup: int, say: Callable[[str], None]) -> dict[str, Any]:
    import onnxruntime
    import torch

    network = next((getattr(s, "network") for s in sessions.values() if hasattr(s, "network")), None)
    fpp = flops_per_pixel(network, model) if network is not None else None
    photo = load_photos()[0]
    rows = []
    for size in sizes:
        say(f"timing size {size}")
        inputs = bench_inputs(model, size, photo)
        row: dict[str, Any] = {"size": size, "inputs": "×".join(map(str, inputs[0].shape))}
        row.update(_time_size(sessions, inputs, repeats, warmup))
        pixels = None if model.kind == Kind.GENERATE else int(np.prod(inputs[0].shape)) // 3
        _rates(row, list(sessions), pixels, fpp)
        rows.append(row)
    return {
        "model_id": model.spec.id, "runtimes": list(sessions), "repeats": repeats, "warmup": warmup,
        "devices": {name: s.device for name, s in sessions.items()},
        "onnx_providers": getattr(sessions.get("onnx"), "providers", None),
        "torch_threads": torch.get_num_threads(), "flops_per_input_pixel": fpp,
        "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
        # Timings taken while other processes compete for the CPU are not comparable.
        "load_average_1min": load_average(), "rows": rows, "notes": [],
    }


def print_table(result: dict[str, Any], console: "Console | None" = None) -> None:
    """The benchmark as a rich table (ms, ratio, Mpx/s and GFLOP/s per runtime)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    runtimes, fpp = result["runtimes"], result.get("flops_per_input_pixel")
    title = f"{result['model_id']}: " + ", ".join(f"{k} on {v}" for k, v in result["devices"].items())
    if fpp:
        title += f"; {fpp / 1e6:.2f} MFLOP per input pixel"
    columns = [(f"{r}_ms", f"{r} ms") for r in runtimes]
    columns += [("onnx/torch", "onnx/torch")] if {"torch", "onnx"} <= set(runtimes) else []
    columns += [(f"{r}_mpx_per_s", f"{r} Mpx/s") for r in runtimes]
    columns += [(f"{r}_gflop_per_s", f"{r} GFLOP/s") for r in runtimes] if fpp else []
    cells = [[str(row["size"]), *(_cell(row.get(key)) for key, _ in columns)] for row in result["rows"]]
    if not console.is_terminal:  # piped: plain tab-separated lines, no header ever cut
        console.print(title, soft_wrap=True, highlight=False)
        for line in [["size", *(header for _, header in columns)], *cells]:
            console.print("\t".join(line), soft_wrap=True, highlight=False)
    else:
        table = Table("size", *(header for _, header in columns), title=title, box=box.SIMPLE)
        for column in table.columns:
            column.no_wrap, column.min_width = True, len(str(column.header))
        for line in cells:
            table.add_row(*line)
        console.print(table)
    console.print(f"load average {result.get('load_average_1min')}, torch threads "
                  f"{result.get('torch_threads')}, repeats {result['repeats']} (medians)")
    for note in result.get("notes", []):
        console.print(f"note: {note}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)
