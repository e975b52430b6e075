"""The input's audio in the output: packets copied as they are (remuxed, never re-encoded) when
the output container can hold the codec, else re-encoded once to the container's own codec
(e.g. AAC into WebM becomes Opus) and said so in a note."""

from __future__ import annotations

from typing import Any

# The audio codec each output container gets when the input's cannot be copied into it.
_FALLBACK = {".webm": "libopus", ".mkv": "libopus"}
_DEFAULT_FALLBACK = "aac"


class AudioTrack:
    """Moves one input audio stream into an output container, packet by packet."""

    def __init__(self, container: Any, source: Any, suffix: str):
        self._container = container
        self.copied = True
        try:
            self._stream = container.add_stream_from_template(source)
        except ValueError:  # "format does not support codec": re-encode, once
            self.copied = False
            self._stream = _encoder(container, source, _FALLBACK.get(suffix, _DEFAULT_FALLBACK))

    @property
    def note(self) -> str:
        """What happened to the audio, for the user."""
        if self.copied:
            return f"audio copied unchanged ({self._stream.codec_context.name})"
        return f"audio re-encoded to {self._stream.codec_context.name} (the container cannot hold the original)"

    def write(self, packet: Any) -> None:
        """Copy ``packet`` into the output (or decode and re-encode it)."""
        if self.copied:
            packet.stream = self._stream
            self._container.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None  # the encoder numbers its own samples
            self._mux(self._stream.encode(frame))

    def close(self) -> None:
        """Flush a re-encoder (copying needs nothing)."""
        if not self.copied:
            self._mux(self._stream.encode(None))

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self._container.mux(packet)


def _encoder(container: Any, source: Any, codec: str) -> Any:
    rate = 48_000 if codec == "libopus" else source.codec_context.sample_rate  # Opus runs at 48 kHz
    stream = container.add_stream(codec, rate=rate)
    stream.layout = source.codec_context.layout.name if source.codec_context.layout else "stereo"
    return stream
