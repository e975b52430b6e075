"""Padding to a multiple, cropping back, and tiled inference (ganhub.tiling) on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from ganhub.errors import ImageError
from ganhub.tiling import crop_to, pad_to_multiple, tiled_apply

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage_data.astronaut()[100:196, 150:278]  # 96×128 uint8 RGB, a real photo


# -- padding -------------------------------------------------------------------------------


def test_pad_to_multiple_and_crop_round_trip(astronaut):
    x = np.ascontiguousarray(astronaut[:45, :61].transpose(2, 0, 1)[None] / 255, np.float32)
    padded, (height, width) = pad_to_multiple(x, 8)
    assert padded.shape == (1, 3, 48, 64) and (height, width) == (45, 61)
    assert np.array_equal(padded[..., 45, :61], x[..., 43, :])  # reflection about the last row
    assert np.array_equal(crop_to(padded, height, width), x)
    same, _ = pad_to_multiple(x[..., :40, :56], 8)
    assert same.shape == (1, 3, 40, 56)


def test_small_image_reflect_falls_back_to_edge():
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
    padded, size = pad_to_multiple(x, 8)
    assert padded.shape == (1, 1, 8, 8) and size == (2, 3)
    assert np.all(padded[0, 0, 2:, :3] == x[0, 0, 1]) and np.all(padded[0, 0, :2, 3:] == x[0, 0, :, 2:])
    zeros, _ = pad_to_multiple(x, 4, mode="constant")
    assert zeros[0, 0, 3, 3] == 0
    with pytest.raises(ImageError, match="unknown"):
        pad_to_multiple(x, 4, mode="wrap")


# -- tiled inference -----------------------------------------------------------------------


def conv_net(seed: int = 0):
    """Three seeded 3×3 convs then nearest ×2: receptive radius 3 px, spatially varying."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(16, 3, 3, padding=1), torch.nn.Upsample(scale_factor=2, mode="nearest"),
    ).eval()
    sizes: list[tuple[int, int]] = []

    def fn(x: np.ndarray) -> np.ndarray:
        sizes.append(x.shape[2:])
        with torch.no_grad():
            return net(torch.from_numpy(x)).numpy()

    return fn, sizes


def nchw(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1)[None] / 255, np.float32)


def test_tiled_matches_untiled_on_a_real_crop():
    fn, sizes = conv_net()
    x = nchw(skimage_data.astronaut()[100:300, 150:320])  # 200×170
    whole = fn(x)
    calls: list[tuple[int, int]] = []
    tiled = tiled_apply(fn, x, scale=2, tile=64, overlap=16, progress=lambda d, t: calls.append((d, t)))
    assert tiled.shape == (1, 3, 400, 340)
    assert np.abs(tiled - whole).max() < 1 / 255
    # tiles advance by tile - 2 × overlap = 32: ceil((L - 2 × overlap) / 32) per axis
    total = -(-(200 - 32) // 32) * -(-(170 - 32) // 32)
    assert calls == [(i, total) for i in range(0, total + 1)] and total == 30  # 0: started
    # every tile shares one size, shrunk from 64 so the overlap is no more than it must be
    (height, width), = set(sizes[1:])
    assert height <= 64 and width <= 64 and total * height * width < total * 64 * 64


def test_even_tiles_process_fewer_pixels_and_keep_the_overlap():
    from ganhub.tiling import _tile_plan

    for length, tile, overlap, multiple in [(1024, 256, 16, 4), (768, 256, 16, 4), (257, 256, 16, 1),
                                            (1000, 512, 16, 8), (4001, 256, 16, 1), (90, 40, 4, 2)]:
        size, starts = _tile_plan(length, tile, overlap, multiple)
        shifted = len(range(0, length - tile, tile - 2 * overlap)) + 1  # the old plan's tile count
        assert size <= tile and size % multiple == 0 and len(starts) == shifted
        assert starts[0] == 0 and starts[-1] + size == length  # the image is covered edge to edge
        assert all(a + size - b >= 2 * overlap for a, b in zip(starts, starts[1:]))
        assert len(starts) * size <= shifted * tile
    size, starts = _tile_plan(1024, 256, 16, 4)  # the case the issue measured: 1280 px → 1160
    assert len(starts) * size == 1160


def test_tiled_with_multiple_of_8_and_odd_sizes():
    fn, sizes = conv_net(1)
    x = np.concatenate([nchw(skimage_data.coffee()[50:173, 200:297]), nchw(skimage_data.chelsea()[:123, :97])])
    untiled = tiled_apply(fn, x, scale=2, tile=0, overlap=0, multiple_of=8)
    assert untiled.shape == (2, 3, 246, 194) and sizes == [(128, 104)]
    tiled = tiled_apply(fn, x, scale=2, tile=60, overlap=12, multiple_of=8)  # tile used as 56
    assert all(h % 8 == 0 and w % 8 == 0 for h, w in sizes)
    assert np.abs(tiled - untiled).max() < 1 / 255


def test_image_that_fits_one_tile_runs_once():
    fn, sizes = conv_net()
    calls: list[tuple[int, int]] = []
    x = nchw(skimage_data.coffee()[:40, :50])
    out = tiled_apply(fn, x, scale=2, tile=64, overlap=8, progress=lambda d, t: calls.append((d, t)))
    assert sizes == [(40, 50)] and calls == [(0, 1), (1, 1)] and np.array_equal(out, fn(x))


def test_tiling_arguments_are_validated():
    x = np.zeros((1, 3, 100, 100), np.float32)
    identity = lambda t: t  # noqa: E731
    with pytest.raises(ImageError, match="larger than 2 × overlap"):
        tiled_apply(identity, x, scale=1, tile=32, overlap=16)
    with pytest.raises(ImageError, match="must be ≥ 0"):
        tiled_apply(identity, x, scale=1, tile=-1, overlap=0)
    with pytest.raises(ImageError, match="N×C×H×W"):
        tiled_apply(identity, x[0], scale=1, tile=32, overlap=4)
    assert np.array_equal(tiled_apply(identity, x + 0.5, scale=1, tile=32, overlap=4), x + 0.5)


def test_integer_results_are_the_float_result_quantized():
    """uint8/uint16 results are blended in float a row of tiles at a time, then rounded:
    the same values the float result gives when written out, for batches and odd sizes."""
    from ganhub.imaging import quantize

    fn, _ = conv_net(2)
    x = np.concatenate([nchw(skimage_data.coffee()[50:173, 200:297]), nchw(skimage_data.chelsea()[:123, :97])])
    floats = tiled_apply(fn, x, scale=2, tile=48, overlap=8, multiple_of=4)
    for dtype, depth in ((np.uint8, 8), (np.uint16, 16)):
        stored = tiled_apply(fn, x, scale=2, tile=48, overlap=8, multiple_of=4, out_dtype=dtype)
        assert stored.dtype == dtype and stored.shape == floats.shape
        assert stored[0].transpose(1, 2, 0).flags.c_contiguous  # H×W×C without a copy
        for image in range(2):
            expected = quantize(floats[image].transpose(1, 2, 0), depth)
            assert np.array_equal(stored[image].transpose(1, 2, 0), expected)
    whole = tiled_apply(fn, x[:1], scale=2, tile=0, overlap=0, out_dtype=np.uint8)  # untiled: same rounding
    assert np.array_equal(whole[0].transpose(1, 2, 0), quantize(fn(x[:1])[0].transpose(1, 2, 0), 8))


def test_integer_results_refuse_broken_network_output():
    x = np.full((1, 3, 64, 64), 0.5, np.float32)
    broken = lambda t: np.where(t > 0, np.nan, t)  # noqa: E731
    with pytest.raises(Exception, match="NaN"):
        tiled_apply(broken, x, scale=1, tile=32, overlap=4, out_dtype=np.uint8)
    with pytest.raises(ImageError, match="out_dtype"):
        tiled_apply(lambda t: t, x, scale=1, tile=32, overlap=4, out_dtype=np.int32)
