"""One request through a loaded model, per kind: check input → pad/tile → run → crop → finish.

:meth:`ganhub.engine.Engine.run` is the one entry point: it loads the model and calls the
function of its kind here, so every caller (CLI, app, Python) checks input the same way and
gets the same notes and timings. Plugins with their own modes call these functions directly
on a :class:`Loaded` model (e.g. an inpainter that finds its own mask).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ganhub import imaging, tile_memory, tiling
from ganhub.errors import GanhubError, ImageError
from ganhub.limits import PixelLimit, pixel_limit
from ganhub.model import ImageToImageModel, Model
from ganhub.spec import OVERLAP_PARAM, TILE_PARAM, InputConstraints, ModelSpec

if TYPE_CHECKING:
    from ganhub.runtime.base import Session
    from ganhub.weights.fetch import ResolvedWeights

Progress = Callable[[int, int], None]

MAX_BATCH = 64
AUTO_MASK_CHANGE = 1.0 / 512  # below half an 8-bit level a change is invisible


@dataclass(frozen=True)
class Loaded:
    """A model ready to run: its session and the weights it was built from."""

    model: Model
    session: "Session"
    weights: "ResolvedWeights | None"
    load_seconds: float
    constraints: InputConstraints


@dataclass
class RunResult:
    """What a run produced, plus what a user should know about how."""

    images: list[np.ndarray]  # H×W×3 float32 in [0, 1]; uint8/uint16 (bit_depth) when run quantized
    alphas: list[np.ndarray | None]
    bit_depth: int = 8
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # running the model (pre/post-processing included)
    load_seconds: float = 0.0  # fetching and building it, when this request had to load it
    model_id: str = ""
    runtime: str = ""
    device: str = ""
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the mask an inpaint model used


def check_input(image: imaging.DecodedImage, constraints: InputConstraints, model_id: str,
                limit: PixelLimit | None = None) -> None:
    """Refuse inputs the model cannot take, naming the limit, why it applies, and the fix.

    ``limit`` (a tiled run's, from memory) replaces the constraints' fixed ``max_pixels``.
    """
    width, height = image.size
    if min(width, height) < constraints.min_side:
        raise ImageError(
            f"image is {width}×{height}; '{model_id}' needs each side ≥ {constraints.min_side} px"
        )
    limit = limit or PixelLimit(constraints.max_pixels, "the model's fixed limit")
    if width * height > limit.pixels:
        raise ImageError(
            f"image is {width}×{height} = {width * height / 1e6:.1f} MP; '{model_id}' accepts at "
            f"most {limit.pixels / 1e6:.1f} MP here ({limit.why})", fix="downscale or crop it first",
            action="downscale",
        )


def _to_nchw(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32)


def _to_hwc(x: np.ndarray) -> np.ndarray:
    """First image of N×C×H×W as H×W×C, float in [0, 1] or as quantized, copied only when
    the channels-last layout needs it (outputs can be GBs)."""
    if x.dtype != np.float32:
        return np.ascontiguousarray(x[0].transpose(1, 2, 0))
    hwc = np.ascontiguousarray(x[0].transpose(1, 2, 0), dtype=np.float32)
    return np.clip(hwc, 0.0, 1.0, out=hwc)


def _result_dtype(model: Model, bit_depth: int, quantized: bool, tiled: bool) -> type:
    """What tiles are blended into: the output's own bit depth when the caller wants a
    quantized result and the model's ``finish`` takes integers (memory: 1–2 bytes a sample
    instead of 4), else float32."""
    if not (quantized and tiled and takes_integers(model)):
        return np.float32
    return np.uint16 if bit_depth == 16 else np.uint8


def takes_integers(model: Model) -> bool:
    """Whether ``model.finish`` works on uint8/uint16 arrays (the default, which returns its input, does)."""
    return type(model).finish is ImageToImageModel.finish or bool(getattr(model, "finish_takes_integers", False))


def _resize_alpha(alpha: np.ndarray, height: int, width: int, dtype: np.dtype = np.dtype(np.float32)) -> np.ndarray:
    """``alpha`` (float [0, 1]) at the result's size and dtype; 8-bit results resize in 8 bits."""
    from PIL import Image

    if dtype == np.uint8:  # a float alpha at a ×4 output's size would be 4 bytes a pixel
        small = imaging.quantize(alpha, 8, "alpha")
        if small.shape == (height, width):
            return small
        return np.asarray(Image.fromarray(small).resize((width, height), Image.LANCZOS))
    if alpha.shape != (height, width):
        resized = Image.fromarray(alpha.astype(np.float32)).resize((width, height), Image.LANCZOS)
        alpha = np.clip(np.asarray(resized, np.float32), 0.0, 1.0)
    return imaging.quantize(alpha, 16, "alpha") if dtype == np.uint16 else alpha


def run_image_to_image(
    loaded: Loaded,
    *,
    image: imaging.DecodedImage,
    params: dict[str, Any],
    progress: Progress | None = None,
    quantized: bool = False,
) -> RunResult:
    """Image in, image out, tiled when the model allows and the params ask for it.

    ``quantized`` returns the image at the input's bit depth (uint8/uint16) rather than float:
    a tiled run then never holds a float copy of the whole output.
    """
    spec, model, constraints = loaded.model.spec, loaded.model, loaded.constraints
    tile = int(params.get(TILE_PARAM, 0) or 0) if spec.tileable else 0
    out_dtype = _result_dtype(model, image.bit_depth, quantized, tile > 0)
    limit = pixel_limit(spec, constraints, tiled=tile > 0, integer_result=out_dtype != np.float32)
    check_input(image, constraints, spec.id, limit)
    overlap = int(params.get(OVERLAP_PARAM, 0) or 0)
    extra = model.extra_inputs(params)
    run_network = (lambda x: loaded.session.run(x, *extra)) if extra else loaded.session.run
    notes = list(image.notes)
    network_input = _to_nchw(image.rgb)
    while True:  # out of memory: halve the tile and run again (tileable models only)
        out_dtype = _result_dtype(model, image.bit_depth, quantized, tile > 0)
        try:
            output = tiling.tiled_apply(run_network, network_input, scale=constraints.scale, tile=tile, overlap=overlap,
                                        multiple_of=constraints.multiple_of, progress=progress, out_dtype=out_dtype)
            break
        except Exception as exc:
            tile = _retry_tile(exc, spec, tile, overlap, max(image.size), constraints.multiple_of, notes)
    del network_input
    rgb = np.asarray(model.finish(_to_hwc(output), image.rgb, params))
    del output  # the N×C×H×W result is no longer needed; free it before alpha work
    if quantized:
        rgb = imaging.quantize(rgb, image.bit_depth, "the result")
    else:
        rgb = rgb.astype(np.float32, copy=False)
        np.clip(rgb, 0.0, 1.0, out=rgb)
    alpha = None if image.alpha is None else _resize_alpha(image.alpha, *rgb.shape[:2], rgb.dtype)
    if alpha is not None and constraints.scale > 1:
        notes.append("alpha channel resized with Lanczos")
    return RunResult([rgb], [alpha], image.bit_depth, notes)


def _retry_tile(exc: Exception, spec: ModelSpec, tile: int, overlap: int, longest: int, multiple_of: int,
                notes: list[str]) -> int:
    """The tile to run again with after ``exc``; re-raises anything that is not out-of-memory,
    and says what to do when even the smallest useful tile does not fit."""
    if not tile_memory.is_out_of_memory(exc):
        raise exc
    smaller = tile_memory.smaller_tile(tile, longest, multiple_of, overlap) if spec.tileable else None
    if smaller is None:
        at = f"tile {tile}" if tile else "the whole image at once"
        raise GanhubError(f"'{spec.id}' ran out of memory at {at}", why=str(exc).splitlines()[0][:200],
                          fix="close other programs, or downscale or crop the image", action="downscale") from exc
    tile_memory.release_memory()
    at = "the whole image" if tile == 0 else f"tile {tile}"
    notes.append(f"ran out of memory at {at}: retried with tile {smaller}")
    return smaller


def run_inpaint(
    loaded: Loaded,
    *,
    image: imaging.DecodedImage,
    params: dict[str, Any],
    mask: np.ndarray | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Image + mask (1 = remove) → image where only masked pixels may change."""
    spec, constraints = loaded.model.spec, loaded.constraints
    check_input(image, constraints, spec.id)
    auto = mask is None and getattr(loaded.model, "auto_mask", False)
    if mask is None and not auto:
        raise ImageError(f"'{spec.id}' needs a mask: paint the area to remove (white = remove)")
    if auto:  # an empty mask asks an auto-mask model to find the area itself
        mask = np.zeros(image.rgb.shape[:2], np.float32)
    if mask.shape != image.rgb.shape[:2]:
        raise ImageError(f"mask is {mask.shape[1]}×{mask.shape[0]} but the image is {image.size[0]}×{image.size[1]}")
    binary = (mask > 0.5).astype(np.float32)
    padded_rgb, (height, width) = tiling.pad_to_multiple(_to_nchw(image.rgb), constraints.multiple_of)
    padded_mask, _ = tiling.pad_to_multiple(binary[None, None], constraints.multiple_of)
    output = tiling.crop_to(loaded.session.run(padded_rgb, padded_mask), height, width)
    filled = _to_hwc(output)
    if auto:
        # An auto-mask model leaves untouched pixels exact: what it changed is the mask it used.
        binary = (np.abs(filled - image.rgb).max(axis=-1) > AUTO_MASK_CHANGE).astype(np.float32)
    # Only masked pixels may change: composite so the network cannot touch the rest.
    rgb = filled * binary[..., None] + image.rgb * (1.0 - binary[..., None])
    rgb = loaded.model.finish(rgb, image.rgb, params)
    result = RunResult([rgb.astype(np.float32)], [image.alpha], image.bit_depth, list(image.notes))
    result.extras["mask"] = binary
    if progress:
        progress(1, 1)
    return result


def run_generate(
    loaded: Loaded,
    *,
    params: dict[str, Any],
    seed: int = 0,
    count: int = 1,
    progress: Progress | None = None,
) -> RunResult:
    """``count`` images from ``seed``; the same seed and params give the same images."""
    if not 1 <= count <= MAX_BATCH:
        raise GanhubError(f"count is {count}; generate between 1 and {MAX_BATCH} images")
    if not 0 <= seed < 2**32:
        raise GanhubError(f"seed is {seed}; use an integer in 0..{2**32 - 1}")
    inputs = loaded.model.latents(seed, count, params)
    output = loaded.session.run(*inputs)
    images = [np.clip(img.transpose(1, 2, 0), 0.0, 1.0).astype(np.float32) for img in output]
    if progress:
        progress(1, 1)
    return RunResult(images, [None] * len(images), 8, [f"seed {seed}"])
