"""The streamed PNG writer (ganhub.png) read back by Pillow, OpenCV and zlib on real photos."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from ganhub import imaging, png

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return skimage_data.astronaut()[:301, :203]  # odd sizes: bands and rows do not divide evenly


def written(rgb: np.ndarray, alpha: np.ndarray | None = None, **options) -> bytes:
    handle = io.BytesIO()
    png.write_png(handle, rgb, alpha, **options)
    return handle.getvalue()


def test_8_bit_rgb_and_rgba_read_back_exactly(photo, monkeypatch):
    monkeypatch.setattr(png, "BAND_BYTES", 5000)  # many bands: each band's first row filters against the last
    alpha = np.tile(np.arange(photo.shape[1], dtype=np.uint8), (photo.shape[0], 1))
    rgb = Image.open(io.BytesIO(written(photo)))
    assert rgb.mode == "RGB" and np.array_equal(np.asarray(rgb), photo)
    rgba = Image.open(io.BytesIO(written(photo, alpha)))
    assert rgba.mode == "RGBA" and np.array_equal(np.asarray(rgba), np.dstack([photo, alpha]))


def test_16_bit_keeps_every_bit(photo):
    rng = np.random.default_rng(0)
    deep = photo.astype(np.uint16) * 257 + rng.integers(0, 257, photo.shape).astype(np.uint16)
    alpha = rng.integers(0, 65536, photo.shape[:2]).astype(np.uint16)
    for alpha_in, channels in ((None, 3), (alpha, 4)):
        data = np.frombuffer(written(deep, alpha_in, level=6), np.uint8)
        back = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        assert back.dtype == np.uint16 and back.shape == (*photo.shape[:2], channels)
        expected = deep if alpha_in is None else np.dstack([deep, alpha])
        assert np.array_equal(back[..., [2, 1, 0, 3][:channels]], expected)  # OpenCV reads BGR(A)


def test_compresses_like_pillow_at_the_same_level(photo):
    upscaled = np.asarray(Image.fromarray(skimage_data.astronaut()).resize((1024, 1024), Image.BICUBIC))
    ours = len(written(upscaled, level=1))
    pillows = io.BytesIO()
    Image.fromarray(upscaled).save(pillows, "PNG", compress_level=1)
    assert ours < 1.1 * len(pillows.getvalue())


def test_extra_chunks_come_before_the_image_data(photo, tmp_path):
    text = png.chunk(b"tEXt", b"Comment\x00made here")
    data = written(photo, extra_chunks=text)
    assert data.index(b"tEXt") < data.index(b"IDAT") and Image.open(io.BytesIO(data)).text["Comment"] == "made here"
    with pytest.raises(ValueError, match="uint8 or uint16"):
        written(photo.astype(np.float32))
    with pytest.raises(ValueError, match="alpha"):
        written(photo, np.zeros(photo.shape[:2], np.uint16))


def test_write_image_streams_quantized_and_float_results_alike(photo, tmp_path):
    """An 8-bit result array and its float original write the same pixels; the input is never copied to float."""
    as_float = photo.astype(np.float32) / 255
    a = imaging.write_image(tmp_path / "float.png", as_float)
    b = imaging.write_image(tmp_path / "uint8.png", photo)
    assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
    assert imaging.quantize(photo, 8) is photo  # already 8-bit: no copy
    deep = imaging.quantize(photo, 16)
    assert deep.dtype == np.uint16 and np.array_equal(deep, photo.astype(np.uint16) * 257)
