"""Image metadata that outputs keep: the ICC profile, EXIF and XMP of the input.

ICC: kept as-is, not converted to sRGB. The networks see the file's encoded RGB values and the
models ganhub runs (super-resolution, restoration, inpainting, painting styles) map them to
values in the same encoding, so the input's profile still describes the output. Converting to
sRGB first (ImageCms) would clip wide-gamut colours (Display P3, Adobe RGB) and change every
pixel, for no gain; keeping the profile shows the output in the colours the user already sees.
Only RGB profiles are kept: ganhub writes RGB, so a CMYK or gray profile (imaging converts
those modes to RGB) would describe pixels that are not there.

EXIF: kept with the orientation reset to 1 (imaging has already turned the pixels upright) and
the pixel dimensions set to the output's. XMP: kept, its orientation reset likewise. GPS and
everything else stay unless the caller strips metadata (``--strip-metadata``).

``made_by`` is the output's own record of how it was made (:mod:`ganhub.media.provenance`),
written as a PNG iTXt chunk, an EXIF UserComment (JPEG, WebP) or a GIF comment.

This module needs only Pillow: imaging imports it, so it must not import imaging.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from ganhub.png import chunk

_ORIENTATION, _EXIF_IFD = 0x0112, 0x8769
_IMAGE_WIDTH, _IMAGE_LENGTH = 0x0100, 0x0101  # IFD0 (TIFF-style writers)
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003  # Exif IFD
_USER_COMMENT = 0x9286  # Exif IFD: free text, where the provenance record goes
_EXIF_HEADER = b"Exif\x00\x00"
_XMP_KEY = "XML:com.adobe.xmp"
_RECORD_KEY = "ganhub"  # the PNG keyword of the provenance record (provenance.KEY)
_XMP_ORIENTATION = re.compile(rb"(tiff:Orientation\s*=\s*[\"']|<tiff:Orientation>)\s*[1-8]")


@dataclass(frozen=True)
class ImageMetadata:
    """What an output carries over from its input (each part None when absent)."""

    icc: bytes | None = None  # an RGB ICC profile, byte for byte
    exif: bytes | None = None  # serialised EXIF, starting with b"Exif\\0\\0"
    xmp: bytes | None = None  # the XMP packet (UTF-8 XML)
    made_by: str | None = None  # the provenance record (JSON) of the output, never of the input

    def __bool__(self) -> bool:
        return any((self.icc, self.exif, self.xmp, self.made_by))


def with_record(metadata: ImageMetadata | None, record: str | None) -> ImageMetadata | None:
    """``metadata`` (None once stripped) plus an output's provenance record."""
    if not record:
        return metadata
    return replace(metadata or ImageMetadata(), made_by=record)


def from_pil(image: Image.Image) -> ImageMetadata | None:
    """The ICC profile, EXIF and XMP of an opened image; None when it has none of them."""
    found = ImageMetadata(_rgb_icc(image.info.get("icc_profile")), _exif_bytes(image), _xmp_bytes(image))
    return found or None


def _rgb_icc(profile: Any) -> bytes | None:
    """The profile when it describes RGB data (bytes 16..20 of the header name the colour space)."""
    if not isinstance(profile, (bytes, bytearray)) or len(profile) < 128:
        return None
    return bytes(profile) if profile[16:20] == b"RGB " else None


def _exif_bytes(image: Image.Image) -> bytes | None:
    try:
        exif = image.getexif()
        return exif.tobytes() if len(exif) else None
    except Exception:  # a broken EXIF block costs the metadata, never the image
        return None


def _xmp_bytes(image: Image.Image) -> bytes | None:
    xmp = image.info.get("xmp") or image.info.get(_XMP_KEY)
    if xmp is None and image.format == "TIFF":
        xmp = getattr(image, "tag_v2", {}).get(700)  # TIFF keeps XMP in tag 700
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return bytes(xmp) if isinstance(xmp, (bytes, bytearray)) and xmp else None


def for_output(metadata: ImageMetadata | None, width: int, height: int) -> ImageMetadata | None:
    """``metadata`` fit for an upright ``width``×``height`` output: orientation 1, sizes updated,
    and the provenance record (if any) in the EXIF UserComment, so EXIF readers find it too."""
    if not metadata:
        return None
    exif = metadata.exif
    if exif or metadata.made_by:
        exif = _output_exif(exif, width, height, metadata.made_by)
    xmp = _XMP_ORIENTATION.sub(rb"\g<1>1", metadata.xmp) if metadata.xmp else None
    return ImageMetadata(metadata.icc, exif, xmp, metadata.made_by)


def _output_exif(data: bytes | None, width: int, height: int, record: str | None) -> bytes | None:
    exif = Image.Exif()
    try:
        if data:
            exif.load(data)
        if _ORIENTATION in exif:
            exif[_ORIENTATION] = 1
        _update_sizes(exif, width, height)
        if record:  # replaces the input's comment (an input made by ganhub carries its own record)
            from ganhub.media.provenance import user_comment

            exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = user_comment(record)
        return exif.tobytes()
    except Exception:  # unreadable EXIF is dropped rather than written back broken
        return None


def _update_sizes(exif: Image.Exif, width: int, height: int) -> None:
    """Set the dimension tags the input had (never adds ones it did not have)."""
    for tag, value in ((_IMAGE_WIDTH, width), (_IMAGE_LENGTH, height)):
        if tag in exif:
            exif[tag] = value
    if _EXIF_IFD in exif:
        ifd = exif.get_ifd(_EXIF_IFD)
        for tag, value in ((_PIXEL_X, width), (_PIXEL_Y, height)):
            if tag in ifd:
                ifd[tag] = value


def save_options(metadata: ImageMetadata | None, fmt: str) -> dict[str, Any]:
    """Pillow ``save`` keywords that write ``metadata`` into a PNG, JPEG, WebP or animation."""
    if not metadata:
        return {}
    options: dict[str, Any] = {}
    if metadata.icc:
        options["icc_profile"] = metadata.icc
    if metadata.exif and fmt in ("PNG", "JPEG", "WEBP"):
        options["exif"] = metadata.exif
    if metadata.xmp and fmt in ("JPEG", "WEBP"):
        options["xmp"] = metadata.xmp
    if metadata.made_by and fmt == "GIF":
        options["comment"] = metadata.made_by.encode("utf-8")
    if fmt == "PNG" and (metadata.xmp or metadata.made_by):
        options["pnginfo"] = _png_text(metadata)
    return options


def _png_text(metadata: ImageMetadata) -> Any:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if metadata.xmp:
        info.add_itxt(_XMP_KEY, metadata.xmp.decode("utf-8", "replace"))
    if metadata.made_by:
        info.add_itxt(_RECORD_KEY, metadata.made_by)
    return info


def png_chunks(metadata: ImageMetadata | None) -> bytes:
    """``metadata`` as PNG chunks (ICC profile, EXIF, XMP and the provenance record as iTXt)."""
    if not metadata:
        return b""
    chunks = b""
    if metadata.icc:
        chunks += chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(metadata.icc))
    if metadata.exif:
        exif = metadata.exif
        chunks += chunk(b"eXIf", exif[len(_EXIF_HEADER):] if exif.startswith(_EXIF_HEADER) else exif)
    if metadata.xmp:
        chunks += _itxt(_XMP_KEY, metadata.xmp)
    if metadata.made_by:
        chunks += _itxt(_RECORD_KEY, metadata.made_by.encode("utf-8"))
    return chunks


def _itxt(keyword: str, text: bytes) -> bytes:
    """An uncompressed iTXt chunk: keyword, flags, empty language and translated keyword, text."""
    return chunk(b"iTXt", keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text)
