"""Image input and output with explicit limits and modes; animations out.

Decoding checks the pixel count from the header before any pixel is decoded, refuses
truncated files, handles every common PIL mode on purpose (nothing is silently clipped or
reinterpreted) and keeps 16-bit precision. Padding and tiled inference on the decoded
arrays live in :mod:`ganhub.tiling`.

This module deliberately never imports torch: networks reach it as plain numpy callables.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Sequence, Union

import numpy as np
from PIL import Image, ImageFile

from ganhub import atomic, png
from ganhub.errors import GanhubError, ImageError
from ganhub.media import metadata as media_metadata

DEFAULT_MAX_PIXELS = 40_000_000
"""Largest input read_image accepts by default (40 MP, about 1.4 GB as float32 RGB)."""

Source = Union[str, "os.PathLike[str]", bytes, bytearray, Image.Image, np.ndarray]

_ORIENTATION_TAG = 0x0112
# EXIF orientation → (note, the array operation PIL's exif_transpose would apply).
_ORIENTATIONS: dict[int, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    2: ("mirror horizontally", lambda a: a[:, ::-1]),
    3: ("rotate 180", lambda a: a[::-1, ::-1]),
    4: ("mirror vertically", lambda a: a[::-1]),
    5: ("transpose", lambda a: a.swapaxes(0, 1)),
    6: ("rotate 90 clockwise", lambda a: np.rot90(a, k=-1)),
    7: ("transverse", lambda a: a.swapaxes(0, 1)[::-1, ::-1]),
    8: ("rotate 90 counter-clockwise", lambda a: np.rot90(a, k=1)),
}
# File signatures: a file that starts like an image but fails to open is corrupt, not "not an image".
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")
_SIXTEEN_BIT_GRAY = {"I;16", "I;16B", "I;16L", "I;16N"}
# Formats PIL may open: the common raster ones. Leaving out the rest keeps exotic decoders
# (EPS runs Ghostscript) away from untrusted uploads. (Camera MPO files open through JPEG.)
_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "PPM")
_ANIMATED_FORMATS = {"PNG", "GIF", "WEBP"}
_WRITABLE = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
PNG_LEVEL_ENV = "GANHUB_PNG_LEVEL"
QUANTIZE_BAND_BYTES = 16 << 20  # float rows converted to 8/16 bits at a time
# zlib level 1 writes a ×4 upscale about 2.7× faster than Pillow's default 6 for files ~13 %
# larger: at level 6 writing the PNG took 18 % of a whole onnx run. 0 (stored) to 9 (smallest).
DEFAULT_PNG_LEVEL = 1

# PIL's decompression-bomb limit and truncated-image switch are module globals; we swap them
# only under this lock so two read_image calls never see each other's half-restored values.
_PIL_GLOBALS = threading.Lock()


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays element-wise is not equality
class DecodedImage:
    """A decoded image: float RGB in [0, 1], optional alpha, and how it was obtained."""

    rgb: np.ndarray  # float32, H×W×3, values in [0, 1], C-contiguous
    alpha: np.ndarray | None  # float32, H×W, [0, 1]; None when the source had no alpha
    bit_depth: int  # 8 or 16: precision of the source, so outputs can be written back alike
    mode: str  # source PIL mode ("RGB", "P", "I;16" …); "RGB;16"/"RGBA;16" for 16-bit colour
    notes: tuple[str, ...] = ()  # what was done that the user should know
    metadata: media_metadata.ImageMetadata | None = None  # ICC/EXIF/XMP an output keeps (None for arrays)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])


# -- decoding -----------------------------------------------------------------------------


def read_image(source: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Decode a file path, encoded bytes, PIL image or numpy array into a DecodedImage.

    The pixel count is checked against ``max_pixels`` from the header, before decoding.
    Arrays may be H×W, H×W×1..4 of uint8, uint16, bool or float (float must lie in [0, 1]).
    Mode decisions: PIL mode "I" (int32) is read as 16-bit gray and refused outside 0..65535;
    float data (mode "F", float arrays) must lie in [0, 1] and is never clipped; float input
    reports bit_depth 16 so its precision survives writing. Raises ImageError naming the
    problem and the fix for anything that cannot be used.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels)
    if isinstance(source, Image.Image):
        return _from_pil(source, "the PIL image", None, max_pixels)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if not data:
            raise ImageError("the image data is empty (0 bytes); pass the content of an image file")
        return _from_file(io.BytesIO(data), "the image data", data[:32], max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        head = _read_head(path)
        with open(path, "rb") as handle:
            return _from_file(handle, f"'{path}'", head, max_pixels)
    raise ImageError(f"cannot read an image from {type(source).__name__}; pass a path, bytes, PIL image or array")


def _read_head(path: Path) -> bytes:
    """The first bytes of ``path``, after refusing missing, directory and empty files."""
    if not path.exists():
        raise ImageError(f"'{path}' does not exist; check the path")
    if path.is_dir():
        raise ImageError(f"'{path}' is a folder, not an image file")
    if path.stat().st_size == 0:
        raise ImageError(f"'{path}' is empty (0 bytes); re-export or re-download the image")
    with open(path, "rb") as handle:
        return handle.read(32)


@contextmanager
def _pil_strict(active: bool = True) -> Iterator[None]:
    """Turn off PIL's bomb check (ours runs first, with a clearer message) and truncated loading."""
    if not active:
        yield
        return
    with _PIL_GLOBALS:
        saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = None, False
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def open_own(path: str | Path) -> Image.Image:
    """Open a file ganhub itself wrote (a result): its size was checked when its input was read,
    so PIL's bomb check, which refuses ×4 outputs over 179 MP, does not apply."""
    with _pil_strict():
        image = Image.open(path)  # the check runs here, on the header
    image.load()
    return image


def _from_file(handle: IO[bytes], name: str, head: bytes, max_pixels: int) -> DecodedImage:
    # Opening only parses the header, so holding the lock here is cheap.
    Image.init()  # registers every plugin once, so the formats named in _FORMATS are known
    try:
        with _pil_strict():
            image = Image.open(handle, formats=_FORMATS)
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if head.startswith(_MAGIC):  # PIL's own message here only repeats "cannot identify"
            raise ImageError(f"{name} is truncated or corrupt (its header cannot be read); re-export it") from exc
        supported = "PNG, JPEG, WebP, GIF, BMP or TIFF"
        raise ImageError(f"{name} is not an image (or not a supported format); use {supported}") from exc
    with image:
        return _from_pil(image, name, head, max_pixels)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        megapixels, limit = width * height / 1e6, max_pixels / 1e6
        raise ImageError(f"image is {width}×{height} = {megapixels:.1f} MP, over the {limit:.1f} MP limit",
                         fix=f"downscale it to at most {limit:.1f} MP", action="downscale")


def _from_pil(image: Image.Image, name: str, head: bytes | None, max_pixels: int) -> DecodedImage:
    width, height = image.size
    _check_pixels(width, height, max_pixels)
    notes: list[str] = []
    # A guard is only needed when PIL's globals would interfere: a limit below ours, or
    # someone having enabled partial decoding of truncated files.
    limit = Image.MAX_IMAGE_PIXELS
    guard = ImageFile.LOAD_TRUNCATED_IMAGES or (limit is not None and max_pixels > limit)
    try:
        with _pil_strict(guard):
            frames = int(getattr(image, "n_frames", 1))
            if frames > 1:
                kind = "animated" if image.format in _ANIMATED_FORMATS else "multi-frame"
                notes.append(f"{kind} image: used frame {image.tell() + 1} of {frames}")
            if head is not None and _is_deep_colour(image, head):
                rgb, alpha, mode = _decode_deep_colour(image)
                bit_depth = 16
            else:
                image.load()
                rgb, alpha, bit_depth, mode = _pil_arrays(image, notes)
    except ImageError:
        raise
    except (OSError, SyntaxError, EOFError, ValueError) as exc:  # what PIL's decoders raise on bad data
        raise ImageError(f"{name} is truncated or corrupt ({exc}); re-export or re-download it") from exc
    orientation = _orientation(image)
    if orientation in _ORIENTATIONS:
        note, orient = _ORIENTATIONS[orientation]
        rgb, alpha = orient(rgb), None if alpha is None else orient(alpha)
        notes.append(f"applied EXIF orientation ({note})")
    return replace(_decoded(rgb, alpha, bit_depth, mode, notes), metadata=media_metadata.from_pil(image))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block should not cost the user the image
        return 1


def _is_deep_colour(image: Image.Image, head: bytes) -> bool:
    """Whether PIL would reduce this file to 8 bits (16-bit colour/gray+alpha PNG or TIFF)."""
    if image.format == "PNG" and head.startswith(_MAGIC[0]) and len(head) >= 26:
        return head[24] == 16 and head[25] in (2, 4, 6)  # bit depth, colour type (RGB, LA, RGBA)
    if image.format == "TIFF" and image.mode in ("RGB", "RGBA", "RGBX", "LA"):
        bits = getattr(image, "tag_v2", {}).get(258, (8,))
        return max(bits if isinstance(bits, tuple) else (bits,)) == 16
    return False


def _decode_deep_colour(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Decode 16-bit colour with OpenCV, which keeps all 16 bits that PIL would drop."""
    import cv2

    fp = image.fp
    if fp is None:
        raise OSError("file already closed")
    fp.seek(0)
    pixels = cv2.imdecode(np.frombuffer(fp.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.dtype != np.uint16:
        raise OSError("OpenCV could not decode the 16-bit data")
    channels = pixels.reshape(*pixels.shape[:2], -1).astype(np.float32) / 65535.0
    if channels.shape[2] == 1:
        return np.repeat(channels, 3, axis=2), None, "I;16"
    if channels.shape[2] == 2:
        return np.repeat(channels[..., :1], 3, axis=2), channels[..., 1], "LA;16"
    rgb = channels[..., 2::-1]  # OpenCV orders channels BGR(A)
    alpha = channels[..., 3] if channels.shape[2] == 4 else None
    return rgb, alpha, "RGB;16" if alpha is None else "RGBA;16"


def _pil_arrays(image: Image.Image, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None, int, str]:
    """(rgb, alpha, bit_depth, source mode) for a loaded PIL image, mode by mode."""
    mode = image.mode
    if mode in _SIXTEEN_BIT_GRAY:
        return _gray(np.asarray(image).astype(np.float32) / 65535.0), None, 16, mode
    if mode == "I":
        return _gray(_int32_as_16_bit(np.asarray(image))), None, 16, mode
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        _require_unit_range(values, "the float (mode F) image")
        return _gray(values), None, 16, mode
    if mode in ("1", "L"):
        return _gray(np.asarray(image).astype(np.float32) / (1.0 if mode == "1" else 255.0)), None, 8, mode
    if mode in ("LA", "La"):
        pixels = np.asarray(image.convert("LA"), dtype=np.float32) / 255.0
        return _gray(pixels[..., 0]), pixels[..., 1], 8, mode
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info  # a transparent palette index
        converted = image.convert("RGBA" if has_alpha else "RGB")
        return *_rgb_alpha(converted), 8, mode
    if mode in ("RGBA", "RGBa"):
        return *_rgb_alpha(image.convert("RGBA")), 8, mode
    if mode != "RGB":
        try:
            image = image.convert("RGB")
        except ValueError as exc:
            raise ImageError(f"image mode '{mode}' is not supported; convert the image to RGB first") from exc
        notes.append(f"converted {mode} to RGB" + (" (no ICC colour management)" if mode == "CMYK" else ""))
    return np.asarray(image, dtype=np.float32) / 255.0, None, 8, mode


def _rgb_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return pixels[..., :3], (pixels[..., 3] if pixels.shape[2] == 4 else None)


def _gray(values: np.ndarray) -> np.ndarray:
    return np.repeat(values[..., None], 3, axis=2)


def _int32_as_16_bit(values: np.ndarray) -> np.ndarray:
    # PIL mode "I" is int32; 16-bit grayscale files arrive this way, holding 0..65535.
    low, high = int(values.min()), int(values.max())
    if low < 0 or high > 65535:
        raise ImageError(
            f"32-bit integer image has values {low}..{high}, outside the 16-bit range 0..65535; "
            "convert it to 16-bit or 8-bit first"
        )
    return values.astype(np.float32) / 65535.0


def _require_unit_range(values: np.ndarray, what: str) -> None:
    """Refuse float data outside [0, 1] rather than clip it and silently change the picture."""
    if values.size and not np.isfinite(values).all():
        raise ImageError(f"{what} contains NaN or infinite values; fix the data before passing it")
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if low < 0.0 or high > 1.0:
        raise ImageError(
            f"{what} has values in [{low:.4g}, {high:.4g}], outside [0, 1]; "
            "rescale it to [0, 1] (e.g. divide 8-bit data by 255)"
        )


def _from_array(array: np.ndarray, max_pixels: int) -> DecodedImage:
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        channels = array.shape[2]
    elif array.ndim == 2:
        channels = 1
    else:
        raise ImageError(f"array of shape {array.shape} is not an image; use H×W, H×W×3 or H×W×4")
    _check_pixels(array.shape[1], array.shape[0], max_pixels)
    values, bit_depth, suffix = _array_values(array)
    values = values.reshape(array.shape[0], array.shape[1], channels)
    layout = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    colour = np.repeat(values[..., :1], 3, axis=2) if channels <= 2 else values[..., :3]
    alpha = values[..., -1] if channels in (2, 4) else None
    return _decoded(colour, alpha, bit_depth, layout + suffix, [])


def _array_values(array: np.ndarray) -> tuple[np.ndarray, int, str]:
    """float32 values in [0, 1], the bit depth and a mode suffix for an array's dtype."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0, 8, ""
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0, 16, ";16"
    if array.dtype == np.bool_:
        return array.astype(np.float32), 8, ";1"
    if np.issubdtype(array.dtype, np.floating):
        _require_unit_range(array, "the float array")
        # Float data carries more than 8 bits, so outputs are written at 16 bits to keep them.
        return array.astype(np.float32), 16, ";F"
    raise ImageError(f"array dtype {array.dtype} is not supported; use uint8, uint16 or float in [0, 1]")


def _decoded(rgb: np.ndarray, alpha: np.ndarray | None, bit_depth: int, mode: str, notes: list[str]) -> DecodedImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.float32)
    alpha = None if alpha is None else np.ascontiguousarray(alpha, dtype=np.float32)
    return DecodedImage(rgb, alpha, bit_depth, mode, tuple(notes))


# -- encoding -----------------------------------------------------------------------------


def quantize(values: np.ndarray, bit_depth: int, what: str = "image") -> np.ndarray:
    """Float [0, 1] (or uint8/uint16) → uint8 or uint16; network overshoot is clipped.

    An array already at ``bit_depth`` is returned as it is (no copy: large results arrive
    quantized, see ``Engine.run(quantized=True)``).
    """
    if bit_depth not in (8, 16):
        raise ImageError(f"bit_depth is {bit_depth}; use 8 or 16")
    target = np.dtype(np.uint16 if bit_depth == 16 else np.uint8)
    if values.dtype == target:
        return values
    source_top = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(values.dtype, 1.0)
    top = 65535.0 if bit_depth == 16 else 255.0
    out = np.empty(values.shape, target)
    # A band of rows at a time: a ×4 output is GBs of float32, and clip, scale and round over
    # the whole array at once would hold two more float copies of it.
    rows = max(1, QUANTIZE_BAND_BYTES // max(1, values[:1].size * 4))
    for top_row in range(0, values.shape[0], rows):
        band = np.asarray(values[top_row : top_row + rows], dtype=np.float32)
        if source_top == 1.0 and not np.isfinite(band).all():
            raise ImageError(f"{what} contains NaN or infinite values; the model output is broken")
        scaled = np.clip(band, 0.0, source_top) * (top / source_top)
        out[top_row : top_row + rows] = np.rint(scaled, out=scaled)
    return out


def _check_layout(rgb: np.ndarray, alpha: np.ndarray | None) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ImageError(f"rgb has shape {rgb.shape}; expected H×W×3")
    if alpha is not None and alpha.shape != rgb.shape[:2]:
        raise ImageError(f"alpha has shape {alpha.shape}; expected {rgb.shape[:2]} to match rgb")


def to_pil(rgb: np.ndarray, alpha: np.ndarray | None = None, bit_depth: int = 8) -> Image.Image:
    """An 8-bit RGB or RGBA PIL image of float [0, 1] data (values outside are clipped).

    PIL has no 16-bit-per-channel colour mode, so ``bit_depth=16`` is accepted but the
    result still has 8-bit channels; use write_image to keep 16 bits in a file.
    """
    _check_layout(rgb, alpha)
    if bit_depth not in (8, 16):
        raise ImageError(f"bit_depth is {bit_depth}; use 8 or 16")
    pixels = quantize(rgb, 8, "rgb")
    if alpha is None:
        return Image.fromarray(pixels)
    return Image.fromarray(np.dstack([pixels, quantize(alpha, 8, "alpha")]))


def write_image(
    path: str | os.PathLike[str], rgb: np.ndarray, alpha: np.ndarray | None = None, bit_depth: int = 8,
    *, metadata: media_metadata.ImageMetadata | None = None, png_level: int | None = None,
) -> Path:
    """Write PNG (8 or 16 bits per channel), JPEG or WebP, chosen by the file extension.

    ``png_level`` is zlib's 0–9 (default: $GANHUB_PNG_LEVEL, else 1, chosen for speed).

    JPEG and WebP hold 8 bits only, so ``bit_depth`` applies to PNG; JPEG has no alpha,
    so passing alpha with a .jpg path raises ImageError. ``metadata`` (an input's
    ``DecodedImage.metadata``) is written along: ICC, EXIF (orientation reset, sizes updated),
    XMP; None writes none. Returns the written path.
    """
    path = Path(path)
    fmt = _WRITABLE.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"cannot write '{path.suffix or path.name}' files; use .png, .jpg or .webp")
    _check_layout(rgb, alpha)
    if alpha is not None and fmt == "JPEG":
        raise ImageError(f"JPEG cannot store transparency; write '{path.with_suffix('.png').name}' (use .png)")
    metadata = media_metadata.for_output(metadata, rgb.shape[1], rgb.shape[0])
    level = png_compression(png_level)
    if fmt == "PNG":
        return _write_png(path, rgb, alpha, bit_depth, level, metadata)
    image = to_pil(rgb, alpha)
    options = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}[fmt]
    options = {**options, **media_metadata.save_options(metadata, fmt)}
    with atomic.atomic_path(path) as temporary:  # a kill mid-write never leaves a torn file
        image.save(temporary, fmt, **options)
    return path


def png_compression(level: int | None = None) -> int:
    """The zlib level to write PNGs with: ``level``, else $GANHUB_PNG_LEVEL, else 1."""
    if level is None:
        text = os.environ.get(PNG_LEVEL_ENV, "").strip()
        try:
            level = int(text) if text else DEFAULT_PNG_LEVEL
        except ValueError:
            raise GanhubError(f"{PNG_LEVEL_ENV}={text!r} is not a number", fix="set it to 0 (fastest) … 9 (smallest)") from None
    if not 0 <= level <= 9:
        raise GanhubError(f"PNG compression level {level} is out of range", fix="use 0 (fastest) … 9 (smallest)")
    return level


def _write_png(path: Path, rgb: np.ndarray, alpha: np.ndarray | None, bit_depth: int, level: int,
               metadata: media_metadata.ImageMetadata | None) -> Path:
    """A PNG of 8 or 16 bits per channel, streamed from the quantized rows (see ganhub.png)."""
    pixels = quantize(rgb, bit_depth, "rgb")
    opacity = None if alpha is None else quantize(alpha, bit_depth, "alpha")
    with atomic.atomic_path(path) as temporary, open(temporary, "wb") as handle:
        png.write_png(handle, pixels, opacity, level=level, extra_chunks=media_metadata.png_chunks(metadata))
    return path


# -- animations ----------------------------------------------------------------------------
ANIMATION_FORMATS = (".webp", ".gif")


def write_animation(frames: Sequence[np.ndarray], path: str | Path, fps: float = 12.0,
                    loop: int = 0, quality: int = 90) -> Path:
    """Write frames (H×W×3, float in [0, 1] or uint8) as an animated .webp or .gif; returns the path.

    ``loop`` = 0 repeats forever; ``quality`` applies to WebP (GIF is palette-quantised per frame).
    """
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_FORMATS:
        raise ImageError(f"cannot write '{path.name}': animations are {' or '.join(ANIMATION_FORMATS)}")
    if not frames:
        raise ImageError("no frames to write")
    if not 0.1 <= fps <= 100:
        raise ImageError(f"fps is {fps}; use 0.1..100")
    shapes = {np.shape(frame) for frame in frames}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3 or next(iter(shapes))[2] != 3:
        raise ImageError(f"frames must all be H×W×3 of one size, got shapes {sorted(shapes)[:3]}")
    images = [Image.fromarray(_to_uint8(frame)) for frame in frames]
    options: dict[str, Any] = {"save_all": True, "append_images": images[1:], "loop": loop,
                               "duration": max(1, round(1000.0 / fps))}
    if suffix == ".webp":
        options.update(quality=quality, method=4)
    with atomic.atomic_path(path) as temporary:
        images[0].save(temporary, format="WEBP" if suffix == ".webp" else "GIF", **options)
    return path


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return np.ascontiguousarray(frame)
    return np.ascontiguousarray(np.round(np.clip(frame, 0.0, 1.0) * 255.0).astype(np.uint8))
