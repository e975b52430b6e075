"""Modes through the host pipeline: padding/crop-back, and only masked pixels ever change."""

from __future__ import annotations

import numpy as np
import pytest

from ganhub.testing import check_model, photo
from ganhub_watermark import modes, synth
from ganhub_watermark.catalog import LaMa, WatermarkCGAN

from watermark_helpers import decoded


def _image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return photo(height, width)[0].transpose(1, 2, 0) * 0.9 + 0.05 * np.random.default_rng(seed).random((height, width, 3))


def _mask(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[5:19, 7:30] = 1.0
    return mask


def test_registered_specs(registry) -> None:
    ids = {m.spec.id for m in registry.models()}
    assert {"ganhub-watermark-cgan", "lama"} <= ids
    assert registry.get("ganhub-watermark-cgan").auto_mask
    assert registry.get("lama").spec.accepts_user_weights and registry.get("lama").spec.weights  # pinned ONNX + BYO


def test_conformance_cgan_real_weights(cgan) -> None:
    check_model(WatermarkCGAN(), cgan.weights.path)


def test_conformance_lama_random_weights() -> None:
    check_model(LaMa(), None, height=32, width=40, check_range=False)


@pytest.mark.parametrize("size", [(37, 45), (64, 48)])
def test_lama_pads_crops_back_and_changes_only_masked(lama, size) -> None:
    height, width = size  # 37×45 is not a multiple of 8: the host pads to 40×48, crops back
    rgb = _image(height, width)
    result = modes.brush_remove(lama, decoded(rgb), _mask(height, width))
    out = result.images[0]
    assert out.shape == (height, width, 3) and np.isfinite(out).all()
    outside = _mask(height, width) == 0
    assert np.array_equal(out[outside], rgb.astype(np.float32)[outside])
    assert np.abs(out - rgb)[~outside].max() > 0  # random LaMa does fill something


def test_brush_mode_changes_nothing_outside_mask(cgan) -> None:
    rng = np.random.default_rng(3)
    marked, _, _ = synth.add_watermark(_image(50, 70).astype(np.float32), rng)
    mask = _mask(50, 70)
    out = modes.brush_remove(cgan, decoded(marked), mask).images[0]
    assert out.shape == marked.shape
    assert np.array_equal(out[mask == 0], marked[mask == 0])


def test_auto_mode_returns_mask_and_changes_only_it(cgan) -> None:
    rng = np.random.default_rng(4)
    marked, _, _ = synth.add_watermark(_image(60, 90).astype(np.float32), rng, synth.fonts(held_out=True))
    result = modes.auto_remove(cgan, decoded(marked))
    out, mask = result.images[0], result.extras["mask"]
    assert out.shape == marked.shape and mask.shape == marked.shape[:2]
    assert np.array_equal(out[mask == 0], marked[mask == 0])


def test_auto_then_lama_fills_only_predicted_mask(cgan, lama) -> None:
    rng = np.random.default_rng(6)
    marked, _, _ = synth.add_watermark(_image(48, 64).astype(np.float32), rng, synth.fonts(held_out=True))
    result = modes.auto_then_inpaint(cgan, lama, decoded(marked))
    used = result.extras["mask"]
    assert np.array_equal(result.images[0][used == 0], marked[used == 0])
    assert used.sum() >= modes.auto_remove(cgan, decoded(marked)).extras["mask"].sum()


def test_cgan_exports_to_onnx_with_parity(cgan, tmp_path) -> None:
    """The shipped model (flip averaging and hard mask included) as an ONNX graph onnxruntime runs."""
    pytest.importorskip("onnxruntime")
    from ganhub.onnx import export_model

    report = export_model(WatermarkCGAN(), cgan.weights.path, tmp_path)
    assert report.parity and all(row.max_abs <= 1e-3 for row in report.parity), report.parity
