"""ganhub.imaging: decoding every mode with limits, writing, padding and tiled inference."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from ganhub import imaging
from ganhub.errors import GanhubError, ImageError
from ganhub.imaging import (
    DEFAULT_MAX_PIXELS,
    read_image,
    to_pil,
    write_image,
)

skimage_data = pytest.importorskip("skimage.data")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage_data.astronaut()[100:196, 150:278]  # 96×128 uint8 RGB, a real photo


@pytest.fixture(scope="module")
def chelsea() -> np.ndarray:
    return skimage_data.chelsea()[60:140, 100:200]


def as8(values: np.ndarray) -> np.ndarray:
    return np.round(values * 255).astype(np.uint8)


def save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


# -- modes ---------------------------------------------------------------------------------


def test_rgb_png(astronaut, tmp_path):
    decoded = read_image(save(Image.fromarray(astronaut), tmp_path / "a.png"))
    assert (decoded.mode, decoded.bit_depth, decoded.alpha, decoded.notes) == ("RGB", 8, None, ())
    assert decoded.size == (128, 96) and decoded.rgb.dtype == np.float32 and decoded.rgb.flags.c_contiguous
    assert np.array_equal(as8(decoded.rgb), astronaut)


def test_rgba_png_keeps_alpha_exactly(astronaut, tmp_path):
    alpha = np.tile(np.arange(128, dtype=np.uint8) * 2, (96, 1))
    decoded = read_image(save(Image.fromarray(np.dstack([astronaut, alpha])), tmp_path / "a.png"))
    assert decoded.mode == "RGBA" and decoded.alpha is not None and decoded.alpha.shape == (96, 128)
    assert np.array_equal(as8(decoded.alpha), alpha)
    assert np.array_equal(as8(decoded.rgb), astronaut)


def test_gray_l_is_replicated(chelsea, tmp_path):
    gray = Image.fromarray(chelsea).convert("L")
    decoded = read_image(save(gray, tmp_path / "g.png"))
    assert decoded.mode == "L" and decoded.rgb.shape == (80, 100, 3)
    assert all(np.array_equal(as8(decoded.rgb[..., c]), np.asarray(gray)) for c in range(3))


def test_gray_alpha_la(chelsea, tmp_path):
    gray = np.asarray(Image.fromarray(chelsea).convert("L"))
    alpha = np.full_like(gray, 77)
    decoded = read_image(save(Image.fromarray(np.dstack([gray, alpha])), tmp_path / "la.png"))
    assert decoded.mode == "LA" and np.array_equal(as8(decoded.rgb[..., 1]), gray)
    assert np.array_equal(as8(decoded.alpha), alpha)


def test_palette_without_and_with_transparency(chelsea, tmp_path):
    paletted = Image.fromarray(chelsea).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    decoded = read_image(save(paletted, tmp_path / "p.png"))
    assert decoded.mode == "P" and decoded.alpha is None
    assert np.array_equal(as8(decoded.rgb), np.asarray(paletted.convert("RGB")))
    index = np.asarray(paletted)
    clear = int(index[0, 0])
    decoded = read_image(save(paletted, tmp_path / "pt.png", transparency=clear))
    assert decoded.mode == "P" and decoded.alpha is not None
    assert np.array_equal(decoded.alpha == 0, index == clear)


def test_cmyk_jpeg_is_converted_with_a_note(astronaut, tmp_path):
    decoded = read_image(save(Image.fromarray(astronaut).convert("CMYK"), tmp_path / "c.jpg", quality=95))
    assert decoded.mode == "CMYK" and any("converted CMYK to RGB" in n for n in decoded.notes)
    assert np.abs(decoded.rgb - astronaut / 255).mean() < 0.03


def test_bilevel_mode_1(chelsea, tmp_path):
    bits = np.asarray(Image.fromarray(chelsea).convert("L")) > 128
    decoded = read_image(save(Image.fromarray(bits), tmp_path / "b.png"))
    assert decoded.mode == "1" and np.array_equal(decoded.rgb[..., 0] == 1.0, bits)


def test_16_bit_gray_png(tmp_path):
    values = np.full((8, 10), 40000, np.uint16)
    values[0, 0] = 1
    decoded = read_image(save(Image.fromarray(values), tmp_path / "g16.png"))
    assert decoded.bit_depth == 16 and decoded.mode.startswith("I")
    assert abs(decoded.rgb[3, 3, 1] - 40000 / 65535) < 1e-6 and abs(decoded.rgb[0, 0, 0] - 1 / 65535) < 1e-6


def test_16_bit_rgb_png_keeps_all_bits(astronaut, tmp_path):
    rng = np.random.default_rng(0)
    deep = astronaut.astype(np.uint16) * 257 + rng.integers(0, 257, astronaut.shape).astype(np.uint16) // 2
    path = tmp_path / "rgb16.png"
    assert cv2.imwrite(str(path), deep[..., ::-1])
    decoded = read_image(path)
    assert (decoded.bit_depth, decoded.mode) == (16, "RGB;16")
    assert np.abs(decoded.rgb - deep / 65535).max() < 1e-6


def test_16_bit_rgba_png(astronaut, tmp_path):
    alpha = np.full(astronaut.shape[:2], 12345, np.uint16)
    path = tmp_path / "rgba16.png"
    assert cv2.imwrite(str(path), np.dstack([astronaut[..., ::-1].astype(np.uint16) * 257, alpha]))
    decoded = read_image(path)
    assert decoded.mode == "RGBA;16" and np.allclose(decoded.alpha, 12345 / 65535, atol=1e-6)
    assert np.abs(decoded.rgb - astronaut / 255).max() < 1e-6


def test_int32_and_float_pil_modes():
    deep = Image.fromarray(np.array([[0, 30000], [65535, 7]], np.int32))
    assert deep.mode == "I" and read_image(deep).bit_depth == 16
    assert abs(read_image(deep).rgb[0, 1, 0] - 30000 / 65535) < 1e-6
    with pytest.raises(ImageError, match="outside the 16-bit range"):
        read_image(Image.fromarray(np.array([[-1, 70000]], np.int32)))
    floats = Image.fromarray(np.array([[0.0, 0.25], [0.5, 1.0]], np.float32))
    assert floats.mode == "F" and read_image(floats).rgb[1, 0, 2] == 0.5
    with pytest.raises(ImageError, match=r"outside \[0, 1\]"):
        read_image(Image.fromarray(np.array([[0.0, 255.0]], np.float32)))


def test_exif_orientation_6_swaps_dimensions(astronaut, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = save(Image.fromarray(astronaut), tmp_path / "o.jpg", exif=exif, quality=95)
    decoded = read_image(path)
    assert decoded.size == (96, 128)
    assert "applied EXIF orientation (rotate 90 clockwise)" in decoded.notes
    assert np.abs(decoded.rgb - np.rot90(astronaut, k=-1) / 255).mean() < 0.02


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pil(orientation):
    pixels = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))).convert("RGB"))
    assert np.array_equal(as8(read_image(buffer.getvalue()).rgb), expected)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 12), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = save(frames[0], tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=50)
    decoded = read_image(path)
    assert "animated image: used frame 1 of 3" in decoded.notes
    assert np.array_equal(as8(decoded.rgb[5, 5]), [255, 0, 0])


def test_arrays_of_each_dtype_and_layout(astronaut):
    assert read_image(astronaut).bit_depth == 8
    deep = read_image(astronaut.astype(np.uint16) * 257)
    assert deep.bit_depth == 16 and np.allclose(deep.rgb, astronaut / 255, atol=1e-6)
    rgba = read_image(np.dstack([astronaut, np.full(astronaut.shape[:2], 128, np.uint8)]))
    assert rgba.alpha is not None and np.allclose(rgba.alpha, 128 / 255)
    gray = read_image(astronaut[..., 0])
    assert gray.rgb.shape == (96, 128, 3) and gray.alpha is None
    floats = read_image(astronaut / 255.0)
    assert floats.bit_depth == 16 and floats.rgb.dtype == np.float32


def test_bad_arrays_are_refused_not_clipped(astronaut):
    with pytest.raises(ImageError, match=r"values in \[0, 255\], outside \[0, 1\]"):
        read_image(astronaut.astype(np.float32))
    with pytest.raises(ImageError, match=r"outside \[0, 1\]"):
        read_image(np.full((4, 4, 3), -0.01))
    with pytest.raises(ImageError, match="NaN"):
        read_image(np.full((4, 4), np.nan))
    with pytest.raises(ImageError, match="dtype int64"):
        read_image(astronaut.astype(np.int64))
    with pytest.raises(ImageError, match="shape"):
        read_image(np.zeros((4, 4, 5), np.uint8))


# -- limits and broken files ---------------------------------------------------------------


def _png(width: int, height: int, idat: bytes) -> bytes:
    """A 1-bit grayscale PNG with the given (already compressed) IDAT payload."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory) -> Path:
    """A real, valid 12000×12000 1-bit PNG of zeros (a few KB on disk)."""
    compressor, row = zlib.compressobj(9), bytes(1 + 12000 // 8)  # filter byte + packed bits
    idat = b"".join(compressor.compress(row) for _ in range(12000)) + compressor.flush()
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    path.write_bytes(_png(12000, 12000, idat))
    assert struct.unpack(">II", path.read_bytes()[16:24]) == (12000, 12000)  # IHDR width, height
    return path


def test_huge_png_is_refused_from_the_header_fast(huge_png):
    Image.init()  # importing PIL's plugins is a one-off cost, not the decode's
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageError) as info:
        read_image(huge_png)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "12000×12000 = 144.0 MP, over the 40.0 MP limit" in str(info.value)
    assert "downscale it to at most 40.0 MP" in str(info.value)
    assert elapsed < 2.0 and peak < 5_000_000  # a decode would allocate ≥ 144 MB


def test_huge_png_peak_rss_stays_low(huge_png):
    # tracemalloc misses PIL's own allocations, so measure the peak RSS of a fresh process.
    code = (
        "import resource, ganhub.imaging as m\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"try: m.read_image({str(huge_png)!r})\n"
        "except m.ImageError: pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 30_000  # KiB; decoding would need over 144 MB


def test_beyond_pils_bomb_limit_our_message_wins(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(20000, 20000, zlib.compress(b"")))  # header only matters
    with pytest.raises(ImageError, match="20000×20000 = 400.0 MP, over the 40.0 MP limit"):
        read_image(path)
    assert Image.MAX_IMAGE_PIXELS is not None  # PIL's global is restored


def test_max_pixels_applies_to_every_source(astronaut):
    with pytest.raises(ImageError, match="over the 0.0 MP limit"):
        read_image(astronaut, max_pixels=1000)
    with pytest.raises(ImageError, match="downscale it to at most"):
        read_image(Image.fromarray(astronaut), max_pixels=1000)
    assert DEFAULT_MAX_PIXELS == 40_000_000


def test_truncated_png_is_refused(astronaut, tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(astronaut).save(buffer, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError, match=r"'.*cut\.png' is truncated or corrupt"):
        read_image(path)


def test_truncated_file_refused_even_if_pil_allows_truncation(astronaut, tmp_path, monkeypatch):
    buffer = io.BytesIO()
    Image.fromarray(astronaut).save(buffer, "JPEG")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImageError, match="truncated"):
        read_image(buffer.getvalue()[:2000])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the caller's setting is restored


def test_truncated_16_bit_png_is_refused(astronaut, tmp_path):
    ok, encoded = cv2.imencode(".png", astronaut.astype(np.uint16) * 257)
    path = tmp_path / "cut16.png"
    path.write_bytes(encoded.tobytes()[: encoded.size // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        read_image(path)


def test_empty_text_and_missing_files(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png' is empty \(0 bytes\)"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("these are my notes, not a picture\n")
    with pytest.raises(ImageError, match=r"notes\.png' is not an image"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(ImageError, match="does not exist"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="empty"):
        read_image(b"")
    with pytest.raises(ImageError, match="image data is truncated or corrupt"):
        read_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)


# -- writing -------------------------------------------------------------------------------


def test_write_8_bit_png_round_trips_exactly(astronaut, tmp_path):
    path = write_image(tmp_path / "out" / "a.png", astronaut / 255.0)
    decoded = read_image(path)
    assert decoded.bit_depth == 8 and np.array_equal(as8(decoded.rgb), astronaut)


def test_write_16_bit_png_keeps_16_bits(astronaut, tmp_path):
    rgb = (astronaut.astype(np.float64) * 256 + 100) / 65535  # low bits set: not 8-bit data
    path = write_image(tmp_path / "deep.png", rgb, bit_depth=16)
    assert path.read_bytes()[24] == 16
    decoded = read_image(path)
    assert decoded.bit_depth == 16 and np.abs(decoded.rgb - rgb).max() < 1e-6
    assert np.abs(as8(decoded.rgb).astype(int) - astronaut).max() <= 1


def test_write_rgba_png_and_16_bit_rgba(astronaut, tmp_path):
    alpha = np.linspace(0, 1, astronaut.shape[1])[None].repeat(astronaut.shape[0], 0)
    decoded = read_image(write_image(tmp_path / "a.png", astronaut / 255, alpha))
    assert np.array_equal(decoded.alpha, np.round(alpha * 255).astype(np.float32) / 255)
    deep = read_image(write_image(tmp_path / "a16.png", astronaut / 255, alpha, bit_depth=16))
    assert deep.mode == "RGBA;16" and np.abs(deep.alpha - alpha).max() < 1e-5


def test_write_jpeg_webp_and_refusals(astronaut, tmp_path):
    assert np.abs(read_image(write_image(tmp_path / "a.jpg", astronaut / 255)).rgb - astronaut / 255).mean() < 0.02
    webp = read_image(write_image(tmp_path / "a.webp", astronaut / 255, np.full(astronaut.shape[:2], 0.5)))
    assert webp.alpha is not None and np.allclose(webp.alpha, 128 / 255)
    with pytest.raises(ImageError, match=r"use \.png"):
        write_image(tmp_path / "a.jpg", astronaut / 255, np.ones(astronaut.shape[:2]))
    with pytest.raises(ImageError, match="cannot write '.gif'"):
        write_image(tmp_path / "a.gif", astronaut / 255)
    with pytest.raises(ImageError, match="H×W×3"):
        write_image(tmp_path / "a.png", astronaut[..., 0] / 255)


def test_to_pil(astronaut):
    assert to_pil(astronaut / 255).mode == "RGB"
    image = to_pil(astronaut / 255, np.zeros(astronaut.shape[:2]), bit_depth=16)
    assert image.mode == "RGBA" and np.array_equal(np.asarray(image)[..., :3], astronaut)


def test_png_level_is_fast_by_default_settable_and_lossless(tmp_path, monkeypatch) -> None:
    from skimage import data

    photo = data.astronaut().astype(np.float32) / 255.0
    fast = imaging.write_image(tmp_path / "fast.png", photo)
    small = imaging.write_image(tmp_path / "small.png", photo, png_level=9)
    monkeypatch.setenv(imaging.PNG_LEVEL_ENV, "9")
    from_env = imaging.write_image(tmp_path / "env.png", photo)
    assert small.stat().st_size < fast.stat().st_size and from_env.stat().st_size == small.stat().st_size
    for path in (fast, small):  # the level trades size for time, never pixels
        np.testing.assert_array_equal(imaging.read_image(path).rgb, imaging.read_image(small).rgb)
    monkeypatch.setenv(imaging.PNG_LEVEL_ENV, "fast")
    with pytest.raises(GanhubError, match="GANHUB_PNG_LEVEL"):
        imaging.write_image(tmp_path / "bad.png", photo)
    assert not (tmp_path / "bad.png").exists()
