"""What flows between the readers, the model and the writers: frames with their timing, what a
container's header says, and the error every media problem raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganhub.errors import ImageError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
ANIMATION_SUFFIXES = (".gif", ".webp", ".png", ".apng")
MILLISECOND = Fraction(1, 1000)  # the time base of animated images (durations are in ms)


class MediaError(ImageError):
    """A video or animation cannot be used (no video stream, truncated, over a limit …)."""


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture and when it shows: ``pts`` and ``duration`` count ``time_base`` seconds."""

    pixels: np.ndarray  # H×W×3 (or ×4 with alpha) uint8
    pts: int
    duration: int
    time_base: Fraction
    rotation: int = 0  # degrees counter-clockwise a player turns the picture (a phone video's display matrix)

    @property
    def seconds(self) -> float:
        """How long the frame shows, in seconds."""
        return float(self.duration * self.time_base)

    def with_pixels(self, pixels: np.ndarray) -> "Frame":
        """The same timing with other pixels (a model's output)."""
        return Frame(pixels, self.pts, self.duration, self.time_base, self.rotation)

    def upright(self) -> np.ndarray:
        """The pixels turned as a player shows them (for formats with no display matrix)."""
        return np.ascontiguousarray(np.rot90(self.pixels, self.rotation // 90)) if self.rotation % 360 else self.pixels


@dataclass(frozen=True)
class MediaInfo:
    """What the header says, read before any frame is decoded."""

    kind: str  # "video" | "animation"
    format: str  # the container (e.g. "mov,mp4,m4a,3gp,3g2,mj2") or Pillow format ("GIF")
    width: int
    height: int
    frames: int | None  # exact or estimated from duration × rate; None when unknown
    seconds: float | None
    fps: Fraction | None
    time_base: Fraction
    exact_frames: bool = False  # whether ``frames`` is a count the header stores
    audio: str | None = None  # the audio codec, when there is an audio stream
    loop: int | None = None  # animations: 0 = forever, n = n times, None = play once
    tags: dict[str, str] = field(default_factory=dict)  # container metadata (title, location …)

    @property
    def pixels(self) -> int:
        """Pixels per frame."""
        return self.width * self.height


def kind_of(path: str | Path) -> str:
    """"video", "animation" or "" for a path's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return "animation" if suffix in ANIMATION_SUFFIXES else ""
