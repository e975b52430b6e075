"""The ``ganhub`` command line: list, info, download, lock, run, serve (+ plugin commands)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ganhub.errors import GanhubError
from ganhub.registry import Registry


console = Console(stderr=True)
out = Console()
app = typer.Typer(help="ganhub: run, download and manage GAN image models.", no_args_is_help=True)


def _registry() -> Registry:
    return Registry.discover()


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise GanhubError(f"--param takes NAME=VALUE, got {pair!r}")
        params[name.strip()] = value
    return params


@app.command("list")
def list_models() -> None:
    """Every discovered model (id, task, kind, licence, weights) and every broken plugin."""
    from ganhub.weights.fetch import best_status

    registry = _registry()
    table = Table("id", "task", "kind", "licence", "weights", "plugin")
    for model in registry.models():
        spec = model.spec
        status = best_status(spec.weights)
        table.add_row(spec.id, spec.task.value, spec.kind.value, spec.license, status, registry.plugin_of(spec.id))
    out.print(table)
    for record in registry.plugins.values():
        if record.status != "ok":
            out.print(f"[red]plugin {record.name} {record.status}[/red]: {record.error}")


@app.command()
def info(model_id: str) -> None:
    """A model's spec: description, params, input constraints, weight sources and cache state."""
    from ganhub.weights.fetch import cached_size, source_status

    registry = _registry()
    spec = registry.get(model_id).spec
    out.print(f"[bold]{spec.id}[/bold] — {spec.title}")
    out.print(f"task {spec.task.value}, kind {spec.kind.value}, licence {spec.license} {spec.license_url}")
    out.print(spec.description)
    out.print(f"plugin: {registry.plugin_of(spec.id)}; tileable: {spec.tileable}; "
              f"ONNX: {'yes' if spec.onnx_exportable else 'no'} {spec.onnx_note}")
    c = spec.constraints
    out.print(f"input: scale ×{c.scale}, multiple of {c.multiple_of}, min side {c.min_side}, "
              f"max {c.max_pixels / 1e6:.1f} MP")
    table = Table("param", "type", "default", "range / choices", "help")
    for p in spec.params:
        rng = ", ".join(map(str, p.choices)) if p.choices else f"{p.minimum}..{p.maximum}"
        table.add_row(p.name, p.type, str(p.default), rng, p.help)
    out.print(table)
    for index, source in enumerate(spec.weights, 1):
        size = cached_size(source)
        out.print(f"weights {index}: {source.uri}\n  sha256 {source.sha256 or '(none pinned)'}; "
                  f"{source_status(source)}" + (f"; {size / 1e6:.1f} MB" if size else "")
                  + (f"\n  {source.note}" if source.note else ""))


@app.command()
def download(model_ids: list[str], lock: bool = typer.Option(False, help="record sha256 of unpinned files (trust on first use)")) -> None:
    """Fetch and verify weights (Hub downloads show a progress bar)."""
    from ganhub.weights.fetch import lock_source, resolve_weights

    registry = _registry()
    for model_id in model_ids:
        spec = registry.get(model_id).spec
        resolved = resolve_weights(spec.weights)
        out.print(f"{model_id}: {resolved.uri} → {resolved.path} ({resolved.trust}, sha256 {resolved.sha256[:12]}…)")
        for attempt in resolved.attempts:
            out.print(f"  [yellow]skipped[/yellow] {attempt}")
        if lock and not resolved.verified:
            source = next(s for s in spec.weights if s.uri == resolved.uri)
            for entry in lock_source(source):
                out.print(f"  locked {entry.uri} sha256 {entry.sha256}")


@app.command("lock")
def lock_cmd(uri: str) -> None:
    """Record the resolved commit and sha256 of a weights URI (trust on first use)."""
    from ganhub.spec import WeightSource
    from ganhub.weights.fetch import lock_source

    for entry in lock_source(WeightSource(uri, user_supplied=True)):
        out.print(f"locked {entry.uri}: sha256 {entry.sha256}, {entry.size} bytes {entry.commit}")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


@app.command()
def run(
    model_id: str = typer.Argument(..., help="a model id, or a published model: hf://owner/name[@commit] or its folder"),
    inputs: list[Path] = typer.Argument(None, help="image file(s) or a folder (none for generate models)"),
    output: Path = typer.Option(..., "-o", "--output", help="output file, or folder for several inputs"),
    param: list[str] = typer.Option([], "--param", "-p", help="NAME=VALUE, repeatable"),
    device: Optional[str] = typer.Option(None, help="cpu, cuda, cuda:1, mps (default: best available)"),
    runtime: str = typer.Option("torch", help="torch or onnx"),
    weights: Optional[str] = typer.Option(None, help="your own weights (models that accept them)"),
    seed: int = typer.Option(0, help="seed for generate models"),
    count: int = typer.Option(1, help="images to generate"),
    mask: Optional[Path] = typer.Option(None, help="mask image for inpaint models (white = remove)"),
) -> None:
    """Run a model on an image, a folder of images, or a seed."""
    from ganhub.cli_run import run_command

    engine = _engine(device, model_id)
    model_id = engine.registry.models()[0].spec.id if _is_published_ref(model_id) else model_id
    failed = run_command(engine, model_id, inputs or [], output, _parse_params(param),
                         runtime=runtime, weights=weights, seed=seed, count=count, mask=mask,
                         progress=_progress, console=out)
    if failed:
        raise typer.Exit(1)


def _is_published_ref(model_id: str) -> bool:
    return model_id.startswith("hf://") or Path(model_id).expanduser().is_dir()


def _engine(device: str | None, model_id: str = ""):  # type: ignore[no-untyped-def]
    """An engine over the installed plugins, or over one published model (no plugin code)."""
    from ganhub.engine import Engine

    if _is_published_ref(model_id):
        from ganhub.train.published import published_registry

        return Engine(published_registry(model_id), device=device)
    return Engine(_registry(), device=device)


def _add_lazy_commands() -> None:
    """Commands whose modules import heavier libraries only when they run."""
    from ganhub.cli_export import bench, export
    from ganhub.cli_train import register as register_training

    app.command("export")(export)
    app.command("bench")(bench)
    register_training(app)  # train, eval, publish


_add_lazy_commands()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="GANHUB_HOST"),
    port: int = typer.Option(7860, envvar="GANHUB_PORT"),
    share: bool = False,
    mcp: bool = typer.Option(False, help="also serve Gradio's MCP server"),
) -> None:
    """Serve the Gradio app (the same app as `python app.py`)."""
    from ganhub.ui.app import launch

    launch(host=host, port=port, share=share, mcp=mcp)


def main() -> None:
    """Console-script entry point: plugin commands added, GanhubError shown without a trace."""
    try:
        _registry().call_hook("register_commands", cli=app)
    except GanhubError:
        pass
    try:
        code = app(standalone_mode=False)  # returns typer.Exit's code instead of raising it
        sys.exit(code if isinstance(code, int) else 0)
    except GanhubError as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        sys.exit(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except Exception as exc:  # click usage errors etc.
        # Usage errors (typer may carry its own click): show them the way click does.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if type(exc).__name__ == "Abort":
            sys.exit(130)
        if os.environ.get("GANHUB_DEBUG"):
            raise
        console.print(f"[red]unexpected error[/red] {type(exc).__name__}: {exc} (set GANHUB_DEBUG=1 for a traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
