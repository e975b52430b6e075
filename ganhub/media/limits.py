"""How long and how large a video or animation may be, checked from the header before decoding."""

from __future__ import annotations

from dataclasses import dataclass

from ganhub.media.frames import MediaError, MediaInfo


@dataclass(frozen=True)
class MediaLimits:
    """The largest input accepted; each limit is refused from the container header."""

    max_seconds: float = 600.0  # 10 minutes
    max_frames: int = 18_000  # 10 minutes at 30 fps
    max_pixels: int = 3840 * 2160  # per frame: 4K UHD


def check_limits(info: MediaInfo, limits: MediaLimits, name: str) -> None:
    """Raise MediaError naming the limit that ``info`` is over (nothing is decoded yet)."""
    if info.pixels > limits.max_pixels:
        raise MediaError(f"{name} is {info.width}×{info.height} = {info.pixels / 1e6:.1f} MP per frame",
                         why=f"over the {limits.max_pixels / 1e6:.1f} MP limit",
                         fix="downscale it first, or raise the pixel limit", action="downscale")
    if info.seconds is not None and info.seconds > limits.max_seconds:
        raise MediaError(f"{name} lasts {info.seconds:.1f} s", why=f"over the {limits.max_seconds:g} s limit",
                         fix="cut it shorter, or raise the duration limit", action="shorter-media")
    if info.frames is not None and info.frames > limits.max_frames:
        raise MediaError(f"{name} has {info.frames} frames", why=f"over the {limits.max_frames} frame limit",
                         fix="cut it shorter, or raise the frame limit", action="shorter-media")


def check_count(decoded: int, limits: MediaLimits, name: str) -> None:
    """Stop decoding when a header understated the frame count."""
    if decoded > limits.max_frames:
        raise MediaError(f"{name} has more than {limits.max_frames} frames", why="over the frame limit",
                         fix="cut it shorter, or raise the frame limit", action="shorter-media")
