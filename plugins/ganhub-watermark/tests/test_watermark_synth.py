"""The synthetic watermark generator is deterministic, bounded and keeps a font family out."""

from __future__ import annotations

import numpy as np

from ganhub_watermark import synth


def _photo() -> np.ndarray:
    return np.random.default_rng(0).random((64, 80, 3), dtype=np.float32)


def test_same_seed_same_triple() -> None:
    first = synth.add_watermark(_photo(), np.random.default_rng(5))
    second = synth.add_watermark(_photo(), np.random.default_rng(5))
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_shapes_ranges_and_mask() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        marked, clean, mask = synth.add_watermark(_photo(), rng)
        assert marked.shape == clean.shape == (64, 80, 3) and mask.shape == (64, 80)
        assert marked.min() >= 0 and marked.max() <= 1 and set(np.unique(mask)) <= {0.0, 1.0}
        # Only covered pixels change (up to the sub-threshold anti-aliased fringe).
        assert np.abs(marked - clean)[mask == 0].max() <= synth.MASK_THRESHOLD * 0.8 + 1e-6


def test_held_out_font_family_is_not_trained_on() -> None:
    train, held = synth.fonts(), synth.fonts(held_out=True)
    assert held and train and not set(train) & set(held)
    assert all(p.name.startswith(synth.HELD_OUT_FAMILY) for p in held)


def test_sample_records_the_alpha_blend_it_made() -> None:
    rng = np.random.default_rng(2)
    for _ in range(10):
        sample = synth.synthesize(_photo(), rng)
        blend = sample.clean * (1 - sample.alpha[..., None]) + sample.colour * sample.alpha[..., None]
        assert np.allclose(sample.marked, blend, atol=1e-6)
        assert 0 <= sample.alpha.min() and sample.alpha.max() <= 0.8 + 1e-6
        assert sample.alpha[sample.mask == 0].max(initial=0) <= synth.MASK_THRESHOLD * 0.8 + 1e-6
