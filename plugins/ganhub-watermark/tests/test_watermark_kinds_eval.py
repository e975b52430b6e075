"""The per-kind evaluation runs on held-out photos and fonts and scores every kind (tiny set)."""

from __future__ import annotations

import numpy as np

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
    assert used and all(f == synth.fonts(held_out=True) for f in used)  # only the held-out font
    touched, worst = evaluate.clean_touched(cgan, crops)
    assert 0 <= touched < 0.05 and worst > 30
