"""The shipped weights: small fp16 safetensors, pinned, with a model card beside them."""

from __future__ import annotations

from pathlib import Path

from safetensors import safe_open

import ganhub_watermark
from ganhub_watermark.catalog import WEIGHTS_FILE, WatermarkCGAN

WEIGHTS = Path(ganhub_watermark.__file__).parent / "weights"


def test_weights_are_small_fp16_and_pinned() -> None:
    path = WEIGHTS / WEIGHTS_FILE
    assert path.stat().st_size < 4_000_000
    with safe_open(str(path), "pt") as handle:
        assert {str(handle.get_tensor(k).dtype) for k in handle.keys()} == {"torch.float16"}
    source = WatermarkCGAN.spec.weights[0]
    assert source.uri == f"pkg://ganhub-watermark/ganhub_watermark/weights/{WEIGHTS_FILE}"
    assert source.sha256 and source.size == path.stat().st_size


def test_model_card_next_to_weights() -> None:
    card = (WEIGHTS / "MODEL_CARD.md").read_text()
    for needed in ("Apache-2.0", "steps", "PSNR", "IoU", "cpu"):
        assert needed in card, needed


def test_ship_packages_a_run_as_fp16_under_a_new_name_only(tmp_path: Path) -> None:
    import json

    import pytest
    import torch
    from safetensors.torch import save_file

    from ganhub import GanhubError
    from ganhub_watermark import ship
    from ganhub_watermark.net import WatermarkUNet

    run = tmp_path / "run"
    run.mkdir()
    save_file(WatermarkUNet(4, layers=2).state_dict(), str(run / "generator.safetensors"))
    (run / "generator.json").write_text(json.dumps({"architecture": "ganhub_watermark.net:WatermarkUNet", "step": 3,
                                                    "kwargs": {"channels": 4, "layers": 2}, "config": {}}))
    path, digest, size = ship.ship(run, "watermark_test.safetensors", tmp_path)
    with safe_open(str(path), "pt") as handle:
        assert {handle.get_tensor(k).dtype for k in handle.keys()} == {torch.float16}
        assert json.loads(handle.metadata()["ganhub_run"])["step"] == 3
    assert size == path.stat().st_size and len(digest) == 64 and path.with_suffix(".json").is_file()
    before = path.read_bytes()
    with pytest.raises(GanhubError, match="exists .* ship under a new name"):
        ship.ship(run, "watermark_test.safetensors", tmp_path)
    assert path.read_bytes() == before and not list(tmp_path.glob("*.partial"))
