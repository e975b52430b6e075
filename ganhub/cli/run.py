"""``ganhub run``: one file, a folder (bad files reported and skipped), or a seed; a video or an
animated GIF/WebP/PNG runs frame by frame (:mod:`ganhub.media`)."""

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
from ganhub.media import metadata as media_metadata
from ganhub.media.animation import is_media
from ganhub.spec import Kind

if TYPE_CHECKING:
    from ganhub.engine import Engine
    from ganhub.media.metadata import ImageMetadata
    from ganhub.pipeline import RunResult

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def run(
    model_id: str = typer.Argument(..., help="a model id, or a published model: hf://owner/name[@commit] or its folder"),
    inputs: list[Path] = typer.Argument(None, help="image file(s) or a folder (none for generate models)"),
    output: Path = typer.Option(..., "-o", "--output", help="output file, or folder for several inputs"),
    param: list[str] = typer.Option([], "--param", "-p", help="NAME=VALUE, repeatable"),
    device: Optional[str] = typer.Option(None, help="cpu, cuda, cuda:1, mps (default: best available)"),
    runtime: str = typer.Option("auto", help="auto (ONNX exported once on first use, else torch), torch or onnx"),
    weights: Optional[str] = typer.Option(None, help="your own weights (models that accept them)"),
    seed: int = typer.Option(0, help="seed for generate models"),
    count: int = typer.Option(1, help="images to generate"),
    mask: Optional[Path] = typer.Option(None, help="mask image for inpaint models (white = remove)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace existing output files (never an input)"),
    strip_metadata: bool = typer.Option(False, "--strip-metadata",
                                        help="drop ICC/EXIF/XMP (GPS included) and video tags from outputs"),
    crf: int = typer.Option(18, help="video quality: lower is better and larger (H.264 0..51, VP9 0..63)"),
    batch_size: int = typer.Option(1, "--batch-size", help="video frames per model call (image-to-image models)"),
    mask_mode: str = typer.Option("per-frame", "--mask-mode",
                                  help="video watermark removal: per-frame masks, or one static (median) mask"),
    max_seconds: float = typer.Option(600.0, "--max-seconds", help="longest video or animation accepted"),
    max_frames: int = typer.Option(18_000, "--max-frames", help="most frames accepted"),
    max_pixels: int = typer.Option(3840 * 2160, "--max-pixels", help="largest video frame accepted (width × height)"),
) -> None:
    """Run a model on an image, a folder of images, a video (.mp4 .mov .mkv .webm), an animated
    GIF/WebP/PNG, or a seed. Inputs are never written over; existing outputs only with
    --overwrite; every output appears whole or not at all. Image outputs keep the input's
    ICC profile, EXIF and XMP unless --strip-metadata."""
    engine = make_engine(device, model_id)
    if is_published_ref(model_id):
        model_id = engine.registry.models()[0].spec.id
    request = dict(params=parse_params(param), runtime=runtime, weights=weights)
    guard = OutputGuard(inputs or [], overwrite)
    media = dict(strip_metadata=strip_metadata, crf=crf, batch_size=batch_size, mask_mode=mask_mode,
                 max_seconds=max_seconds, max_frames=max_frames, max_pixels=max_pixels)
    failed = run_command(engine, model_id, inputs or [], output, request, seed=seed, count=count, mask=mask,
                         guard=guard, media=media)
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


def save_result(result: "RunResult", output: Path, guard: OutputGuard,
                metadata: "ImageMetadata | None" = None) -> list[Path]:
    """Write every image of a result (each atomically, with ``metadata``), after checking every path may be written."""
    paths = output_paths(output, len(result.images))
    for path in paths:
        guard.check(path)
    return [imaging.write_image(path, rgb, alpha, result.bit_depth, metadata=metadata)
            for path, rgb, alpha in zip(paths, result.images, result.alphas)]


def run_command(engine: "Engine", model_id: str, inputs: list[Path], output: Path, request: dict[str, Any],
                *, seed: int, count: int, mask: Path | None, guard: OutputGuard,
                media: dict[str, Any] | None = None) -> int:
    """Run the command; returns how many inputs failed. Outputs are checked before any work."""
    model = engine.registry.get(model_id)
    model.spec.resolve_params(request["params"])  # bad params fail before loading
    if model.kind == Kind.GENERATE:
        for path in output_paths(output, count):
            guard.check(path)
        result = engine.run(model_id, seed=seed, count=count, quantized=True, **request)
        record = _record(engine, model_id, request, seed=seed, settings={"count": count} if count > 1 else None)
        _report(result, save_result(result, output, guard, media_metadata.with_record(None, record)))
        return 0
    files, to_folder = expand_inputs(inputs)
    if model.kind == Kind.INPAINT:
        request["mask"] = _read_mask(mask) if mask else None
    media = media or {}
    if not to_folder:
        guard.check(output)
        if is_media(files[0]):
            return _run_media(engine, model_id, files[0], output, request, media)
        return _run_one(engine, model_id, files[0], output, request, guard, media)
    return _run_folder(engine, model_id, files, output, request, guard, media)


def _run_folder(engine: "Engine", model_id: str, files: list[Path], output: Path, request: dict[str, Any],
                guard: OutputGuard, media: dict[str, Any]) -> int:
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
                failed += _run_and_save(engine, model_id, path, target, request, guard, media)
            bar.advance(task)
    written = len(files) - failed - kept
    out.print(f"{written} of {len(files)} images written to {output}"
              + (f"; {kept} left as they were (existing files: --overwrite replaces outputs, never inputs)" if kept else ""))
    return failed


def _run_and_save(engine: "Engine", model_id: str, path: Path, target: Path, request: dict[str, Any],
                  guard: OutputGuard, media: dict[str, Any]) -> int:
    """1 when ``path`` failed (reported and skipped), else 0."""
    try:
        image = imaging.read_image(path, max_pixels=_input_limit(engine, model_id, request))
        result = engine.run(model_id, image=image, quantized=True, **request)
        save_result(result, target, guard, _metadata(image, media, _record(engine, model_id, request)))
        return 0
    except GanhubError as exc:
        console.print(f"[yellow]skipped[/yellow] {path.name}: {exc}", highlight=False)
        return 1


def _input_limit(engine: "Engine", model_id: str, request: dict[str, Any]) -> int:
    """Pixels the model takes here, checked from the file's header before any decoding
    (a tiled run's limit follows free memory, see ganhub.limits)."""
    from ganhub.limits import pixel_limit
    from ganhub.spec import TILE_PARAM

    from ganhub.pipeline import takes_integers

    model = engine.registry.get(model_id)
    spec = model.spec
    tile = int(spec.resolve_params(request.get("params")).get(TILE_PARAM, 0) or 0) if spec.tileable else 0
    return pixel_limit(spec, tiled=tile > 0, integer_result=takes_integers(model)).pixels


def _run_one(engine: "Engine", model_id: str, path: Path, output: Path, request: dict[str, Any],
             guard: OutputGuard, media: dict[str, Any]) -> int:
    image = imaging.read_image(path, max_pixels=_input_limit(engine, model_id, request))
    with progress_bar() as bar:
        task = bar.add_task(f"{model_id} {path.name}", total=None)

        def on_status(text: str) -> None:
            bar.update(task, description=f"{model_id}: {text}")

        def on_tile(done: int, total: int) -> None:
            bar.update(task, description=f"{model_id} {path.name}: tiles", completed=done, total=total)

        result = engine.run(model_id, image=image, progress=on_tile, on_status=on_status, quantized=True,
                            **request)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    _report(result, save_result(result, output, guard, _metadata(image, media, _record(engine, model_id, request))))
    return 0


def _metadata(image: imaging.DecodedImage, media: dict[str, Any], record: str) -> "ImageMetadata | None":
    """The input's ICC/EXIF/XMP for its output (none with --strip-metadata), and how it was made."""
    return media_metadata.with_record(None if media.get("strip_metadata") else image.metadata, record)


def _record(engine: "Engine", model_id: str, request: dict[str, Any], *, seed: int | None = None,
            settings: dict[str, Any] | None = None) -> str:
    """The provenance record of a run that just finished (the model is loaded: nothing new loads)."""
    from ganhub.media import provenance

    return provenance.of_run(engine, model_id, params=request.get("params"), runtime=request.get("runtime"),
                             weights=request.get("weights"), seed=seed, settings=settings).to_json()


def _run_media(engine: "Engine", model_id: str, path: Path, output: Path, request: dict[str, Any],
               media: dict[str, Any]) -> int:
    """A video or animation, frame by frame, with frames done/total, fps and ETA on the bar."""
    from ganhub.media.job import MediaOptions, run_media
    from ganhub.media.limits import MediaLimits

    limits = MediaLimits(**{k: media[k] for k in ("max_seconds", "max_frames", "max_pixels") if k in media})
    settings = {k: media[k] for k in ("strip_metadata", "crf", "batch_size", "mask_mode") if k in media}
    request = dict(request)
    with progress_bar() as bar:
        task = bar.add_task(f"{model_id} {path.name}", total=None)
        result = run_media(engine, model_id, path, output, params=request.pop("params", None),
                           options=MediaOptions(**settings, limits=limits), **request,
                           on_progress=lambda done, total: bar.update(task, completed=done, total=total or None),
                           on_status=lambda text: bar.update(task, description=f"{model_id} {path.name}: {text}"))
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    out.print(f"wrote {result.path} ({result.frames} frames in {result.seconds:.1f} s, "
              f"{result.fps:.1f} frames/s once loaded)", highlight=False)
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
