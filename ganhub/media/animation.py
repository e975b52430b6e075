"""Animated GIF, WebP and PNG (APNG) in and out with Pillow, keeping per-frame durations and the
loop count.

Reading is one frame at a time (Pillow composites each frame onto the previous ones, so every
frame is whole). Writing needs every frame at once, because Pillow's animation encoders take
the whole sequence in one ``save``; the frame limit keeps that bounded. libwebp merges
consecutive frames that encode to the same picture into one (their durations summed), so a
lossy WebP of a near-still scene may hold fewer frames while playing the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganhub.media import metadata as media_metadata
from ganhub.media.frames import MILLISECOND, Frame, MediaError, MediaInfo, kind_of

_FORMATS = {".gif": "GIF", ".webp": "WEBP", ".png": "PNG", ".apng": "PNG"}
_BAD_DATA = (OSError, EOFError, SyntaxError, ValueError)  # what Pillow raises on broken files
_DEFAULT_MS = 100  # what browsers show a frame with no (or zero) duration for


class AnimationReader:
    """An opened animation: ``info`` from its header, then ``frames()`` one at a time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = f"'{self.path.name}'"
        self._image = _open(self.path, self.name)
        self.metadata = media_metadata.from_pil(self._image)
        self._alpha = self._image.mode in ("RGBA", "LA", "PA") or "transparency" in self._image.info
        self.info = self._read_info()

    @property
    def audio_stream(self) -> None:
        """Animations have no sound."""
        return None

    def _read_info(self) -> MediaInfo:
        count = int(getattr(self._image, "n_frames", 1))
        first = int(self._image.info.get("duration") or _DEFAULT_MS)
        loop = self._image.info.get("loop")
        return MediaInfo("animation", str(self._image.format), *self._image.size, count, None,
                         Fraction(1000, first), MILLISECOND, True, None, None if loop is None else int(loop))

    def frames(self, on_audio: Any = None) -> Iterator[Frame]:
        """Every frame, whole, with its duration in milliseconds."""
        pts = 0
        for index in range(self.info.frames or 1):
            pixels, duration = self._decode(index)
            yield Frame(pixels, pts, duration, MILLISECOND)
            pts += duration

    def _decode(self, index: int) -> tuple[np.ndarray, int]:
        try:
            self._image.seek(index)
            pixels = np.asarray(self._image.convert("RGBA" if self._alpha else "RGB"))
        except _BAD_DATA as exc:
            raise MediaError(f"{self.name} is truncated or corrupt (frame {index + 1} cannot be decoded)",
                             why=str(exc), fix="re-export the animation", action="re-export") from exc
        return pixels, int(self._image.info.get("duration") or _DEFAULT_MS)

    def close(self) -> None:
        """Close the file."""
        self._image.close()

    def __enter__(self) -> "AnimationReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(path: Path, name: str) -> Image.Image:
    if not path.is_file():
        raise MediaError(f"{name} does not exist (or is not a file); check the path")
    try:
        return Image.open(path, formats=("GIF", "PNG", "WEBP"))
    except _BAD_DATA as exc:
        raise MediaError(f"{name} is not an animated GIF, WebP or PNG, or is truncated or corrupt",
                         why=str(exc), fix="re-export the animation", action="re-export") from exc


def is_animated(path: str | Path) -> bool:
    """Whether ``path`` is a GIF/WebP/PNG with more than one frame (False for anything else)."""
    try:
        with Image.open(path, formats=("GIF", "PNG", "WEBP")) as image:
            return bool(getattr(image, "is_animated", False))
    except _BAD_DATA:
        return False


def is_media(path: str | Path) -> bool:
    """Whether ``path`` is a video (by its suffix) or an animated GIF/WebP/PNG (this imports no PyAV)."""
    kind = kind_of(path)
    return kind == "video" or (kind == "animation" and is_animated(path))


class AnimationWriter:
    """Collects frames and saves them as one animation on ``close()``."""

    def __init__(self, path: str | Path, *, loop: int | None, lossless: bool = False, quality: int = 90,
                 metadata: media_metadata.ImageMetadata | None = None):
        self.path = Path(path)
        self.format = _FORMATS[self.path.suffix.lower()]
        self.notes: list[str] = []
        self._loop, self._lossless, self._quality, self._metadata = loop, lossless, quality, metadata
        self._images: list[Image.Image] = []
        self._durations: list[int] = []

    def audio(self, packet: Any) -> None:
        """Animations hold no sound: audio is dropped (the caller notes it)."""

    def write(self, frame: Frame) -> None:
        """Add one frame; its duration becomes whole milliseconds."""
        self._images.append(Image.fromarray(np.ascontiguousarray(frame.upright())))  # no display matrix here
        self._durations.append(max(1, round(frame.seconds * 1000)))

    def close(self) -> None:
        """Encode every frame into the file."""
        if not self._images:
            raise MediaError(f"no frames to write to '{self.path.name}'")
        first, *rest = self._images
        first.save(self.path, self.format, **self._save_options(rest))
        self._images.clear()

    def abort(self) -> None:
        """Drop the collected frames."""
        self._images.clear()

    def _save_options(self, rest: list[Image.Image]) -> dict[str, Any]:
        options: dict[str, Any] = {"save_all": True, "append_images": rest, "duration": self._durations}
        if self._loop is not None:  # GIF: no loop block means "play once"
            options["loop"] = self._loop
        if self.format == "WEBP":
            options.update(lossless=self._lossless, quality=100 if self._lossless else self._quality, method=4)
        elif self.format == "GIF":
            options["disposal"] = 2 if self._images[0].mode == "RGBA" else 1
        elif self.format == "PNG":
            options.update(disposal=0, blend=0)  # every frame is whole: it replaces the last
        metadata = media_metadata.for_output(self._metadata, *self._images[0].size)
        return {**options, **media_metadata.save_options(metadata, self.format)}
