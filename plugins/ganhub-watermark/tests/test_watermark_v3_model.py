"""v3's two-layer network: exact inversion of a shadowed mark, v2 weights load into it, it trains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import ganhub_watermark
from ganhub import GanhubError
from ganhub.train import make_config, train
from ganhub_watermark import synth
from ganhub_watermark.catalog import WatermarkCGAN
from ganhub_watermark.trainer import WatermarkTrainerV3Scales, crop_plan
from ganhub_watermark.net import MAX_ALPHA, Decomposition, WatermarkUNet, from_state_dict

V2 = Path(ganhub_watermark.__file__).parent / "weights" / "watermark_cgan_v2.safetensors"  # kept beside any later version


def _tensor(array: np.ndarray) -> torch.Tensor:
    array = array if array.ndim == 3 else array[..., None]
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))[None].double()


def test_true_layers_invert_a_shadowed_mark_exactly() -> None:
    photo = np.random.default_rng(0).random((48, 48, 3), dtype=np.float32)
    sample = synth.make_mark(photo, np.random.default_rng(1), "shadowed")
    top_a, top_p, under_a, under_p, exact = sample.two_layers()
    assert exact and under_a.max() > 0.1 and top_a.max() > 0.1
    colour = lambda p, a: _tensor(p / np.maximum(a, 1e-6)[..., None])  # noqa: E731 (un-premultiply)
    logit = lambda a: torch.logit(_tensor(a) / MAX_ALPHA)  # noqa: E731
    parts = Decomposition(logit(top_a), colour(top_p, top_a), torch.zeros(1, 3, 48, 48, dtype=torch.float64),
                          torch.zeros(1, 1, 48, 48, dtype=torch.float64), logit(under_a), colour(under_p, under_a))
    recovered = parts.clean(_tensor(sample.blended))
    assert (recovered - _tensor(photo)).abs().max() < 1e-4
    # One layer is not enough: the shadow stays if only the top layer is inverted.
    single = Decomposition(*parts[:4]).clean(_tensor(sample.blended))
    assert (single - _tensor(photo)).abs().max() > 0.1


def test_v2_weights_load_into_the_two_layer_network() -> None:
    state = load_file(str(V2))
    core = WatermarkUNet(16, layers=2)
    core.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    assert core.head.weight.shape[0] == 12 and core.head.weight[8:].abs().sum() == 0
    assert from_state_dict(state).layers == 1 and from_state_dict(core.state_dict()).layers == 2
    with torch.no_grad():  # v2 plus a lower layer that starts almost off
        image = torch.rand(1, 3, 32, 32)
        v2_clean, _ = from_state_dict(state).eval()(image)
        v3_clean, _ = core.eval()(image)
    assert (v2_clean - v3_clean).abs().max() < 0.05


def test_the_model_builds_the_network_its_weights_file_describes(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    two = WatermarkUNet(16, layers=2)
    with torch.no_grad():
        two.head.weight.normal_(0, 0.01)  # a lower layer that does something
    save_file({k: v.half().contiguous() for k, v in two.state_dict().items()}, str(tmp_path / "v3.safetensors"))
    built = WatermarkCGAN().build(tmp_path / "v3.safetensors")
    assert built.core.layers == 2 and WatermarkCGAN().build(V2).core.layers == 1
    assert torch.equal(built.core.head.weight, two.head.weight.half().float())


def test_v3_trainer_runs_and_trains_the_lower_layer(tmp_path: Path) -> None:
    cfg = make_config({"model": "ganhub_watermark.trainer:WatermarkTrainerV3", "image_size": 32, "batch_size": 2,
                       "g_channels": 4, "d_channels": 8, "steps": 3, "sample_every": 3, "checkpoint_every": 3,
                       "sample_count": 2, "seed": 3, "threads": 1})
    run = train(cfg, tmp_path / "v3", progress=False)
    assert run.history[-1]["step"] == 3 and "under" in run.history[-1]
    weights = load_file(str(tmp_path / "v3" / "generator.safetensors"))
    assert weights["head.weight"].shape[0] == 12 and weights["head.weight"][8:].abs().sum() > 0


def test_crop_plan_keeps_the_pixels_per_step() -> None:
    plan = crop_plan(256, 2, (96, 128, 192, 256))
    assert plan == [(96, 14), (128, 8), (192, 4), (256, 2)]
    assert all(abs(side * side * count / (256 * 256 * 2) - 1) < 0.15 for side, count in plan)


def test_scales_trainer_draws_every_side_and_refuses_a_small_image_size(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WatermarkTrainerV3Scales, "sides", (16, 24, 32))
    seen: list[tuple[int, ...]] = []
    train_on = WatermarkTrainerV3Scales.train_on

    def recording(self: WatermarkTrainerV3Scales, b):  # type: ignore[no-untyped-def]
        seen.append(tuple(b.marked.shape))
        return train_on(self, b)

    monkeypatch.setattr(WatermarkTrainerV3Scales, "train_on", recording)
    base = {"model": "ganhub_watermark.trainer:WatermarkTrainerV3Scales", "image_size": 32, "batch_size": 2,
            "g_channels": 4, "d_channels": 8, "steps": 12, "sample_every": 12, "checkpoint_every": 12,
            "sample_count": 2, "seed": 3, "threads": 1}
    train(make_config(base), tmp_path / "scales", progress=False)
    assert set(seen) == {(8, 3, 16, 16), (4, 3, 24, 24), (2, 3, 32, 32)}
    with pytest.raises(GanhubError, match=r"crop sides \[32\] .* raise image_size"):
        train(make_config({**base, "image_size": 24}), tmp_path / "small", progress=False)


def test_wide_trainer_adds_set5_and_set14_and_refuses_without_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ganhub_watermark import data
    from ganhub_watermark.trainer import WatermarkTrainerV3ScalesWide

    cfg = make_config({"model": "ganhub_watermark.trainer:WatermarkTrainerV3ScalesWide", "image_size": 256})
    if not (data.sr_dir() / "Set14").is_dir():
        pytest.skip("../shared/data/sr (Set5, Set14) is absent on this clone; CI has it")
    extra = data.extra_train_photos(256)
    assert len(extra) == 17 and all(min(p.shape[:2]) >= 256 and p.shape[2] == 3 for p in extra)
    bank = WatermarkTrainerV3ScalesWide.default_bank(cfg)
    assert len(bank.images) == len(data.train_photos()) + 17
    held_out = data.held_out_bsd68() + data.held_out_skimage()
    assert not any(p.shape == h.shape and np.array_equal(p, h) for p in extra for h in held_out)

    monkeypatch.setattr(data, "sr_dir", lambda: tmp_path / "absent")
    with pytest.raises(GanhubError, match="no Set5/Set14 photos of at least 256² in .*absent"):
        WatermarkTrainerV3ScalesWide.default_bank(cfg)
