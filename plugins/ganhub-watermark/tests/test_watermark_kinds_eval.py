"""The per-kind evaluation runs on held-out photos and fonts and scores every kind (tiny set)."""

from __future__ import annotations

import numpy as np
import pytest

from ganhub_watermark import data, evaluate, synth


def test_every_kind_is_scored_on_held_out_crops(cgan, monkeypatch) -> None:
    used = []
    real_make_mark = synth.make_mark

    def spy(clean, rng, kind, font_files=None, **kwargs):  # type: ignore[no-untyped-def]
        used.append(font_files)
        return real_make_mark(clean, rng, kind, font_files, **kwargs)

    monkeypatch.setattr(synth, "make_mark", spy)
    crops = evaluate.crops(data.held_out_skimage(), 1)
    for kind in synth.EVAL_KINDS:
        q = evaluate.kind_quality(cgan, crops, kind)
        assert q.count == 2 and np.isfinite(q.gain) and 0 <= q.iou <= 1
        # The perfect masked remover zeroes the error inside the true mask and keeps the rest.
        assert q.psnr_ceiling > q.psnr_in
    assert used and all(f == synth.fonts(held_out=True) for f in used)  # only the held-out font
    touched, worst = evaluate.clean_touched(cgan, crops)
    assert 0 <= touched < 0.05 and worst > 30


def test_ship_rule_needs_every_kind_better_and_clean_photos_alone() -> None:
    shipped = {kind: 5.0 for kind in synth.EVAL_KINDS}
    better = {kind: 5.5 for kind in synth.EVAL_KINDS}
    assert evaluate.ship_verdict(better, shipped, touched=0.001) == []
    one_worse = {**better, "tiled": 4.9}
    (reason,) = evaluate.ship_verdict(one_worse, shipped, touched=0.001)
    assert reason.startswith("tiled: +4.90 dB")
    (reason,) = evaluate.ship_verdict(better, shipped, touched=0.01)
    assert "1.00% of pixels changed" in reason


def _kinds(gains: list[float]) -> dict[str, evaluate.KindQuality]:
    return {"plain": evaluate.KindQuality("plain", len(gains), 20.0, 20.0 + float(np.mean(gains)), 1.0, 60.0, tuple(gains))}


def test_paired_error_is_the_standard_error_of_per_crop_differences_averaged_over_sets() -> None:
    shipped = {"a": _kinds([1.0, 2.0, 3.0, 4.0]), "b": _kinds([5.0, 5.0])}
    same_shift = {"a": _kinds([1.5, 2.5, 3.5, 4.5]), "b": _kinds([5.5, 5.5])}
    assert evaluate.paired_error(same_shift, shipped, "plain") == 0.0  # paired: a constant shift has no noise
    noisy = {"a": _kinds([2.0, 2.0, 3.0, 5.0]), "b": _kinds([4.0, 6.0])}  # differences +1, 0, 0, +1 and −1, +1
    expected = np.sqrt(np.var([1, 0, 0, 1], ddof=1) / 4 + np.var([-1, 1], ddof=1) / 2) / 2
    assert evaluate.paired_error(noisy, shipped, "plain") == pytest.approx(expected)


def test_pooled_difference_averages_draws_and_combines_their_errors() -> None:
    mean, error = evaluate.pooled([(0.2, 0.1), (-0.4, 0.2), (0.5, 0.2)])
    assert mean == pytest.approx(0.1) and error == pytest.approx(np.sqrt(0.01 + 0.04 + 0.04) / 3)
    assert evaluate.pooled([(-0.3, 0.1)]) == pytest.approx((-0.3, 0.1))  # one draw: itself


def test_confirmation_sets_are_other_draws_and_sizes() -> None:
    first, second = evaluate.kind_sets()["skimage"], evaluate.kind_sets(seed=99, scale=2, size=128)["skimage"]
    assert len(second) == 2 * len(first) and second[0].shape == (128, 128, 3) and first[0].shape == (96, 96, 3)


def test_ship_check_scores_every_draw_and_a_tie_does_not_ship(cgan, capsys) -> None:
    draws = (evaluate.Draw(5, 1, 32), evaluate.Draw(6, 1, 48))
    reasons = evaluate.ship_check(cgan, cgan, draws)
    # The same weights on both sides: no kind is better, so every kind of every draw says so.
    kinds = [r for r in reasons if "not above the shipped" in r]  # (tiny crops may also touch >0.5 % of clean ones)
    assert len(kinds) == len(draws) * len(synth.EVAL_KINDS)
    assert reasons[0].startswith("seed 5, 1× crops, 32²: plain:") and "not above the shipped" in reasons[0]
    assert any(r.startswith("seed 6, 1× crops, 48²: jpeg:") for r in reasons)
    printed = capsys.readouterr().out
    assert "seed 5, 1× crops, 32²: plain" in printed and "(+0.00 ± 0.00)" in printed
    assert "pooled over the 2 draws (difference ± standard error): plain +0.00 ± 0.00" in printed
    assert set(evaluate.SHIP_DRAWS) >= {evaluate.Draw(evaluate.EVAL_SEED, 1, 96), evaluate.Draw(evaluate.EVAL_SEED, 1, 256)}
