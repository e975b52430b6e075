"""Weight soups of the packaged watermark networks (``python -m ganhub_watermark.soup``) and their packaging."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ganhub import GanhubError
from ganhub.weights import read_state_dict, sha256_of
from ganhub_watermark import soup
from ganhub_watermark.catalog import WEIGHTS_DIR, WatermarkCGAN
from ganhub_watermark.net import WatermarkUNet
from ganhub_watermark.ship import package


def test_recipe_shares_are_exact_fractions_and_bad_ones_are_refused() -> None:
    assert soup.parse_recipe(["v2=1/3", "v3c=1/3", "v3e=1/3"]) == pytest.approx({"v2": 1 / 3, "v3c": 1 / 3, "v3e": 1 / 3})
    assert soup.parse_recipe(["v2=0.4", "v3c=0.3", "v3e=0.3"]) == {"v2": 0.4, "v3c": 0.3, "v3e": 0.3}
    with pytest.raises(GanhubError, match="sum to 0.9, not 1"):
        soup.parse_recipe(["v2=0.6", "v3e=0.3"])
    for bad in (["v2"], ["=0.5", "v3e=0.5"], ["v2=abc", "v3e=1"], ["v2=0", "v3e=1"], ["v2=-0.5", "v3e=1.5"], ["v2=1/0"]):
        with pytest.raises(GanhubError, match="NAME=SHARE"):
            soup.parse_recipe(bad)
    with pytest.raises(GanhubError, match="given twice"):
        soup.parse_recipe(["v2=0.5", "v2=0.5"])
    with pytest.raises(GanhubError, match="at least one"):
        soup.parse_recipe([])


def test_soup_is_the_share_weighted_mean_with_v2s_head_widened() -> None:
    v2 = soup.two_layer_state(WEIGHTS_DIR / "watermark_cgan_v2.safetensors")
    v3e = {k: v.float() for k, v in read_state_dict(WEIGHTS_DIR / "watermark_cgan_v3e.safetensors").items()}
    assert v2["head.weight"].shape[0] == 12 and set(v2) == set(v3e)

    alone, _ = soup.soup({"v3e": 1.0})
    assert all(torch.equal(alone[k], v3e[k]) for k in v3e)
    mixed, facts = soup.soup({"v2": 0.25, "v3e": 0.75})
    for key in v3e:
        torch.testing.assert_close(mixed[key], 0.25 * v2[key] + 0.75 * v3e[key])
    assert facts["soup"] == [
        {"file": "watermark_cgan_v2.safetensors", "sha256": sha256_of(WEIGHTS_DIR / "watermark_cgan_v2.safetensors"), "share": 0.25},
        {"file": "watermark_cgan_v3e.safetensors", "sha256": sha256_of(WEIGHTS_DIR / "watermark_cgan_v3e.safetensors"), "share": 0.75}]


def test_soup_refuses_a_missing_file_and_a_network_of_another_width(tmp_path: Path) -> None:
    with pytest.raises(GanhubError, match="no weights file .* for ingredient 'v9'"):
        soup.soup({"v9": 1.0})
    wide = tmp_path / "wide.safetensors"
    from safetensors.torch import save_file

    save_file(WatermarkUNet(channels=8, layers=2).state_dict(), str(wide))
    with pytest.raises(GanhubError, match="not a ganhub-watermark-cgan network of width 16"):
        soup.soup({str(wide): 1.0})


def test_a_packaged_soup_loads_and_runs_and_no_file_is_written_over(tmp_path: Path) -> None:
    shutil.copy(WEIGHTS_DIR / "watermark_cgan_v2.safetensors", tmp_path)
    shutil.copy(WEIGHTS_DIR / "watermark_cgan_v3e.safetensors", tmp_path)
    state, facts = soup.soup(soup.parse_recipe(["v2=1/2", "v3e=1/2"]), weights_dir=tmp_path)
    path, digest, size = package(state, facts, "watermark_cgan_test.safetensors", out_dir=tmp_path)
    assert digest == sha256_of(path) and size == path.stat().st_size
    assert json.loads(path.with_suffix(".json").read_text())["soup"][1]["share"] == 0.5
    written = read_state_dict(path)
    assert all(v.dtype == torch.float16 for v in written.values())  # half the size; runs in fp32
    torch.testing.assert_close(written["head.bias"].float(), state["head.bias"], atol=1e-3, rtol=1e-3)

    network = WatermarkCGAN().build(path)
    image = torch.from_numpy(np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32))
    with torch.no_grad():
        out = network(image, torch.zeros(1, 1, 32, 32))
    assert out.shape == image.shape and torch.isfinite(out).all()

    before = path.read_bytes()
    with pytest.raises(GanhubError, match="exists .* ship under a new name"):
        package(state, facts, "watermark_cgan_test.safetensors", out_dir=tmp_path)
    assert path.read_bytes() == before
    with pytest.raises(GanhubError, match="does not end in .safetensors"):
        package(state, facts, "watermark_cgan_test.pt", out_dir=tmp_path)
    assert not (tmp_path / "watermark_cgan_test.pt").exists()


def test_cli_says_what_is_wrong_without_writing(capsys) -> None:
    before = sorted(p.name for p in WEIGHTS_DIR.iterdir())
    with pytest.raises(SystemExit, match="shares sum to 0.5, not 1"):
        soup.main(["watermark_cgan_never.safetensors", "v2=0.25", "v3e=0.25"])
    with pytest.raises(SystemExit, match="usage"):
        soup.main(["watermark_cgan_never.safetensors"])
    assert sorted(p.name for p in WEIGHTS_DIR.iterdir()) == before
