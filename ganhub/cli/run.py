"""``ganhub run``: one file, a folder (bad files reported and skipped), or a seed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import typer

from ganhub import imaging
from ganhub.cli.console import console, out, parse_params, progress_bar, registry
from ganhub.errors import GanhubError
from ganhub.hookspecs import hookimpl
from ganhub.spec import Kind

if TYPE_CHECKING:
    from ganhub.engine import Engine
    from ganhub.pipeline import RunResult

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


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
    overwrite: bool = typer.Option(False, "--overwrite", help="replace existing output files (never an input)"),
) -> None:
    """Run a model on an image, a folder of images, or a seed. Inputs are never written over;
    existing outputs only with --overwrite; every output appears whole or not at all."""
    engine = make_engine(device, model_id)
    if is_published_ref(model_id):
        model_id = engine.registry.models()[0].spec.id
    request = dict(params=parse_params(param), runtime=runtime, weights=weights)
    guard = OutputGuard(inputs or [], overwrite)
    failed = run_command(engine, model_id, inputs or [], output, request, seed=seed, count=count, mask=mask,
                         guard=guard)
    if failed:
        raise typer.Exit(1)


def is_published_ref(model_id: str) -> bool:
    """True for a published model (``hf://owner/name`` or a folder) rather than a model id."""
    return model_id.startswith("hf://") or Path(model_id).expanduser().is_dir()


def make_engine(device: str | None, model_id: str = "") -> "Engine":
    """An engine over the installed plugins, or over one published model (no plugin code)."""
    from ganhub.engine import Engine
    from ganhub.published import published_registry

    if is_published_ref(model_id):
        return Engine(published_registry(model_id), device=device)
    return Engine(registry(), device=device)


class OutputGuard:
    """Decides whether an output path may be written: never over an input (symlinks, hard links
    and case-insensitive names included: ``os.path.samefile``), an existing file only with
    ``--overwrite``."""

    def __init__(self, inputs: list[Path], overwrite: bool):
        self.inputs = [p for p in inputs if p.exists()]
        self.overwrite = overwrite
        self.skipped = 0

    def problem(self, path: Path) -> str:
        """Why ``path`` must not be written ('' when it may be)."""
        if not path.exists():
            return ""
        if any(_same_file(path, source) for source in self._sources()):
            return f"'{path}' is an input: ganhub never writes over its inputs; choose another output"
        return "" if self.overwrite else f"'{path}' exists: pass --overwrite to replace it"

    def check(self, path: Path) -> None:
        """Raise (the whole command stops) when ``path`` must not be written."""
        if problem := self.problem(path):
            raise GanhubError(problem)

    def _sources(self) -> list[Path]:
        files = [p for p in self.inputs if p.is_file()]
        return files + [f for folder in self.inputs if folder.is_dir() for f in folder.iterdir() if f.is_file()]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def expand_inputs(inputs: list[Path]) -> tuple[list[Path], bool]:
    """The image files to process, and whether the output is a folder."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            files.append(path)
        else:
            raise GanhubError(f"input '{path}' does not exist")
    if not files:
        raise GanhubError("no input images found (give image files or a folder of them)")
    return files, len(files) > 1 or any(p.is_dir() for p in inputs)


def output_paths(output: Path, count: int) -> list[Path]:
    """``out.png`` for one image, ``out-0.png``, ``out-1.png`` … for several."""
    return [output] if count == 1 else [output.with_name(f"{output.stem}-{i}{output.suffix}") for i in range(count)]


def save_result(result: "RunResult", output: Path, guard: OutputGuard) -> list[Path]:
    """Write every image of a result (each atomically), after checking every path may be written."""
    paths = output_paths(output, len(result.images))
    for path in paths:
        guard.check(path)
    return [imaging.write_image(path, rgb, alpha, result.bit_depth)
            for path, rgb, alpha in zip(paths, result.images, result.alphas)]


def run_command(engine: "Engine", model_id: str, inputs: list[Path], output: Path, request: dict[str, Any],
                *, seed: int, count: int, mask: Path | None, guard: OutputGuard) -> int:
    """Run the command; returns how many inputs failed. Outputs are checked before any work."""
    model = engine.registry.get(model_id)
    model.spec.resolve_params(request["params"])  # bad params fail before loading
    if model.kind == Kind.GENERATE:
        for path in output_paths(output, count):
            guard.check(path)
        result = engine.run(model_id, seed=seed, count=count, **request)
        _report(result, save_result(result, output, guard))
        return 0
    files, to_folder = expand_inputs(inputs)
    if model.kind == Kind.INPAINT:
        request["mask"] = _read_mask(mask) if mask else None
    if not to_folder:
        guard.check(output)
        return _run_one(engine, model_id, files[0], output, request, guard)
    return _run_folder(engine, model_id, files, output, request, guard)


def _run_folder(engine: "Engine", model_id: str, files: list[Path], output: Path, request: dict[str, Any],
                guard: OutputGuard) -> int:
    output.mkdir(parents=True, exist_ok=True)
    failed = kept = 0
    with progress_bar() as bar:
        task = bar.add_task(model_id, total=len(files))
        for path in files:
            target = output / (path.stem + ".png")
            if problem := guard.problem(target):  # an input, or an existing output: left alone
                kept += 1
                console.print(f"[yellow]kept[/yellow] {problem}", highlight=False)
            else:
                failed += _run_and_save(engine, model_id, path, target, request, guard)
            bar.advance(task)
    written = len(files) - failed - kept
    out.print(f"{written} of {len(files)} images written to {output}"
              + (f"; {kept} left as they were (existing files: --overwrite replaces outputs, never inputs)" if kept else ""))
    return failed


def _run_and_save(engine: "Engine", model_id: str, path: Path, target: Path, request: dict[str, Any],
                  guard: OutputGuard) -> int:
    """1 when ``path`` failed (reported and skipped), else 0."""
    try:
        result = engine.run(model_id, image=imaging.read_image(path), **request)
        save_result(result, target, guard)
        return 0
    except GanhubError as exc:
        console.print(f"[yellow]skipped[/yellow] {path.name}: {exc}", highlight=False)
        return 1


def _run_one(engine: "Engine", model_id: str, path: Path, output: Path, request: dict[str, Any],
             guard: OutputGuard) -> int:
    image = imaging.read_image(path)
    with progress_bar() as bar:
        task = bar.add_task(f"{model_id} {path.name}", total=None)

        def on_status(text: str) -> None:
            bar.update(task, description=f"{model_id}: {text}")

        def on_tile(done: int, total: int) -> None:
            bar.update(task, description=f"{model_id} {path.name}: tiles", completed=done, total=total)

        result = engine.run(model_id, image=image, progress=on_tile, on_status=on_status, **request)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    _report(result, save_result(result, output, guard))
    return 0


def _report(result: "RunResult", written: list[Path]) -> None:
    for path in written:
        out.print(f"wrote {path} ({result.seconds:.2f} s on {result.device}, {result.runtime})", highlight=False)


def _read_mask(path: Path) -> np.ndarray:
    return imaging.read_image(path).rgb.mean(axis=2)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """run."""
    cli.command("run")(run)
