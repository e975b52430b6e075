"""``run_media``: a video or animation through an image model, streamed, written atomically.

The header is read and checked against the limits before the model loads or a frame is
decoded. Frames then flow reader → model (a batch at a time) → writer, so memory holds a few
frames whatever the length. The output is written to a hidden temporary beside ``out_path``
and renamed into place only when finished: Ctrl-C, a cancelled job or an error leaves nothing
under the final name.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganhub import atomic, imaging
from ganhub.media import metadata as media_metadata
from ganhub.media import provenance, watermark
from ganhub.media.animation import AnimationReader, AnimationWriter, is_media
from ganhub.media.frames import Frame, MediaError, MediaInfo, kind_of
from ganhub.media.limits import MediaLimits, check_count, check_limits
from ganhub.media.progress import FrameProgress
from ganhub.media.runner import FrameOutput, FrameRunner
from ganhub.media.video_reader import VideoReader
from ganhub.media.video_writer import VideoOptions, VideoWriter

if TYPE_CHECKING:
    from ganhub.engine import Engine

__all__ = ["MediaOptions", "MediaResult", "is_media", "open_reader", "probe", "run_media"]

Reader = VideoReader | AnimationReader
Writer = VideoWriter | AnimationWriter
# Container tags the muxer writes itself; copying them would only describe the input's encoder.
_TECHNICAL_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder"}


@dataclass(frozen=True)
class MediaOptions:
    """How a video or animation is processed and written (all optional)."""

    crf: int = 18  # video quality: lower is better and larger (H.264: 0..51, VP9: 0..63)
    codec: str | None = None  # None: H.264 (VP9 for .webm); "libx264rgb" with crf 0 is lossless
    pix_fmt: str | None = None  # None: yuv420p, which plays everywhere
    preset: str | None = None  # H.264 speed/size trade-off ("medium" when None)
    batch_size: int = 1  # frames per model call (image-to-image models; helps most on a GPU)
    mask_mode: str = "per-frame"  # inpaint auto-mask models: "static" = one median mask for all frames
    mask_samples: int = 15  # frames the static mask is estimated from
    strip_metadata: bool = False  # drop ICC/EXIF/XMP and container tags (title, GPS location …)
    lossless: bool = False  # animated WebP output without loss
    limits: MediaLimits = field(default_factory=MediaLimits)

    def record(self) -> dict[str, Any]:
        """The settings an output's provenance record keeps (those that change its pixels)."""
        settings = {"crf": self.crf, "codec": self.codec, "pix_fmt": self.pix_fmt, "batch_size": self.batch_size,
                    "mask_mode": self.mask_mode, "lossless": self.lossless or None,
                    "mask_samples": self.mask_samples if self.mask_mode == "static" else None}
        return {name: value for name, value in settings.items() if value is not None}

    def video(self) -> VideoOptions:
        """The encoder settings."""
        return VideoOptions(self.crf, self.codec, self.pix_fmt, self.preset)


@dataclass
class MediaResult:
    """What a media run wrote, and how it went."""

    path: Path
    kind: str  # what was written: "video" | "animation"
    frames: int
    seconds: float  # wall time of the whole run
    fps: float  # frames processed per second
    source: MediaInfo
    notes: list[str] = field(default_factory=list)
    mask: np.ndarray | None = None  # the static mask, when one was estimated


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """What a video's or animation's header says (size, frames, duration, fps, audio), decoding nothing."""
    with open_reader(Path(path)) as reader:
        return reader.info


def open_reader(path: Path) -> Reader:
    """A reader for ``path``: Pillow for GIF/WebP/PNG, PyAV for everything else."""
    return AnimationReader(path) if kind_of(path) == "animation" else VideoReader(path)


def run_media(engine: "Engine", model_id: str, in_path: str | os.PathLike[str], out_path: str | os.PathLike[str],
              *, params: dict[str, Any] | None = None, options: MediaOptions | None = None,
              mask: np.ndarray | None = None, runtime: str = "torch", device: str | None = None,
              weights: str | None = None, on_progress: Callable[[int, int], None] | None = None,
              on_status: Callable[[str], None] | None = None, cancel: threading.Event | None = None) -> MediaResult:
    """Run ``model_id`` on every frame of ``in_path`` and write ``out_path`` (format by its suffix).

    Inputs: MP4/MOV/MKV/WebM (anything FFmpeg reads) or animated GIF/WebP/PNG; outputs: .mp4,
    .m4v, .mov, .mkv, .webm, or animated .gif/.webp/.png. ``params`` are the model's; ``mask``
    (inpaint models, H×W, 1 = remove) applies to every frame. ``on_progress(done, total)`` and
    ``on_status(text)`` report frames, fps and ETA; setting ``cancel`` stops at the next batch.
    Raises MediaError (a GanhubError) for unusable input, before any work where the header tells.
    """
    options, started = options or MediaOptions(), time.perf_counter()
    in_path, out_path = Path(in_path), Path(out_path)
    _check_paths(in_path, out_path, options)
    request = {"runtime": runtime, "device": device, "weights": weights, "on_status": on_status}
    runner = FrameRunner(engine, model_id, params, batch_size=options.batch_size, mask=mask, request=request)
    with open_reader(in_path) as reader:
        check_limits(reader.info, options.limits, reader.name)
        # Loads the model (only now that the limits passed) and says what ran, for the output's tags.
        record = provenance.of_run(engine, model_id, params=runner.params, runtime=runtime, device=device,
                                   weights=weights, settings=options.record(), on_status=on_status).to_json()
        static = _static_mask(in_path, runner, options, reader.info) if options.mask_mode == "static" else None
        if static is not None:
            runner.mask = static
        with atomic.atomic_path(out_path) as temporary:
            writer = _writer(temporary, reader, options, record)
            progress = _write_all(reader, writer, runner, options, FrameProgress(reader.info.frames, on_progress,
                                                                                  on_status), cancel)
        notes = runner.notes + writer.notes + _audio_notes(reader, writer)
    return MediaResult(out_path, kind_of(out_path), progress.done, time.perf_counter() - started, progress.fps,
                       reader.info, notes, static)


def _check_paths(in_path: Path, out_path: Path, options: MediaOptions) -> None:
    if not kind_of(out_path):
        raise MediaError(f"cannot write '{out_path.name}' as a video or animation",
                         fix="use .mp4, .mov, .mkv, .webm, or an animated .gif, .webp or .png", action="media-suffix")
    if out_path.exists() and in_path.exists() and os.path.samefile(in_path, out_path):
        raise MediaError(f"'{out_path}' is the input: ganhub never writes over its inputs", fix="choose another output")
    if options.mask_mode not in watermark.MASK_MODES:
        raise MediaError(f"mask mode '{options.mask_mode}' is unknown", fix=f"use {' or '.join(watermark.MASK_MODES)}")
    if kind_of(out_path) == "video":
        options.video().check(out_path.suffix.lower())


def _static_mask(path: Path, runner: FrameRunner, options: MediaOptions, info: MediaInfo) -> np.ndarray | None:
    """One mask for every frame, from the median of per-frame masks (None when a mask was given)."""
    if runner.mask is not None:
        return None
    with open_reader(path) as sampler:
        images = (_decode(frame) for frame in sampler.frames())
        return watermark.estimate_static_mask(images, runner, info.frames, options.mask_samples)


def _writer(path: Path, reader: Reader, options: MediaOptions, record: str) -> Writer:
    """The writer for ``path``'s format, carrying the input's tags/metadata (unless stripped) and
    the provenance ``record`` (always)."""
    if kind_of(path) == "video":
        tags = {} if options.strip_metadata else {k: v for k, v in reader.info.tags.items()
                                                   if k.lower() not in _TECHNICAL_TAGS | {provenance.KEY}}
        tags[provenance.KEY] = record
        return VideoWriter(path, reader.info, options.video(), audio_source=reader.audio_stream, tags=tags)
    loop = reader.info.loop if reader.info.kind == "animation" else 0  # a video becomes an endless loop
    metadata = None if options.strip_metadata else getattr(reader, "metadata", None)
    return AnimationWriter(path, loop=loop, lossless=options.lossless,
                           metadata=media_metadata.with_record(metadata, record))


def _write_all(reader: Reader, writer: Writer, runner: FrameRunner, options: MediaOptions,
               progress: FrameProgress, cancel: threading.Event | None) -> FrameProgress:
    """Every frame through the model into ``writer``; the writer is closed (or aborted) here."""
    try:
        progress.start()
        origin: Frame | None = None
        for batch in _batches(reader.frames(on_audio=writer.audio), runner.batch_size):
            origin = origin or batch[0]
            _check_going(batch, origin, progress.done, options, reader.name, cancel)
            outputs = runner.run([_decode(frame) for frame in batch])
            for frame, output in zip(batch, outputs):
                writer.write(frame.with_pixels(_pixels(output, keep_alpha=isinstance(writer, AnimationWriter))))
            progress.advance(len(batch))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    progress.finish()
    return progress


def _batches(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    iterator = iter(frames)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _check_going(batch: list[Frame], origin: Frame, done: int, options: MediaOptions, name: str,
                 cancel: threading.Event | None) -> None:
    """Stop on cancel, or when the stream runs past a limit its header understated."""
    if cancel is not None and cancel.is_set():
        raise MediaError("cancelled: no output was written", action="cancelled")
    limits, last = options.limits, batch[-1]
    check_count(done + len(batch), limits, name)
    if float((last.pts - origin.pts) * last.time_base) > limits.max_seconds:
        raise MediaError(f"{name} runs past {limits.max_seconds:g} s", why="over the duration limit",
                         fix="cut it shorter, or raise the duration limit", action="shorter-media")


def _decode(frame: Frame) -> imaging.DecodedImage:
    return imaging.read_image(frame.pixels)


def _pixels(output: FrameOutput, keep_alpha: bool) -> np.ndarray:
    """The output as uint8 (RGBA when it has alpha and the format can hold it)."""
    rgb = np.round(np.clip(output.rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    if output.alpha is None or not keep_alpha:
        return rgb
    alpha = np.round(np.clip(output.alpha, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.dstack([rgb, alpha])


def _audio_notes(reader: Reader, writer: Writer) -> list[str]:
    if reader.audio_stream is not None and isinstance(writer, AnimationWriter):
        return ["audio dropped (animated images hold no sound)"]
    return []
