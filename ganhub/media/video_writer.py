"""Encode frames to a video file (PyAV), each at the time its input frame had.

The default is H.264 in yuv420p (plays everywhere; VP9 for .webm) at a settable CRF. The
container opens on the first frame, when the output size is known; audio that arrives
before then waits in a short list. yuv420p needs even sides: an odd output is padded by one
repeated edge row/column rather than cropped, so no model output is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from ganhub.media.audio import AudioTrack
from ganhub.media.frames import Frame, MediaError, MediaInfo

_CODECS = {".webm": "libvpx-vp9"}
_DEFAULT_CODEC = "libx264"
_CRF_RANGE = {"libx264": 51, "libx264rgb": 51, "libvpx-vp9": 63}
# MP4/MOV: the index first (browsers play it while it downloads), and tags of any name (the
# provenance record, phones' com.apple.quicktime.* keys) rather than only the few iTunes names.
_MOV_FAMILY = (".mp4", ".m4v", ".mov")


@dataclass(frozen=True)
class VideoOptions:
    """How video is encoded. ``crf``: lower is better and larger (x264: 18 ≈ visually lossless)."""

    crf: int = 18
    codec: str | None = None  # None: H.264 (libx264), VP9 for .webm; "libx264rgb" + crf 0 is lossless
    pix_fmt: str | None = None  # None: yuv420p (rgb24 for libx264rgb)
    preset: str | None = None  # x264 speed/size trade-off; None: the encoder's "medium"

    def codec_for(self, suffix: str) -> str:
        """The encoder for an output with ``suffix``."""
        return self.codec or _CODECS.get(suffix, _DEFAULT_CODEC)

    def check(self, suffix: str) -> None:
        """Refuse a CRF the encoder cannot take, before any work."""
        top = _CRF_RANGE.get(self.codec_for(suffix), 63)
        if not 0 <= self.crf <= top:
            raise MediaError(f"CRF {self.crf} is out of range for {self.codec_for(suffix)}", fix=f"use 0..{top}")


class VideoWriter:
    """Writes frames (and optionally the input's audio) to ``path``; ``close()`` finishes it."""

    def __init__(self, path: str | Path, info: MediaInfo, options: VideoOptions, *,
                 audio_source: Any = None, tags: dict[str, str] | None = None):
        self.path, self.info, self.options = Path(path), info, options
        self.notes: list[str] = []
        self._audio_source, self._tags = audio_source, tags or {}
        self._container: Any = None
        self._stream: Any = None
        self._audio: AudioTrack | None = None
        self._pending: list[Any] = []

    def audio(self, packet: Any) -> None:
        """An input audio packet, copied as soon as the output is open."""
        if self._audio is not None:
            self._audio.write(packet)
        elif self._container is None:
            self._pending.append(packet)

    def write(self, frame: Frame) -> None:
        """Encode one output frame at its input's time."""
        if self._container is None:
            self._open(frame)
        pixels = _even(frame.pixels[..., :3]) if self._needs_even else frame.pixels[..., :3]
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        picture.pts, picture.time_base = frame.pts, frame.time_base
        self._mux(self._stream.encode(picture))

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        if self._container is None:
            raise MediaError(f"no frames to write to '{self.path.name}'")
        self._mux(self._stream.encode(None))
        if self._audio is not None:
            self._audio.close()
        self._container.close()

    def abort(self) -> None:
        """Close without finishing (the caller removes the file)."""
        if self._container is not None:
            self._container.close()

    def _open(self, first: Frame) -> None:
        suffix = self.path.suffix.lower()
        options = {"movflags": "+faststart+use_metadata_tags"} if suffix in _MOV_FAMILY else {}
        self._container = av.open(str(self.path), "w", options=options)
        self._container.metadata.update(self._tags)
        self._stream = self._video_stream(suffix, *first.pixels.shape[:2], first.time_base)
        if first.rotation:  # played turned, as the input was (the display matrix, not the pixels)
            self._stream.set_display_rotation(first.rotation)
        if self._audio_source is not None:
            self._audio = AudioTrack(self._container, self._audio_source, suffix)
            self.notes.append(self._audio.note)
            for packet in self._pending:
                self._audio.write(packet)
            self._pending.clear()

    def _video_stream(self, suffix: str, height: int, width: int, time_base: Fraction) -> Any:
        codec = self.options.codec_for(suffix)
        stream = self._container.add_stream(codec, rate=self.info.fps or Fraction(25))
        stream.pix_fmt = self.options.pix_fmt or ("rgb24" if codec == "libx264rgb" else "yuv420p")
        self._needs_even = stream.pix_fmt.startswith(("yuv420", "yuv422", "nv"))
        even_width, even_height = (width + width % 2, height + height % 2) if self._needs_even else (width, height)
        if (even_width, even_height) != (width, height):
            self.notes.append(f"padded {width}×{height} to {even_width}×{even_height} "
                              f"({stream.pix_fmt} needs even sides; edge pixels repeated)")
        stream.width, stream.height = even_width, even_height
        stream.time_base = stream.codec_context.time_base = time_base
        stream.options = _encoder_options(codec, self.options)
        return stream

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self._container.mux(packet)


def _encoder_options(codec: str, options: VideoOptions) -> dict[str, str]:
    settings = {"crf": str(options.crf)}
    if codec == "libvpx-vp9":
        settings["b:v"] = "0"  # constant quality: VP9 honours CRF only without a bitrate target
    if options.preset and codec.startswith("libx264"):
        settings["preset"] = options.preset
    return settings


def _even(pixels: np.ndarray) -> np.ndarray:
    """Pad an odd height/width by repeating the last row/column."""
    height, width = pixels.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return pixels
    return np.pad(pixels, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
