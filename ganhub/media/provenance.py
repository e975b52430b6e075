"""How an output was made, written into the output itself and read back from it.

Every output ganhub writes carries one small JSON record: the ganhub version, the model id,
the weights it ran (source and sha256), the params, the seed (generate models), the runtime
and the device. It lives where each format keeps free text, so ordinary tools show it:

- PNG / APNG: an iTXt chunk with the keyword ``ganhub``;
- JPEG / WebP: the EXIF UserComment (ASCII-tagged, as the EXIF standard asks);
- GIF: the comment extension;
- video: a container tag ``ganhub`` (MP4/MOV need ``movflags=use_metadata_tags``, which the
  video writer sets; Matroska/WebM store any tag).

The record is kept with ``--strip-metadata`` too: it says nothing about the user or the photo
(a local weights file appears by its name and sha256, never its folder), only how the pixels
were made. This module needs only Pillow and imports nothing of ganhub's engine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganhub.engine import Engine

KEY = "ganhub"  # PNG keyword and video tag name
_EXIF_IFD, _USER_COMMENT = 0x8769, 0x9286
_ASCII = b"ASCII\x00\x00\x00"  # the 8-byte character-code prefix EXIF puts before a UserComment
_REMOTE = ("hf://", "pkg://", "http://", "https://")


@dataclass(frozen=True)
class Provenance:
    """What made an output (the fields ``ganhub run --like`` needs to make it again)."""

    model: str
    runtime: str = ""  # the runtime that ran ("torch" or "onnx"), never "auto"
    device: str = ""
    weights: str | None = None  # the source uri (hf://owner/repo/file@commit, pkg://…, or a file name)
    sha256: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None  # generate models only
    settings: dict[str, Any] = field(default_factory=dict)  # beyond params: count, video crf, mask mode …
    ganhub: str = ""

    def to_json(self) -> str:
        """One line of JSON, keys sorted, empty fields left out (short enough for any tag)."""
        record = {name: value for name, value in asdict(self).items() if value not in (None, "", {})}
        return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Provenance":
        """The record written by :meth:`to_json` (unknown keys from newer versions are ignored)."""
        data = json.loads(text)
        if not isinstance(data, dict) or "model" not in data:
            raise ValueError("not a ganhub record")
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def of_run(engine: "Engine", model_id: str, *, params: dict[str, Any] | None = None, runtime: str | None = None,
           device: str | None = None, weights: str | None = None, seed: int | None = None,
           settings: dict[str, Any] | None = None, on_status: Callable[[str], None] | None = None) -> Provenance:
    """The record for a run that just happened: the loaded model is looked up (cached, so this
    loads nothing new) for the runtime, device and weights it actually used."""
    from ganhub import __version__

    loaded = engine.load(model_id, runtime=runtime, device=device, weights=weights, on_status=on_status)
    resolved = loaded.weights
    return Provenance(
        model=model_id, runtime=loaded.session.runtime, device=loaded.session.device,
        weights=_public_uri(resolved.uri) if resolved else None, sha256=resolved.sha256 if resolved else None,
        params=_plain(loaded.model.spec.resolve_params(params)), seed=seed, settings=_plain(settings or {}),
        ganhub=__version__,
    )


def _public_uri(uri: str) -> str:
    """Remote sources as they are (they name commit and file); a local file by its name only."""
    return uri if uri.startswith(_REMOTE) else Path(uri).name


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with anything JSON cannot hold written as text."""
    return {key: value if isinstance(value, (bool, int, float, str, type(None))) else str(value)
            for key, value in values.items()}


# -- into and out of the formats ----------------------------------------------------------------


def user_comment(record: str) -> bytes:
    """The EXIF UserComment value for ``record`` (ASCII-tagged; JSON escapes non-ASCII)."""
    return _ASCII + json.dumps(json.loads(record), sort_keys=True, separators=(",", ":")).encode("ascii")


def from_user_comment(value: Any) -> str | None:
    """The record in an EXIF UserComment, or None when it holds something else."""
    if isinstance(value, str):
        value = value.encode("utf-8", "replace")
    if not isinstance(value, (bytes, bytearray)):
        return None
    text = bytes(value)[len(_ASCII):] if bytes(value).startswith(_ASCII) else bytes(value)
    return _record_or_none(text.decode("utf-8", "replace").strip("\x00 "))


def _record_or_none(text: str | None) -> str | None:
    if not text:
        return None
    try:
        Provenance.from_json(text)
    except (ValueError, TypeError):
        return None
    return text


def read(path: str | os.PathLike[str]) -> Provenance | None:
    """The record in an output ganhub wrote (image, animation or video); None when it has none."""
    path = Path(path)
    from ganhub.media.frames import kind_of

    text = _video_record(path) if kind_of(path) == "video" else _image_record(path)
    return Provenance.from_json(text) if text else None


def _image_record(path: Path) -> str | None:
    from PIL import Image

    with Image.open(path) as image:
        text = getattr(image, "text", {}).get(KEY) if image.format == "PNG" else None
        if text is None and image.format == "GIF":
            comment = image.info.get("comment")
            text = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else comment
        if text is None:
            text = from_user_comment(image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT))
    return _record_or_none(text)


def _video_record(path: Path) -> str | None:
    import av  # only here: reading a video's record is the one path that needs PyAV

    with av.open(str(path), metadata_errors="ignore") as container:
        tags = {key.lower(): value for key, value in container.metadata.items()}
    return _record_or_none(tags.get(KEY))
