"""Decode a video file (PyAV) one frame at a time, with its header read before any frame.

Frames come out as RGB uint8 arrays with the stream's own timestamps and time base, so a
writer can give every output frame the time its input had (variable frame rates included).
Audio packets are handed, undecoded, to a callback so a writer can copy them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from ganhub.media.frames import Frame, MediaError, MediaInfo

_FIX = "re-export or re-download the video"
_DURATION_TAG = re.compile(r"^(\d+):(\d\d):(\d\d(?:\.\d+)?)$")  # Matroska's per-stream DURATION
# A frame count estimated from a duration is trusted to within this share (rounding, VFR).
_ESTIMATE_SLACK = 0.9


class VideoReader:
    """An opened video: ``info`` from the header, then ``frames()`` decoded as they are read."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = f"'{self.path.name}'"
        self._container = _open(self.path, self.name)
        try:
            self._video = _video_stream(self._container, self.name)
            self.info, self._expected = _read_info(self._container, self._video, self.name)
        except BaseException:
            self._container.close()
            raise
        self._video.thread_type = "AUTO"  # frame threads: decoding keeps up with the model

    @property
    def audio_stream(self) -> Any:
        """The first audio stream (for a writer to copy), or None."""
        streams = self._container.streams.audio
        return streams[0] if streams else None

    def frames(self, on_audio: Callable[[Any], None] | None = None) -> Iterator[Frame]:
        """Every frame in presentation order; audio packets go to ``on_audio`` as they come."""
        audio = self.audio_stream if on_audio else None
        streams = [self._video] + ([audio] if audio is not None else [])
        count = 0
        try:
            for packet in self._container.demux(*streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None and on_audio:  # the last, empty packet only flushes
                        on_audio(packet)
                    continue
                for decoded in packet.decode():
                    count += 1
                    yield self._frame(decoded, count)
        except av.FFmpegError as exc:
            raise MediaError(f"{self.name} is truncated or corrupt (frame {count + 1} cannot be decoded)",
                             why=str(exc), fix=_FIX, action="re-export") from exc
        self._check_complete(count)

    def _frame(self, decoded: Any, count: int) -> Frame:
        time_base = decoded.time_base or self.info.time_base
        step = _frame_step(self.info.fps, time_base)
        pts = decoded.pts if decoded.pts is not None else (count - 1) * step
        pixels = decoded.to_ndarray(format="rgb24")
        # Phones store portrait video sideways with a display matrix: the model sees the stored
        # pixels (it does not care which way is up) and the writer passes the rotation on.
        rotation = int(round(getattr(decoded, "rotation", 0) or 0)) % 360
        return Frame(pixels, int(pts), int(getattr(decoded, "duration", 0) or step), time_base, rotation)

    def _check_complete(self, count: int) -> None:
        if count == 0:
            raise MediaError(f"{self.name} has a video stream but no frames in it", fix=_FIX, action="re-export")
        expected, exact = self._expected
        if expected and count < (expected if exact else _ESTIMATE_SLACK * expected - 1):
            raise MediaError(f"{self.name} is truncated: its header promises {expected} frames, "
                             f"only {count} could be decoded", fix=_FIX, action="re-export")

    def close(self) -> None:
        """Close the file."""
        self._container.close()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(path: Path, name: str) -> Any:
    if not path.is_file():
        raise MediaError(f"{name} does not exist (or is not a file); check the path")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise MediaError(f"{name} is not a video, or is truncated or corrupt", why=str(exc).split(":")[0],
                         fix=_FIX, action="re-export") from exc


def _video_stream(container: Any, name: str) -> Any:
    if not container.streams.video:
        kinds = sorted({stream.type for stream in container.streams}) or ["nothing"]
        raise MediaError(f"{name} has no video stream (it holds {', '.join(kinds)})",
                         fix="give a video file with pictures in it", action="no-video")
    return container.streams.video[0]


def _read_info(container: Any, stream: Any, name: str) -> tuple[MediaInfo, tuple[int | None, bool]]:
    """The header's facts, and the frame count to hold decoding to (count, whether exact)."""
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise MediaError(f"{name} has a video stream without a frame size", fix=_FIX, action="re-export")
    fps = stream.average_rate or stream.guessed_rate
    fps = Fraction(fps) if fps else None
    seconds, own = _stream_seconds(stream)
    if seconds is None and container.duration:
        seconds = container.duration / 1_000_000  # the container's: may include a longer audio track
    exact = bool(stream.frames)
    frames = int(stream.frames) if exact else (round(seconds * fps) if seconds and fps else None)
    audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    info = MediaInfo("video", container.format.name, width, height, frames, seconds, fps,
                     Fraction(stream.time_base or Fraction(1, 90_000)), exact, audio, None,
                     dict(container.metadata))
    return info, (frames if (exact or own) else None, exact)


def _stream_seconds(stream: Any) -> tuple[float | None, bool]:
    """The video stream's own duration in seconds (MP4 header, or Matroska's DURATION tag)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base), True
    match = _DURATION_TAG.match(str(stream.metadata.get("DURATION", "")))
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds), True
    return None, False


def _frame_step(fps: Fraction | None, time_base: Fraction) -> int:
    """One frame's duration in ``time_base`` units (25 fps when the rate is unknown)."""
    return max(1, round(1 / ((fps or Fraction(25)) * time_base)))
