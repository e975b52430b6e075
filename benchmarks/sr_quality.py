"""Super-resolution quality on Set5/Set14: PSNR-Y, SSIM-Y and sharpness, bicubic vs each model.

GAN SR is perceptual: Real-ESRGAN scores *below* bicubic on PSNR by design while being far
sharper, so the table reports the mean gradient magnitude next to the ground truth's.
Low-resolution inputs are made the standard way (bicubic ×1/4 with antialiasing, as MATLAB's
imresize); PSNR/SSIM are on the Y channel with a 4-pixel border cropped.

    python benchmarks/sr_quality.py --sets Set5 --models realesrgan-x4plus,realesr-animevideov3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr"
SCALE, BORDER = 4, 4


def y_channel(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of RGB in [0, 1], on the [16, 235] scale as SR papers compute it."""
    return 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]


def psnr_ssim_y(output: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    a = y_channel(output)[BORDER:-BORDER, BORDER:-BORDER]
    b = y_channel(truth)[BORDER:-BORDER, BORDER:-BORDER]
    psnr = peak_signal_noise_ratio(b, a, data_range=255)
    ssim = structural_similarity(b, a, data_range=255, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    return float(psnr), float(ssim)


def sharpness(rgb: np.ndarray) -> float:
    """Mean gradient magnitude of the luma (0-255 scale)."""
    return float(np.hypot(*np.gradient(y_channel(rgb))).mean())


def load_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ground truth cropped to a multiple of 4, its bicubic ×1/4) as float RGB."""
    image = Image.open(path).convert("RGB")
    width, height = image.width - image.width % SCALE, image.height - image.height % SCALE
    truth = image.crop((0, 0, width, height))
    low = truth.resize((width // SCALE, height // SCALE), Image.BICUBIC)
    return np.asarray(truth, np.float32) / 255, np.asarray(low, np.float32) / 255


def bicubic_up(low: np.ndarray) -> np.ndarray:
    image = Image.fromarray(np.round(low * 255).astype(np.uint8))
    up = image.resize((image.width * SCALE, image.height * SCALE), Image.BICUBIC)
    return np.asarray(up, np.float32) / 255


def evaluate(sets: list[str], models: list[str]) -> dict:
    """Mean PSNR-Y / SSIM-Y / sharpness per set and method."""
    from ganhub.engine import Engine
    from ganhub.imaging import read_image
    from ganhub.registry import Registry

    engine = Engine(Registry.discover(), device="cpu")
    report: dict = {}
    for name in sets:
        rows: dict[str, list[tuple[float, float, float]]] = {"bicubic": [], "ground truth": []}
        for path in sorted((DATA / name).glob("*.png")):
            truth, low = load_pair(path)
            rows["ground truth"].append((float("inf"), 1.0, sharpness(truth)))
            up = bicubic_up(low)
            rows["bicubic"].append((*psnr_ssim_y(up, truth), sharpness(up)))
            for model in models:
                out = engine.run(model, image=read_image(low), params={"tile": 0}).images[0]
                rows.setdefault(model, []).append((*psnr_ssim_y(out, truth), sharpness(out)))
        report[name] = {method: dict(zip(("psnr_y", "ssim_y", "sharpness"), np.mean(values, axis=0).tolist()))
                        for method, values in rows.items()}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="Set5,Set14")
    parser.add_argument("--models", default="realesrgan-x4plus,realesrgan-x4plus-anime,realesr-animevideov3")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not DATA.exists():
        sys.exit(f"no SR data at {DATA}: this needs ../shared/data beside the repo")
    report = evaluate(args.sets.split(","), args.models.split(","))
    for name, methods in report.items():
        print(f"\n{name}: {'method':<26} {'PSNR-Y':>7} {'SSIM-Y':>7} {'sharpness':>9}")
        for method, m in methods.items():
            print(f"{'':<6}{method:<26} {m['psnr_y']:>7.2f} {m['ssim_y']:>7.4f} {m['sharpness']:>9.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
