"""Pictures of a run: sample grids and the loss curve (matplotlib if installed, else PIL)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ganhub import atomic

CURVE_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def image_grid(images: torch.Tensor, columns: int | None = None, pad: int = 2) -> np.ndarray:
    """(N, 3, H, W) in [0, 1] → one H×W×3 uint8 grid with ``pad`` white pixels between cells."""
    count, _, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad, 3), 255, np.uint8)
    pixels = (images.detach().float().clamp(0, 1).cpu().numpy().transpose(0, 2, 3, 1) * 255).round()
    for index, image in enumerate(pixels.astype(np.uint8)):
        top, left = pad + (index // columns) * (height + pad), pad + (index % columns) * (width + pad)
        grid[top : top + height, left : left + width] = image
    return grid


def save_grid(images: torch.Tensor, path: Path, columns: int | None = None, upscale: int = 1) -> Path:
    """Write :func:`image_grid` as a PNG (nearest-neighbour ``upscale`` for tiny crops)."""
    from PIL import Image

    picture = Image.fromarray(image_grid(images, columns))
    if upscale > 1:
        picture = picture.resize((picture.width * upscale, picture.height * upscale), Image.Resampling.NEAREST)
    with atomic.atomic_path(path) as temporary:
        picture.save(temporary, format="PNG")
    return path


def smooth(values: list[float], window: int) -> np.ndarray:
    """Running mean over ``window`` points (shorter at the start), for readable GAN curves."""
    data = np.asarray(values, np.float64)
    if window <= 1 or data.size == 0:
        return data
    sums = np.cumsum(np.insert(data, 0, 0.0))
    ends = np.arange(1, data.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def save_loss_curve(history: list[dict[str, float]], path: Path, keys: tuple[str, ...] = ("loss_d", "loss_g")) -> Path:
    """Plot the smoothed ``keys`` of ``history`` (one dict per step, with "step") as a PNG."""
    series = {k: [row[k] for row in history if k in row] for k in keys}
    steps = [row["step"] for row in history]
    window = max(1, len(steps) // 50)
    curves = {k: smooth(v, window) for k, v in series.items() if len(v) == len(steps) and v}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _matplotlib_curve(steps, curves, path)
    except ImportError:
        return _pil_curve(steps, curves, path)


def _matplotlib_curve(steps: list[float], curves: dict[str, np.ndarray], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.subplots()
    for name, values in curves.items():
        axes.plot(steps, values, label=name)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (running mean)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    with atomic.atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    return path


def _pil_curve(steps: list[float], curves: dict[str, np.ndarray], path: Path,
               size: tuple[int, int] = (600, 350)) -> Path:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    margin, (width, height) = 40, size
    values = np.concatenate(list(curves.values())) if curves else np.zeros(1)
    low, high = float(values.min()), float(values.max()) or 1.0
    span_x, span_y = max(steps[-1] - steps[0], 1) if steps else 1, max(high - low, 1e-9)
    draw.rectangle([margin, margin // 2, width - margin // 2, height - margin], outline="black")
    for index, (name, curve) in enumerate(curves.items()):
        colour = CURVE_COLOURS[index % len(CURVE_COLOURS)]
        points = [(margin + (s - steps[0]) / span_x * (width - 1.5 * margin),
                   height - margin - (v - low) / span_y * (height - 1.5 * margin)) for s, v in zip(steps, curve)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        draw.text((margin + 8, margin // 2 + 4 + 12 * index), name, fill=colour)
    draw.text((4, height - margin + 4), f"{low:.3g}..{high:.3g}", fill="black")
    with atomic.atomic_path(path) as temporary:
        picture.save(temporary, format="PNG")
    return path
