"""``ganhub run``: one file, a folder (bad files reported and skipped), or a seed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ganhub import imaging
from ganhub.errors import GanhubError
from ganhub.spec import Kind

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from ganhub.engine import Engine
    from ganhub.pipeline import RunResult

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


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


def save_result(result: "RunResult", output: Path) -> list[Path]:
    """Write every image of a result: ``out.png``, or ``out-0.png``, ``out-1.png`` …"""
    written = []
    for index, (rgb, alpha) in enumerate(zip(result.images, result.alphas)):
        path = output if len(result.images) == 1 else output.with_name(f"{output.stem}-{index}{output.suffix}")
        written.append(imaging.write_image(path, rgb, alpha, result.bit_depth))
    return written


def run_command(
    engine: "Engine",
    model_id: str,
    inputs: list[Path],
    output: Path,
    params: dict[str, Any],
    *,
    runtime: str,
    weights: str | None,
    seed: int,
    count: int,
    mask: Path | None,
    progress: Callable[[], "Progress"],
    console: "Console",
) -> int:
    """Run the command; returns how many inputs failed."""
    model = engine.registry.get(model_id)
    common = dict(params=params, runtime=runtime, weights=weights)
    model.spec.resolve_params(params)  # bad params fail before loading
    if model.kind == Kind.GENERATE:
        result = engine.run(model_id, seed=seed, count=count, **common)
        for path in save_result(result, output):
            console.print(f"wrote {path}")
        return 0
    files, to_folder = expand_inputs(inputs)
    extra: dict[str, Any] = {}
    if model.kind == Kind.INPAINT:
        extra["mask"] = _read_mask(mask) if mask else None
    if not to_folder:
        return _run_one(engine, model_id, files[0], output, common, extra, progress, console)
    output.mkdir(parents=True, exist_ok=True)
    failed = 0
    with progress() as bar:
        task = bar.add_task(model_id, total=len(files))
        for path in files:
            try:
                image = imaging.read_image(path)
                result = engine.run(model_id, image=image, **common, **extra)
                save_result(result, output / (path.stem + ".png"))
            except GanhubError as exc:
                failed += 1
                console.print(f"[yellow]skipped[/yellow] {path.name}: {exc}")
            bar.advance(task)
    console.print(f"{len(files) - failed} of {len(files)} images written to {output}")
    return failed


def _run_one(engine, model_id, path, output, common, extra, progress, console) -> int:  # type: ignore[no-untyped-def]
    image = imaging.read_image(path)
    with progress() as bar:
        task = bar.add_task(f"{model_id} {path.name}", total=None)

        def on_tile(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = engine.run(model_id, image=image, progress=on_tile, **common, **extra)
    for note in result.notes:
        console.print(f"note: {note}")
    for written in save_result(result, output):
        console.print(f"wrote {written} ({result.seconds:.2f} s on {result.device}, {result.runtime})")
    return 0


def _read_mask(path: Path) -> np.ndarray:
    decoded = imaging.read_image(path)
    return decoded.rgb.mean(axis=2)
