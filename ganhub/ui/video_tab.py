"""The "Video / animation" part of an image-to-image or inpaint model's tab, and the metadata
that image outputs keep.

A video (MP4, MOV, MKV, WebM) or an animated GIF/WebP/PNG goes through the model frame by frame
(:func:`ganhub.media.job.run_media`); the result plays in the page and can be downloaded. It is
its own API endpoint, ``<model>_video``. Progress counts frames (done/total, fps, time left).
Stop, or a job cancelled through the API, ends the run at the next batch and leaves no output
file: ``run_media`` writes to a temporary and renames it only when complete.

Image outputs keep the input's ICC profile, EXIF and XMP unless "Strip metadata" is ticked, and
always carry the record of how they were made (:mod:`ganhub.media.provenance`).

PyAV and torch are imported only inside the handlers, never when the app starts. The tab
builder (:mod:`ganhub.ui.tabs`) passes its own widgets and helpers in (:class:`TabParts`), so
this module never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.spec import Kind, ModelSpec
from ganhub.ui.errors import user_errors
from ganhub.ui.names import ACCELERATOR, task_verb, widget_labels
from ganhub.ui.runner import LastRun

if TYPE_CHECKING:
    from ganhub.media.job import MediaResult
    from ganhub.media.metadata import ImageMetadata
    from ganhub.media.provenance import Provenance
    from ganhub.pipeline import RunResult
    from ganhub.ui.runner import Runner

VIDEO_KINDS = (Kind.IMAGE_TO_IMAGE, Kind.INPAINT)
MEDIA_TYPES = [".mp4", ".m4v", ".mov", ".mkv", ".webm", ".gif", ".webp", ".png", ".apng"]
DEFAULT_CRF, MAX_CRF = 18, 51
MAX_BATCH = 16
STRIP_INFO = "leave out the input's colour profile, camera data and location (GPS); how the output was made is always kept"


@dataclass
class TabParts:
    """What the tab builder lends this section: its shared widgets and output helpers."""

    spec_inputs: Callable[[ModelSpec], Any]  # builds params + runtime (+ weights) widgets
    endpoint: Callable[..., Any]  # binds a handler to a button as an API endpoint
    output_dir: Callable[[], Path]  # a fresh folder Gradio serves
    output_name: Callable[[str | None, str], str]  # "clip.mp4", "upscaled" → "clip_upscaled"


# -- metadata on image outputs ---------------------------------------------------------------------
def strip_box(elem_id: str) -> gr.Checkbox:
    """The "Strip metadata" checkbox."""
    return gr.Checkbox(False, label="Strip metadata", info=STRIP_INFO, elem_id=elem_id)


def file_metadata(path: str | None) -> "ImageMetadata | None":
    """The ICC profile, EXIF and XMP of an uploaded image file (None when unreadable or absent)."""
    from PIL import Image

    from ganhub.media import metadata as media_metadata

    if not path:
        return None
    try:
        with Image.open(path) as image:
            return media_metadata.from_pil(image)
    except (OSError, ValueError, SyntaxError):
        return None


def output_metadata(runner: "Runner", model_id: str, request: dict[str, Any], result: "RunResult",
                    source: "ImageMetadata | None", strip: bool, seed: int | None = None) -> "ImageMetadata | None":
    """What an image output carries: the input's metadata (unless ``strip``) and how it was made."""
    from ganhub.media import metadata as media_metadata

    record = run_record(runner, model_id, request, result, seed)
    return media_metadata.with_record(None if strip else source, record)


def run_record(runner: "Runner", model_id: str, request: dict[str, Any], result: "RunResult",
               seed: int | None = None) -> str:
    """The provenance record (JSON) of a run that just finished."""
    from ganhub.executors import InProcessExecutor
    from ganhub.media import provenance

    params = _recordable(request.get("params"))
    if isinstance(getattr(runner, "executor", None), InProcessExecutor):  # loaded here: nothing new loads
        return provenance.of_run(runner.engine, model_id, params=params, runtime=request.get("runtime"),
                                 weights=request.get("weights"), seed=seed).to_json()
    from ganhub import __version__  # elsewhere (e.g. Ray): what the result says, without weights

    return provenance.Provenance(model=model_id, runtime=result.runtime, device=result.device, params=params,
                                 seed=seed, ganhub=__version__).to_json()


def _recordable(params: dict[str, Any] | None) -> dict[str, Any]:
    """The params without image values (a picture is not a setting)."""
    return {name: value for name, value in (params or {}).items() if value is None or not hasattr(value, "rgb")}


# -- the video section -------------------------------------------------------------------------------
@dataclass
class VideoInputs:
    """The section's own boxes, in API order (then the model's shared ones)."""

    video: gr.File
    mask: gr.Image | None  # inpaint models
    crf: gr.Slider
    batch_size: gr.Slider | None  # image-to-image models (inpaint runs frame by frame)
    static_mask: gr.Checkbox | None  # inpaint models that find the mask themselves
    strip_metadata: gr.Checkbox

    @classmethod
    def build(cls, model: Model, api_name: str) -> "VideoInputs":
        """Create the boxes (inside the current layout block)."""
        inpaint, auto = model.kind == Kind.INPAINT, bool(getattr(model, "auto_mask", False))
        video = gr.File(label="Video or animated image (MP4, MOV, MKV, WebM, GIF, WebP)", file_types=MEDIA_TYPES,
                        type="filepath", elem_id=f"video-input-{api_name}")
        mask = _mask_box(auto, api_name) if inpaint else None
        crf = gr.Slider(0, MAX_CRF, value=DEFAULT_CRF, step=1, label="Video quality (CRF)",
                        info="lower is better and larger; 18 looks like the input to most eyes")
        batch = None if inpaint else gr.Slider(1, MAX_BATCH, value=1, step=1, label="Frames per batch",
                                               info="more frames per model call: faster on a GPU, more memory")
        static = gr.Checkbox(False, label="Static mask", info="one mask for every frame, found from many frames: "
                             "for a watermark that does not move (less flicker)") if inpaint and auto else None
        return cls(video, mask, crf, batch, static, strip_box(f"video-strip-{api_name}"))

    def lead(self) -> dict[str, Any]:
        """API name → box, for the boxes this model has."""
        boxes = {"video": self.video, "mask": self.mask, "crf": self.crf, "batch_size": self.batch_size,
                 "static_mask": self.static_mask, "strip_metadata": self.strip_metadata}
        return {name: box for name, box in boxes.items() if box is not None}


def _mask_box(auto: bool, api_name: str) -> gr.Image:
    hint = "optional: found in every frame when empty" if auto else "required"
    return gr.Image(label=f"Mask image (white = remove, the video's size; {hint})", type="filepath",
                    image_mode=None, sources=["upload"], height=160, elem_id=f"video-mask-{api_name}")


@dataclass
class VideoOutputs:
    """Where a result shows: a player for videos, an image box for animations, a download."""

    video: gr.Video
    animation: gr.Image
    download: gr.File
    info: gr.Markdown

    @classmethod
    def build(cls, api_name: str) -> "VideoOutputs":
        """Create the boxes (inside the current layout block)."""
        return cls(gr.Video(label="Result", interactive=False, format=None, elem_id=f"video-output-{api_name}"),
                   gr.Image(label="Result (animation)", type="filepath", interactive=False, visible=False,
                            elem_id=f"animation-output-{api_name}"),
                   gr.File(label="Download", interactive=False, elem_id=f"video-file-{api_name}"),
                   gr.Markdown(label="Run info", elem_id=f"video-info-{api_name}"))

    def all(self) -> list[Any]:
        return [self.video, self.animation, self.download, self.info]

    def show_kind(self, event: Any) -> None:
        """After a run, show the player for a video and the image box for an animation (a page
        matter only: the endpoint itself returns plain paths)."""
        def shown(download: str | None) -> tuple[Any, Any]:
            animation = bool(download) and Path(download).suffix.lower() in (".gif", ".webp", ".png")
            return gr.update(visible=not animation), gr.update(visible=animation)

        event.then(shown, self.download, [self.video, self.animation], api_visibility="private",
                   concurrency_limit=None, show_progress="hidden")


def build_video_section(model: Model, runner: "Runner", api_name: str, parts: TabParts) -> Any:
    """The "Video / animation" boxes, Run and Stop buttons; the ``<api_name>_video`` endpoint.

    Returns the run event (the tab refreshes the model card after it).
    """
    spec = model.spec
    with gr.Row():
        with gr.Column():
            inputs = VideoInputs.build(model, api_name)
            shared = parts.spec_inputs(spec)
            with gr.Row():
                button = gr.Button("Run on every frame", variant="primary", elem_id=f"video-run-{api_name}")
                stop = gr.Button("Stop", variant="stop", elem_id=f"video-stop-{api_name}")
        with gr.Column():
            outputs = VideoOutputs.build(api_name)
    run = video_handler(model, runner, inputs, shared, parts)
    event = parts.endpoint(button, run, inputs.lead(), shared, outputs.all(), f"{api_name}_video")
    outputs.show_kind(event)
    stop.click(None, None, None, cancels=[event], api_visibility="private", concurrency_limit=None)
    return event


def video_handler(model: Model, runner: "Runner", inputs: VideoInputs, shared: Any,
                  parts: TabParts) -> Callable[[list[Any], Any], Any]:
    """The endpoint's function: ``run(values, progress)`` → player, animation, download, info."""
    spec, names = model.spec, list(inputs.lead())

    def run(values: list[Any], progress: Any) -> tuple[Any, Any, str, str]:
        with user_errors(spec.id, widget_labels(spec)):
            given = dict(zip(names, values[: len(names)]))
            job = MediaJob.from_values(model, runner, given, shared.request(values[len(names):]))
            target = parts.output_dir() / (parts.output_name(given["video"], _verb(model)) + job.suffix())
            result = job.run(target, progress)
        return _shown(result, runner, spec.id)

    return run


def _verb(model: Model) -> str:
    return "inpainted" if model.kind == Kind.INPAINT else task_verb(model.spec.task)


@dataclass
class MediaJob:
    """One video run, its inputs checked: file, mask, options and the model request."""

    model: Model
    runner: "Runner"
    path: Path
    mask: Any
    options: Any  # ganhub.media.job.MediaOptions
    request: dict[str, Any]

    @classmethod
    def from_values(cls, model: Model, runner: "Runner", given: dict[str, Any], request: dict[str, Any]) -> "MediaJob":
        """Check the boxes' values; raises GanhubError naming what to fix."""
        from ganhub.media.job import MediaOptions

        path = _media_path(given.get("video"))
        mask = _read_mask(given.get("mask"), model)
        options = MediaOptions(crf=int(given.get("crf", DEFAULT_CRF)), batch_size=int(given.get("batch_size") or 1),
                               mask_mode="static" if given.get("static_mask") else "per-frame",
                               strip_metadata=bool(given.get("strip_metadata")))
        request = dict(request, weights=runner.checked_weights(request.get("weights")))  # same rule as images
        return cls(model, runner, path, mask, options, request)

    def suffix(self) -> str:
        """The output's format: browsers play MP4 and WebM; an animation stays GIF/WebP/PNG."""
        from ganhub.media.frames import kind_of

        suffix = self.path.suffix.lower()
        if kind_of(self.path) == "animation":
            return ".png" if suffix == ".apng" else suffix
        return ".webm" if suffix == ".webm" else ".mp4"

    def run(self, target: Path, progress: Any) -> "MediaResult":
        """Every frame through the model into ``target``, reporting frames as they finish."""
        from ganhub.media.job import run_media

        report = FrameReport(progress)
        request = dict(self.request)
        return run_media(self.runner.engine, self.model.spec.id, self.path, target, params=request.pop("params"),
                         options=self.options, mask=self.mask, runtime=request.pop("runtime"),
                         weights=request.pop("weights", None), on_progress=report.frames, on_status=report.status,
                         cancel=report.cancel)


def _media_path(value: str | None) -> Path:
    from ganhub.media.frames import kind_of

    if not value:
        raise GanhubError("no video: upload a video or an animated GIF/WebP first")
    path = Path(value)
    if not kind_of(path):
        raise GanhubError(f"'{path.name}' is not a video or animated image",
                          fix="use MP4, MOV, MKV, WebM, or an animated GIF, WebP or PNG")
    return path


def _read_mask(value: str | None, model: Model) -> Any:
    """The mask image as H×W (1 = remove); None for auto-mask models left to find it."""
    if model.kind != Kind.INPAINT:
        return None
    if not value:
        if getattr(model, "auto_mask", False):
            return None
        raise GanhubError("no mask image: upload one (white marks what to remove in every frame)")
    from ganhub import imaging

    return imaging.read_image(value, max_pixels=model.spec.constraints.max_pixels).rgb.mean(axis=2)


class FrameReport:
    """Progress in frames for Gradio's bar, and whether the job was cancelled meanwhile."""

    def __init__(self, progress: Any):
        import threading

        self.progress, self.cancel = progress, threading.Event()
        self.done: int | None = None
        self.total: int | None = None
        self._alive = _job_watch()

    def frames(self, done: int, total: int) -> None:
        """``run_media``'s ``on_progress``: remember the counts; stop once the job is gone."""
        self.done, self.total = done, total or None
        if not self._alive():
            self.cancel.set()

    def status(self, text: str) -> None:
        """``run_media``'s ``on_status``: loading messages, then "frame 3/8 · 4.1 fps · ETA 1 s"."""
        if self.progress is None:
            return
        if self.done is None:
            self.progress(0.0, desc=text)
        else:
            self.progress((self.done, self.total), desc=text, unit="frames")


def _job_watch() -> Callable[[], bool]:
    """A check that the current Gradio job is still wanted (False once Stop or an API cancel
    ended it). Gradio gives a running function no such signal, so this looks at its queue;
    if that cannot be read, the job counts as wanted."""
    try:
        from gradio.context import LocalContext

        blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    except ImportError:
        return lambda: True
    if blocks is None or event_id is None:
        return lambda: True

    def alive() -> bool:
        try:
            jobs = blocks._queue.active_jobs
            return any(event._id == event_id for job in jobs if job for event in job)
        except AttributeError:
            return True

    return alive


def _shown(result: "MediaResult", runner: "Runner", model_id: str) -> tuple[Any, Any, str, str]:
    """The result in the player (video) or image box (animation), the download and the info line."""
    from ganhub.media import provenance

    record = provenance.read(result.path)
    last = LastRun(result.seconds, _field(record, "device"), _field(record, "runtime"), list(result.notes))
    runner.last_runs[model_id] = last
    path, video = str(result.path), result.kind == "video"
    return (path if video else None), (None if video else path), path, _info(result, last)


def _field(record: "Provenance | None", name: str) -> str:
    return str(getattr(record, name, "") or "?")


def _info(result: "MediaResult", last: LastRun) -> str:
    notes = "".join(f" · {note}" for note in last.notes)
    return (f"Done: {result.frames} frames in {result.seconds:.1f} s ({result.fps:.1f} frames/s) "
            f"on {last.device} ({last.runtime}){notes}")
