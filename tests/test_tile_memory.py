"""Tile sizes from memory and halving on out-of-memory (ganhub.tile_memory)."""

from __future__ import annotations

import pytest

from ganhub import tile_memory


def test_real_allocation_failures_are_recognised() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as torch_failure:
        torch.empty(2**62, dtype=torch.uint8)  # a real allocator refusal, at once
    assert tile_memory.is_out_of_memory(torch_failure.value)
    np = pytest.importorskip("numpy")
    with pytest.raises(MemoryError) as numpy_failure:
        np.empty(2**62, np.uint8)
    assert tile_memory.is_out_of_memory(numpy_failure.value)
    assert not tile_memory.is_out_of_memory(ValueError("tile must be positive"))


def test_smaller_tile_halves_to_the_multiple_and_stops_when_useless() -> None:
    assert tile_memory.smaller_tile(512, 4000, 4, 16) == 256
    assert tile_memory.smaller_tile(0, 3000, 8, 16) == 1496  # the whole image: half its longest side
    assert tile_memory.smaller_tile(200, 4000, 8, 16) == 96  # rounded down to the model's multiple
    assert tile_memory.smaller_tile(120, 4000, 1, 16) is None  # 60 px tiles would be mostly overlap
    assert tile_memory.smaller_tile(160, 4000, 1, 40) is None  # no room left beyond the overlap


def test_auto_tile_follows_free_memory_and_the_architecture() -> None:
    light = tile_memory.auto_tile("Compact", "cpu", 4, free=16 << 30)  # 1.4 kB per pixel: the cap decides
    assert light is not None and light.tile == tile_memory.TILE_CAP["cpu"] and "16.0 GiB" in light.why
    roomy = tile_memory.auto_tile("ESRGAN", "cpu", 4, free=16 << 30)  # 16 kB per pixel: memory decides
    assert roomy is not None and roomy.tile == 512 and "ESRGAN" in roomy.why
    assert tile_memory.auto_tile("ESRGAN", "cuda", 4, free=64 << 30).tile == 1024  # a card's free memory
    tight = tile_memory.auto_tile("ESRGAN", "cpu", 4, free=512 << 20)
    assert tight is not None and tile_memory.MIN_TILE <= tight.tile < roomy.tile and tight.tile % 32 == 0
    per_pixel = tile_memory.bytes_per_tile_pixel("ESRGAN")
    assert tight.tile**2 * per_pixel <= (512 << 20) * tile_memory.MEMORY_SHARE  # it fits the share it was given
    unknown = tile_memory.auto_tile("SomethingNew", "cpu", 4, free=512 << 20)
    assert unknown is not None and unknown.tile <= tight.tile and "unknown architecture" in unknown.why
    assert tile_memory.auto_tile("ESRGAN", "cpu", 4, free=1 << 20).tile == tile_memory.MIN_TILE  # floor
