"""Quality of watermark removal on held-out photos and the held-out font: PSNR, mask IoU.

Used by the tests and to write the model card, so both report the same numbers.

    python -m ganhub_watermark.evaluate     # prints the quality table
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganhub import imaging
from ganhub_watermark import data, synth
from ganhub_watermark.modes import auto_remove

if TYPE_CHECKING:
    from ganhub import Loaded

EVAL_SIZE = 96  # crops of held-out photos; training saw 64² crops, so text is a bit larger here
EVAL_SEED = 1234


@dataclass(frozen=True)
class Quality:
    """Mean scores over a set of crops (dB for PSNR)."""

    count: int
    psnr_in: float  # watermarked input vs clean
    psnr_out: float  # our output vs clean
    ssim_in: float  # watermarked input vs clean
    ssim_out: float  # our output vs clean
    iou: float  # predicted mask vs true mask
    clean_psnr: float  # on unwatermarked crops: output vs input (inf = untouched)
    clean_changed: float  # fraction of pixels changed on unwatermarked crops
    clean_psnr_min: float  # the worst unwatermarked crop: output vs input

    @property
    def gain(self) -> float:
        """Mean PSNR improvement in dB."""
        return self.psnr_out - self.psnr_in


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two [0, 1] images (capped at 100 dB for identical images)."""
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 100.0 if mse == 0 else 10 * np.log10(1.0 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two H×W×3 [0, 1] images (scikit-image, 7×7 windows, per channel)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=1.0))


def crops(photos: list[np.ndarray], per_photo: int, size: int = EVAL_SIZE, seed: int = EVAL_SEED) -> list[np.ndarray]:
    """Deterministic ``size``² crops, ``per_photo`` from each photo."""
    rng = np.random.default_rng(seed)
    return [data.random_crop([photo], size, rng).copy() for photo in photos for _ in range(per_photo)]


def _run(loaded: "Loaded", rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = auto_remove(loaded, imaging.DecodedImage(np.ascontiguousarray(rgb), None, 8, "RGB"))
    return result.images[0], result.extras["mask"]


def _iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = np.logical_or(pred > 0.5, true > 0.5).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred > 0.5, true > 0.5).sum() / union)


def quality(loaded: "Loaded", clean_crops: list[np.ndarray], seed: int = EVAL_SEED) -> Quality:
    """Watermark each crop with the held-out font family, remove it, and score."""
    rng, fonts = np.random.default_rng(seed), synth.fonts(held_out=True)
    scores = []
    for clean in clean_crops:
        marked, _, true_mask = synth.add_watermark(clean, rng, fonts)
        output, mask = _run(loaded, marked)
        untouched, clean_mask = _run(loaded, clean)
        scores.append((psnr(marked, clean), psnr(output, clean), ssim(marked, clean), ssim(output, clean),
                       _iou(mask, true_mask),
                       psnr(untouched, clean), float(clean_mask.mean())))
    table = np.array(scores)
    return Quality(len(scores), *map(float, table.mean(axis=0)), float(table[:, 5].min()))


def main() -> None:
    """Print the quality table for the shipped weights."""
    from ganhub import Engine
    from ganhub import Registry

    engine = Engine(Registry.discover(allow=["watermark"]))
    loaded = engine.load("ganhub-watermark-cgan", device="cpu")
    sets = {"BSD68 held-out (17×4 crops)": crops(data.held_out_bsd68(), 4),
            "skimage held-out (2×16 crops)": crops(data.held_out_skimage(), 16)}
    print("| set | n | PSNR in | PSNR out | gain | SSIM in | SSIM out | mask IoU | clean: PSNR out vs in (mean / worst) | clean: px changed |")
    print("|---|---|---|---|---|---|---|---|---|---|")  # noqa: T201 (a CLI table)
    for name, clean_crops in sets.items():
        if clean_crops:
            q = quality(loaded, clean_crops)
            print(f"| {name} | {q.count} | {q.psnr_in:.2f} | {q.psnr_out:.2f} | {q.gain:+.2f} | "
                  f"{q.ssim_in:.4f} | {q.ssim_out:.4f} | {q.iou:.3f} | {q.clean_psnr:.1f} / {q.clean_psnr_min:.1f} | {100 * q.clean_changed:.2f}% |")


if __name__ == "__main__":
    main()
