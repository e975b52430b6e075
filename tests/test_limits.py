"""Input size limits: a tiled model's follows the memory available now, others keep their fixed one."""

from __future__ import annotations

import numpy as np
import pytest

import ganhub
from ganhub import limits
from ganhub.errors import ImageError
from ganhub.imaging import DecodedImage
from ganhub.pipeline import check_input
from ganhub.spec import InputConstraints, tiling_params


def spec(tileable: bool, scale: int = 4) -> ganhub.ModelSpec:
    return ganhub.ModelSpec(id="sr", title="SR", task="super-resolution", license="MIT", description="d",
                            constraints=InputConstraints(scale=scale, max_pixels=16_000_000), tileable=tileable,
                            params=tiling_params() if tileable else (), accepts_user_weights=True)


def phone_photo(width: int = 5000, height: int = 4000) -> DecodedImage:
    """A 20 MP image as the check sees it (only its size is read: a broadcast view, no memory)."""
    return DecodedImage(np.broadcast_to(np.float32(0.5), (height, width, 3)), None, 8, "RGB")


def test_memory_decides_for_tiled_models_only() -> None:
    memory = limits.available_memory()
    if memory is None:
        pytest.skip("this platform does not say how much memory is available")
    per_pixel = limits.bytes_per_input_pixel(4)
    assert per_pixel == 4 * 3 * 3 + 4 + 2 * 4 * 16  # input copies and alpha, up to 16-bit RGBA out
    float_result = limits.bytes_per_input_pixel(4, integer_result=False)
    assert float_result == 4 * 3 * 3 + 4 + 4 * 3 * 16 + 3 * 16 + 4 * 16  # float32 out, 8-bit copy, writer's copy
    tiled = limits.pixel_limit(spec(True))
    from_memory = memory * limits.MEMORY_SHARE / per_pixel
    if from_memory < limits.CEILING:
        assert tiled.pixels == pytest.approx(from_memory, rel=0.1)
        assert "GiB of memory available now" in tiled.why and "×4" in tiled.why
    one_to_one = limits.pixel_limit(spec(True, scale=1))  # 48 bytes per pixel: the ceiling decides here
    if memory * limits.MEMORY_SHARE / 48 > 1.2 * limits.CEILING:  # 7.5+ GiB available
        assert one_to_one.pixels == limits.CEILING and "ceiling" in one_to_one.why
    assert tiled.pixels <= limits.CEILING and one_to_one.pixels <= limits.CEILING
    fixed = limits.pixel_limit(spec(False))
    assert fixed.pixels == 16_000_000 and "16.0 MP" in fixed.why
    assert limits.pixel_limit(spec(True), tiled=False) == limits.pixel_limit(spec(False))  # tile 0: whole image


def test_a_20_mp_phone_photo_passes_a_tiled_check_where_memory_allows() -> None:
    tiled = limits.pixel_limit(spec(True))
    if tiled.pixels < 20_000_000:
        pytest.skip(f"this machine has memory for {tiled.pixels / 1e6:.0f} MP only")
    check_input(phone_photo(), spec(True).constraints, "sr", tiled)
    with pytest.raises(ImageError) as refused:  # untiled, the fixed 16 MP applies
        check_input(phone_photo(), spec(True).constraints, "sr", limits.pixel_limit(spec(True), tiled=False))
    assert "20.0 MP" in str(refused.value) and "16.0 MP" in str(refused.value) and refused.value.fix


def test_a_refusal_says_which_limit_and_why() -> None:
    small = limits.PixelLimit(1_000_000, "half of the 0.1 GiB of memory available now")
    with pytest.raises(ImageError) as refused:
        check_input(phone_photo(), spec(True).constraints, "sr", small)
    text = str(refused.value)
    assert "'sr' accepts at most 1.0 MP here (half of the 0.1 GiB of memory available now)" in text
    assert "downscale or crop" in text
