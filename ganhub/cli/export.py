"""``ganhub export`` and ``ganhub bench``: typer command functions (registered in ganhub.cli).

Usage::

    ganhub export realesr-animevideov3 --fp16 --int8   # export/<id>.onnx (+ .fp16/.int8) + .json
    ganhub bench realesr-animevideov3 --sizes 64,128 --json-out bench.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from ganhub import atomic
from ganhub.cli.console import console, out, registry
from ganhub.errors import GanhubError
from ganhub.hookspecs import hookimpl

if TYPE_CHECKING:
    from ganhub.registry import Registry
    from ganhub.onnx.export import ExportReport



def _registry() -> "Registry":
    return registry()


def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise GanhubError(f"--{what} takes comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise GanhubError(f"--{what} needs positive integers, got {text!r}")
    return values


def parity_table(report: "ExportReport") -> Table:
    """The export's parity rows and latencies as a rich table."""
    table = Table("precision", "input", "vs", "max abs error", "PSNR dB", title=f"{report.model_id} parity")
    for row in report.parity:
        table.add_row(row.precision, row.inputs, row.reference, f"{row.max_abs:.3g}", f"{row.psnr:.1f}")
    return table


def export(
    model_id: str = typer.Argument(..., help="model id (see `ganhub list`)"),
    fp16: bool = typer.Option(False, "--fp16", help="also write <id>.fp16.onnx (checked: PSNR >= 40 dB)"),
    int8: bool = typer.Option(False, "--int8", help="also write <id>.int8.onnx (static QDQ, photo-calibrated)"),
    opset: int = typer.Option(17, help="ONNX opset (the dynamo exporter needs >= 18)"),
    output: Path = typer.Option(Path("export"), "-o", "--output", envvar="GANHUB_EXPORT_DIR",
                                help="folder for <id>.onnx and its <id>.json report"),
    weights: Optional[str] = typer.Option(None, help="your own weights (models that accept them)"),
) -> None:
    """Export a model to ONNX, refusing graphs that do not match torch (parity report)."""
    from ganhub.onnx.export import export_model, resolve_model_weights

    model = _registry().get(model_id)
    with console.status(f"resolving weights for {model_id}") as status:
        def progress(message: str) -> None:
            status.update(message)
            console.log(message)

        path = resolve_model_weights(model, weights)
        report = export_model(model, path, output, fp16=fp16, int8=int8, opset=opset, progress=progress)
    out.print(parity_table(report))
    timings = report.latency_ms
    latency = ", ".join(f"{k} {v} ms" for k, v in timings.items() if k.startswith(("torch_", "onnx_")))
    out.print(f"latency on {timings.get('inputs')} (cpu, load average {timings.get('load_average_1min')}): "
              f"{latency}")
    out.print(f"exporter {report.exporter}, opset {report.opset}, IR {report.ir_version}"
              + (f" ({report.ir_note})" if report.ir_note else ""))
    for precision, file in report.files.items():
        out.print(f"wrote {precision}: {file}")
    out.print(f"report: {report.report_path}")


def bench(
    model_id: str = typer.Argument(..., help="model id (see `ganhub list`)"),
    runtimes: str = typer.Option("torch,onnx", help="comma-separated: torch, torch-bf16, onnx, onnx-int8 "
                                                       "(quantised once, refused below 35 dB), auto"),
    sizes: str = typer.Option("128,256,512", help="input sides in px (generate models: batch sizes)"),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:1"),
    repeats: int = typer.Option(5, help="timed runs per runtime and size (median reported)"),
    json_out: Optional[Path] = typer.Option(None, "--json-out", help="also write the results as JSON"),
) -> None:
    """Time the runtimes (torch, bf16, onnxruntime, int8, auto's choice) on the same input, alternating runs, medians."""
    from ganhub.onnx.bench import bench as run_bench

    from ganhub.onnx.bench import RUNTIMES

    chosen = [name.strip() for name in runtimes.split(",") if name.strip()]
    if not chosen or set(chosen) - set(RUNTIMES):
        raise GanhubError(f"--runtimes takes {', '.join(RUNTIMES)}, got {runtimes!r}")
    with console.status(f"benchmarking {model_id}") as status:
        result = run_bench(_registry(), model_id, chosen, _int_list(sizes, "sizes"), device, repeats,
                           console=out, progress=status.update)
    if json_out is not None:
        atomic.write_text(json_out, json.dumps(result, indent=2, default=str) + "\n")
        out.print(f"wrote {json_out}")


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """export, bench."""
    cli.command("export")(export)
    cli.command("bench")(bench)
