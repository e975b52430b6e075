"""`--runtime auto` runs the watermark remover as well as torch fp32 does.

ganhub calibrates int8 and checks every faster path on the model's typical input
(`Model.typical_input`); for this model that is a marked crop. Calibrated and checked on
clean crops, the int8 graph passed parity (a clean photo comes back almost unchanged) yet
removed plain marks 0.9 dB worse than fp32, and `auto` picked it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganhub import Engine, Registry
from ganhub_watermark import data, evaluate
from ganhub_watermark.catalog import WatermarkCGAN


def test_typical_input_is_the_crop_with_a_seeded_mark() -> None:
    crop = np.ascontiguousarray(data.held_out_skimage()[0][:64, :80].transpose(2, 0, 1))
    marked = WatermarkCGAN().typical_input(crop, 3)
    assert marked.shape == crop.shape and marked.dtype == np.float32
    assert np.array_equal(marked, WatermarkCGAN().typical_input(crop, 3))  # seeded
    assert not np.array_equal(marked, WatermarkCGAN().typical_input(crop, 4))
    assert np.abs(marked - crop).max() > 0.1 and crop.min() >= 0  # a visible mark; the crop untouched


def test_auto_runtime_removes_marks_as_well_as_fp32(registry: Registry, cgan, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GANHUB_AUTO_EXPORT", "1")  # the tests switch auto's export off by default
    monkeypatch.setenv("GANHUB_EXPORT_DIR", str(tmp_path / "no-hand-exports"))
    auto = Engine(registry, runtime="auto").load("ganhub-watermark-cgan", device="cpu")
    crops = evaluate.crops(data.held_out_skimage(), 8)
    for kind in ("plain", "coloured"):
        fp32, chosen = (evaluate.kind_quality(loaded, crops, kind).gain for loaded in (cgan, auto))
        assert chosen > fp32 - 0.15, (kind, type(auto.session).__name__, chosen, fp32)
