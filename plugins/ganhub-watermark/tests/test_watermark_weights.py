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
