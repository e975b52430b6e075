"""v3's layered marks really have the property each kind is named for (shadow, emboss, ...)."""

from __future__ import annotations

import numpy as np
import pytest

from ganhub_watermark import synth


def _photo(size: int = 96) -> np.ndarray:
    """A smooth mid-grey photo stand-in: marks stand out, JPEG has little of its own to do."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    return np.stack([0.4 + 0.2 * xx, 0.45 + 0.1 * yy, 0.5 - 0.1 * xx], axis=2).astype(np.float32)


def _marks(kind: str, count: int = 8, seed: int = 0, **kwargs: object) -> list[synth.MarkSample]:
    rng = np.random.default_rng(seed)
    return [synth.make_mark(_photo(), rng, kind, **kwargs) for _ in range(count)]


def _centroid(plane: np.ndarray) -> np.ndarray:
    yy, xx = np.mgrid[0 : plane.shape[0], 0 : plane.shape[1]]
    return np.array([(plane * yy).sum(), (plane * xx).sum()]) / plane.sum()


def test_same_seed_same_mark_and_ranges() -> None:
    for kind in synth.TRAIN_KINDS + ("jpeg",):
        a, b = _marks(kind, 2, seed=4), _marks(kind, 2, seed=4)
        for x, y in zip(a, b):
            assert np.array_equal(x.marked, y.marked) and np.array_equal(x.mask, y.mask)
            assert x.marked.shape == (96, 96, 3) and 0 <= x.marked.min() and x.marked.max() <= 1
            assert x.mask.any() and set(np.unique(x.mask)) <= {0.0, 1.0}


def test_shadow_darkens_pixels_offset_from_the_light_layer() -> None:
    for sample in _marks("shadowed"):
        shadow, text = sample.layers
        assert shadow.under and not text.under
        assert shadow.colour.max() <= 0.2  # a dark layer
        # Offset: the shadow's centre of mass is displaced from the text's.
        assert np.abs(_centroid(shadow.cover) - _centroid(text.cover)).max() > 0.5
        only_shadow = (shadow.alpha > 0.08) & (text.cover < 0.05)
        assert only_shadow.any()
        assert (sample.marked - sample.clean)[only_shadow].mean() < -0.03  # darker there


def test_emboss_has_light_and_dark_edges_on_opposite_sides() -> None:
    for sample in _marks("embossed"):
        change = (sample.marked - sample.clean).mean(axis=2)
        light, dark = np.clip(change, 0, None), np.clip(-change, 0, None)
        assert light.max() > 0.1 and dark.max() > 0.1
        # Lit from the top left: light edges sit up-left of the dark ones.
        assert (_centroid(light) - _centroid(dark) < 0).all()


def test_outline_is_a_stroke_around_the_fill() -> None:
    for sample in _marks("outlined"):
        stroke, fill = sample.layers
        assert stroke.under and (stroke.cover >= fill.cover - 1e-6).all()  # grown around the glyphs
        ring = (stroke.cover > 0.5) & (fill.cover < 0.05)
        assert ring.any() and np.abs(sample.marked - sample.clean)[ring].max() > 0.1


def test_gradient_fill_changes_colour_across_the_mark() -> None:
    for sample in _marks("gradient"):
        (layer,) = sample.layers
        covered = layer.colour[layer.cover > 0.5]
        assert np.ptp(covered, axis=0).max() > 0.1


def test_logo_has_several_parts_in_several_colours() -> None:
    for sample in _marks("logo"):
        assert len(sample.layers) >= 2 and all(la.cover.any() for la in sample.layers)
        colours = {tuple(np.round(la.colour[0, 0], 3)) for la in sample.layers}
        assert len(colours) >= 2


def test_blend_modes_follow_their_formulas() -> None:
    base = _photo(16)
    cover = np.ones((16, 16), np.float32)
    colour = np.array([0.8, 0.3, 0.6], np.float32)
    layer = lambda mode: synth.Layer(cover, cover * 0.5, np.broadcast_to(colour, (16, 16, 3)), mode)  # noqa: E731
    assert (synth.blend(base, layer("multiply")) <= base + 1e-6).all()  # multiply never lightens
    assert (synth.blend(base, layer("screen")) >= base - 1e-6).all()  # screen never darkens
    overlay = np.where(base < 0.5, 2 * base * colour, 1 - 2 * (1 - base) * (1 - colour))
    assert np.allclose(synth.blend(base, layer("overlay")), 0.5 * base + 0.5 * overlay)
    seen = {s.layers[0].mode for s in _marks("blend", 12)}
    assert seen == {"multiply", "screen", "overlay"}


def test_jpeg_bake_leaves_8x8_block_artefacts() -> None:
    for sample in _marks("jpeg", 4):
        assert 50 <= sample.jpeg_quality <= 90
        error = (sample.marked - sample.blended).mean(axis=2)
        steps = np.abs(np.diff(error, axis=1))  # steps[:, x] is between columns x and x + 1
        across = steps[:, 7::8].mean()  # block boundaries
        within = np.delete(steps, np.s_[7::8], axis=1).mean()
        assert across > 1.2 * within, (across, within)
    unbaked = _marks("plain", 1, seed=0)[0]
    assert np.array_equal(unbaked.marked, unbaked.blended) and unbaked.jpeg_quality == 0


def test_busy_texture_adds_fine_detail_and_stays_the_target() -> None:
    rng = np.random.default_rng(3)
    sample = synth.make_mark(_photo(), rng, "plain", texture=True)
    detail = lambda im: np.abs(np.diff(im, axis=1)).mean()  # noqa: E731
    assert detail(sample.clean) > 4 * detail(_photo())
    assert 0 <= sample.clean.min() and sample.clean.max() <= 1


@pytest.mark.parametrize("kind", ["plain", "shadowed", "embossed", "outlined", "logo", "gradient"])
def test_two_layer_split_reproduces_normal_marks(kind: str) -> None:
    """The trainer's targets: the mark is exactly a lower then an upper alpha layer."""
    for sample in _marks(kind, 4):
        top_a, top_p, under_a, under_p, exact = sample.two_layers()
        assert exact
        rebuilt = sample.clean * (1 - under_a[..., None]) + under_p
        rebuilt = rebuilt * (1 - top_a[..., None]) + top_p
        assert np.allclose(np.clip(rebuilt, 0, 1), sample.blended, atol=1e-5)
    assert not _marks("blend", 1)[0].two_layers()[4]


def test_training_mix_draws_every_kind() -> None:
    rng = np.random.default_rng(0)
    drawn = [synth.random_mark(_photo(32), rng) for _ in range(120)]
    assert {s.kind for s in drawn} == set(synth.TRAIN_KINDS)
    assert any(s.jpeg_quality for s in drawn) and not all(s.jpeg_quality for s in drawn)


def test_training_mix_follows_the_kind_weights_it_is_given() -> None:
    rng = np.random.default_rng(1)
    only_tiled = tuple(1.0 if kind == "tiled" else 0.0 for kind in synth.TRAIN_KINDS)
    drawn = [synth.random_mark(_photo(32), rng, mix=synth.Mix(only_tiled, texture=0.0, jpeg=1.0)) for _ in range(10)]
    assert {s.kind for s in drawn} == {"tiled"} and all(s.jpeg_quality for s in drawn)
    with pytest.raises(ValueError, match="2 kind weights for 9 kinds"):
        synth.Mix((0.5, 0.5))
