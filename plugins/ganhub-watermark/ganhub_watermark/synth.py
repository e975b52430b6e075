"""Synthetic watermarks: text (several TrueType fonts) and simple logo shapes over clean photos.

v2 (:func:`synthesize`) makes one single-colour alpha-blended layer. v3 (:func:`make_mark`)
makes what real marks do: drop shadows, outlines, emboss, gradient and multi-colour fills,
multi-colour logos, multiply/screen/overlay blends, JPEG re-compression after marking, and
busy textures under the mark; each as a stack of :class:`Layer`s so training can supervise
the layers it can invert.

Everything random is drawn from a ``numpy.random.Generator`` passed in, so a seed gives the
same (watermarked, clean, mask) triple on every machine with the same fonts installed.
One font family (Liberation Serif) is kept out of training, to evaluate on unseen glyphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
HELD_OUT_FAMILY = "LiberationSerif"  # never seen in training: the evaluation font
WORDS = ("SAMPLE", "© Photo", "stock", "PREVIEW", "ganhub", "Copyright 2026", "DRAFT",
         "shutter", "© studio", "demo", "PROOF", "www.example.com", "watermark", "PRO")
MASK_THRESHOLD = 0.1  # coverage above this counts as watermark (anti-aliased edges below do not)


def fonts(held_out: bool = False) -> list[Path]:
    """Training fonts (all but the held-out family), or only the held-out family's files."""
    found = sorted(p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf"))
    # The TeX math font has almost no Latin glyph coverage worth training on.
    found = [p for p in found if "Math" not in p.name]
    chosen = [p for p in found if p.name.startswith(HELD_OUT_FAMILY) == held_out]
    if not chosen:
        raise FileNotFoundError(f"no fonts found in {', '.join(map(str, FONT_DIRS))}")
    return chosen


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _text(rng: np.random.Generator) -> str:
    if rng.random() < 0.7:
        return str(WORDS[rng.integers(len(WORDS))])
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghkmnopqrstuvwxyz0123456789"
    return "".join(letters[i] for i in rng.integers(len(letters), size=int(rng.integers(3, 10))))


def _text_stamp(rng: np.random.Generator, font_files: list[Path], side: int) -> Image.Image:
    """One rotated word as an 'L' coverage image (255 = fully covered)."""
    path = font_files[rng.integers(len(font_files))]
    font = _font(str(path), int(rng.integers(max(8, side // 12), max(12, side // 3))))
    text = _text(rng)
    left, top, right, bottom = font.getbbox(text)
    stamp = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(stamp).text((2 - left, 2 - top), text, fill=255, font=font)
    angle = float(rng.choice([0.0, rng.uniform(-45, 45)]))
    return stamp.rotate(angle, resample=Image.BICUBIC, expand=True)


def _logo_stamp(rng: np.random.Generator, side: int) -> Image.Image:
    """A simple logo-like shape: ring, box, triangle or star outline/fill."""
    size = int(rng.integers(max(10, side // 8), max(16, side // 2)))
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    width = int(rng.integers(1, max(2, size // 6)))
    fill = 255 if rng.random() < 0.4 else None
    shape = int(rng.integers(4))
    box = (1, 1, size - 2, size - 2)
    if shape == 0:
        draw.ellipse(box, outline=255, width=width, fill=fill)
    elif shape == 1:
        draw.rounded_rectangle(box, radius=size // 5, outline=255, width=width, fill=fill)
    else:
        points = 3 if shape == 2 else 10
        angles = np.linspace(0, 2 * np.pi, points, endpoint=False) + rng.uniform(0, np.pi)
        radii = np.full(points, size / 2 - 2) * (np.tile([1.0, 0.45], points)[:points] if shape == 3 else 1)
        poly = [(size / 2 + r * np.cos(a), size / 2 + r * np.sin(a)) for r, a in zip(radii, angles)]
        draw.polygon(poly, outline=255, fill=fill, width=width)
    return stamp


def coverage(rng: np.random.Generator, height: int, width: int, font_files: list[Path]) -> np.ndarray:
    """An H×W float coverage map in [0, 1]: one stamp, or a stamp tiled over the image."""
    layer = Image.new("L", (width, height), 0)
    side = min(height, width)
    stamp = _logo_stamp(rng, side) if rng.random() < 0.25 else _text_stamp(rng, font_files, side)
    if rng.random() < 0.35:  # tiled / repeated, as stock-photo sites do
        step_x = stamp.width + int(rng.integers(4, max(5, side // 3)))
        step_y = stamp.height + int(rng.integers(4, max(5, side // 3)))
        offset_x, offset_y = int(rng.integers(-stamp.width, 1)), int(rng.integers(-stamp.height, 1))
        for row, y in enumerate(range(offset_y, height, step_y)):
            shift = (step_x // 2) * (row % 2)
            for x in range(offset_x - shift, width, step_x):
                layer.paste(255, (x, y), stamp)
    else:
        x = int(rng.integers(-stamp.width // 4, max(1, width - stamp.width * 3 // 4)))
        y = int(rng.integers(-stamp.height // 4, max(1, height - stamp.height * 3 // 4)))
        layer.paste(255, (x, y), stamp)
    return np.asarray(layer, np.float32) / 255.0


def _colour(rng: np.random.Generator) -> np.ndarray:
    pick = rng.random()
    if pick < 0.4:
        return np.ones(3, np.float32)  # white, the most common watermark colour
    if pick < 0.6:
        return np.zeros(3, np.float32)
    if pick < 0.75:
        return np.full(3, rng.uniform(0.3, 0.8), np.float32)
    return rng.random(3).astype(np.float32)


@dataclass(frozen=True)
class Sample:
    """One synthetic pair and how it was made: ``marked = clean·(1 − alpha) + colour·alpha``."""

    marked: np.ndarray  # H×W×3 float32 in [0, 1]
    clean: np.ndarray  # H×W×3 float32 in [0, 1]
    mask: np.ndarray  # H×W {0, 1}: where the watermark covers more than MASK_THRESHOLD
    alpha: np.ndarray  # H×W opacity of the watermark layer, in [0, 0.8]
    colour: np.ndarray  # (3,) the watermark's colour


def synthesize(clean: np.ndarray, rng: np.random.Generator,
               font_files: list[Path] | None = None) -> Sample:
    """Watermark an H×W×3 float32 image in [0, 1]; the sample keeps alpha and colour for training."""
    height, width = clean.shape[:2]
    cover = coverage(rng, height, width, font_files or fonts())
    opacity = float(rng.uniform(0.2, 0.8))
    alpha = cover * opacity
    colour = _colour(rng)
    marked = clean * (1.0 - alpha[..., None]) + colour * alpha[..., None]
    mask = (cover > MASK_THRESHOLD).astype(np.float32)
    return Sample(marked.astype(np.float32), clean.astype(np.float32), mask,
                  alpha.astype(np.float32), colour)


def add_watermark(clean: np.ndarray, rng: np.random.Generator,
                  font_files: list[Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(watermarked, clean, mask) for an H×W×3 float32 image in [0, 1]; mask is H×W in {0, 1}."""
    sample = synthesize(clean, rng, font_files)
    return sample.marked, sample.clean, sample.mask


# ---------------------------------------------------------------------------------------
# v3: layered marks. Every layer is an alpha blend of a colour (or a blend mode of it) over
# what lies below; a mark is a stack of layers, bottom first.

EVAL_KINDS = ("plain", "tiled", "coloured", "shadowed", "embossed", "logo", "jpeg")
TRAIN_KINDS = ("plain", "tiled", "coloured", "shadowed", "embossed", "outlined", "gradient", "logo", "blend")
# How often training draws each kind: the v2 kinds keep a large share so v3 does not forget them.
TRAIN_WEIGHTS = (0.2, 0.14, 0.13, 0.13, 0.09, 0.06, 0.06, 0.12, 0.07)
BLEND_MODES = ("normal", "multiply", "screen", "overlay")
MAX_OPACITY = 0.8  # per layer, as in v2: the network caps each layer's alpha at 0.9


@dataclass(frozen=True)
class Layer:
    """One layer of a mark: ``blend(base, colour)`` mixed in with opacity ``alpha``."""

    cover: np.ndarray  # H×W shape of the layer in [0, 1] (before opacity): defines the mask
    alpha: np.ndarray  # H×W opacity in [0, MAX_OPACITY]
    colour: np.ndarray  # H×W×3 colour (per pixel: gradients and multi-colour logos)
    mode: str = "normal"  # one of BLEND_MODES
    under: bool = False  # a shadow, stroke or dark edge: sits below the mark's main fill


def blend(base: np.ndarray, layer: Layer) -> np.ndarray:
    """``base`` with ``layer`` composited on top (the usual image-editor formulas)."""
    c, a = layer.colour, layer.alpha[..., None]
    if layer.mode == "normal":
        top = c
    elif layer.mode == "multiply":
        top = base * c
    elif layer.mode == "screen":
        top = 1.0 - (1.0 - base) * (1.0 - c)
    elif layer.mode == "overlay":
        top = np.where(base < 0.5, 2.0 * base * c, 1.0 - 2.0 * (1.0 - base) * (1.0 - c))
    else:
        raise ValueError(f"unknown blend mode {layer.mode!r}")
    return base * (1.0 - a) + top * a


def jpeg_bake(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode as JPEG at ``quality`` and decode: marks are usually saved into a JPEG."""
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), np.float32) / 255.0


def busy_texture(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``clean`` mixed with fine gratings and speckle: the busy backgrounds marks hide in."""
    height, width = clean.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = np.zeros((height, width, 3), np.float32)
    for _ in range(int(rng.integers(2, 4))):  # oriented gratings, periods of 3–10 px (fabric, grass)
        angle, period = rng.uniform(0, np.pi), rng.uniform(3, 10)
        wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period + rng.uniform(0, 6.3))
        texture += wave[..., None] * rng.uniform(0.2, 1.0, 3).astype(np.float32)
    texture += rng.normal(0, 0.6, (height, width, 1)).astype(np.float32)  # speckle
    texture = 0.5 + 0.5 * texture / (np.abs(texture).max() + 1e-6)
    strength = float(rng.uniform(0.25, 0.6))
    return (clean * (1 - strength) + texture * strength).astype(np.float32)


def _positions(rng: np.random.Generator, height: int, width: int, stamp: tuple[int, int],
               tiled: bool) -> list[tuple[int, int]]:
    """Where to paste a (w, h) stamp: once, or tiled in offset rows (as v2's :func:`coverage`)."""
    sw, sh = stamp
    side = min(height, width)
    if not tiled:
        return [(int(rng.integers(-sw // 4, max(1, width - sw * 3 // 4))),
                 int(rng.integers(-sh // 4, max(1, height - sh * 3 // 4))))]
    step_x, step_y = sw + int(rng.integers(4, max(5, side // 3))), sh + int(rng.integers(4, max(5, side // 3)))
    ox, oy = int(rng.integers(-sw, 1)), int(rng.integers(-sh, 1))
    return [(x, y) for row, y in enumerate(range(oy, height, step_y))
            for x in range(ox - (step_x // 2) * (row % 2), width, step_x)]


def _place(stamps: list[Image.Image], height: int, width: int, spots: list[tuple[int, int]]) -> list[np.ndarray]:
    """Each same-sized 'L' stamp pasted at every spot: H×W coverage maps in [0, 1]."""
    maps = []
    for stamp in stamps:
        layer = Image.new("L", (width, height), 0)
        for spot in spots:
            layer.paste(255, spot, stamp)
        maps.append(np.asarray(layer, np.float32) / 255.0)
    return maps


def _shift(plane: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``plane`` moved by (dx, dy) pixels, zero filled (np.roll would wrap marks around)."""
    out = np.zeros_like(plane)
    h, w = plane.shape
    out[max(0, dy): h + min(0, dy), max(0, dx): w + min(0, dx)] = \
        plane[max(0, -dy): h - max(0, dy), max(0, -dx): w - max(0, dx)]
    return out


def _filter(plane: np.ndarray, kind: str, size: float) -> np.ndarray:
    """PIL's Gaussian blur ("blur", radius) or max filter ("grow", pixels) of an H×W map."""
    from PIL import ImageFilter

    image = Image.fromarray(np.round(plane * 255).astype(np.uint8))
    chosen = ImageFilter.GaussianBlur(size) if kind == "blur" else ImageFilter.MaxFilter(2 * int(size) + 1)
    return np.asarray(image.filter(chosen), np.float32) / 255.0


def _vivid(rng: np.random.Generator) -> np.ndarray:
    """A saturated colour (hue anywhere, saturation ≥ 0.6): the coloured marks v2 left traces of."""
    import colorsys

    return np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 1.0), rng.uniform(0.55, 1.0)), np.float32)


def _light(rng: np.random.Generator) -> np.ndarray:
    return np.full(3, rng.uniform(0.85, 1.0), np.float32)


def _dark(rng: np.random.Generator) -> np.ndarray:
    return np.full(3, rng.uniform(0.0, 0.2), np.float32)


def _flat(colour: np.ndarray, height: int, width: int) -> np.ndarray:
    return np.broadcast_to(colour, (height, width, 3)).astype(np.float32)


def _layer(cover: np.ndarray, opacity: float, colour: np.ndarray, mode: str = "normal", under: bool = False) -> Layer:
    colour = colour if colour.ndim == 3 else _flat(colour, *cover.shape)
    return Layer(cover, (cover * min(opacity, MAX_OPACITY)).astype(np.float32), colour, mode, under)


def _stamp(rng: np.random.Generator, font_files: list[Path], side: int, text_share: float = 0.75) -> Image.Image:
    return _text_stamp(rng, font_files, side) if rng.random() < text_share else _logo_stamp(rng, side)


def _cover(rng: np.random.Generator, height: int, width: int, font_files: list[Path],
           tiled: bool | None = None, text_share: float = 0.75) -> np.ndarray:
    stamp = _stamp(rng, font_files, min(height, width), text_share)
    tiled = bool(rng.random() < 0.3) if tiled is None else tiled
    return _place([stamp], height, width, _positions(rng, height, width, stamp.size, tiled))[0]


def _logo_parts(rng: np.random.Generator, font_files: list[Path], side: int) -> list[Image.Image]:
    """A multi-colour logo: 1–2 shapes and a word, each part its own same-sized 'L' image."""
    shapes = [_logo_stamp(rng, side) for _ in range(int(rng.integers(1, 3)))]
    word = _text_stamp(rng, font_files, side)
    if word.height > shapes[0].height * 2:  # a rotated word: keep the logo compact
        word = word.resize((word.width, max(4, shapes[0].height)))
    beside = rng.random() < 0.6  # shape left of the word, or the word over the shape
    width = shapes[0].width + word.width + 2 if beside else max(shapes[0].width, word.width)
    height = max(shapes[0].height, word.height)
    parts = []
    for i, shape in enumerate(shapes):
        part = Image.new("L", (width, height), 0)
        inset = (shapes[0].width - shape.width) // 2 + 2 * i  # a second shape nested in the first
        part.paste(shape, (max(0, inset), (height - shape.height) // 2))
        parts.append(part)
    text = Image.new("L", (width, height), 0)
    text.paste(word, (shapes[0].width + 2 if beside else (width - word.width) // 2, (height - word.height) // 2))
    return parts + [text]


def _kind_layers(kind: str, rng: np.random.Generator, height: int, width: int,
                 font_files: list[Path]) -> list[Layer]:
    """The layers (bottom first) of one mark of ``kind``."""
    side = min(height, width)
    if kind in ("plain", "tiled", "jpeg"):
        cover = _cover(rng, height, width, font_files, tiled=kind == "tiled")
        return [_layer(cover, rng.uniform(0.2, 0.8), _colour(rng))]
    if kind == "coloured":
        return [_layer(_cover(rng, height, width, font_files, text_share=0.85), rng.uniform(0.2, 0.7), _vivid(rng))]
    if kind == "shadowed":  # light text over its blurred, offset dark copy
        cover = _cover(rng, height, width, font_files, text_share=0.85)
        reach = max(2, side // 40)
        dx, dy = (int(rng.integers(0, reach + 1)) * s for s in rng.choice([-1, 1], 2, p=[0.25, 0.75]))
        dx, dy = (dx, dy) if dx or dy else (1, 1)
        shadow = _filter(_shift(cover, dx, dy), "blur", rng.uniform(0, 2.5))
        top = _light(rng) if rng.random() < 0.7 else _colour(rng)
        return [_layer(shadow, rng.uniform(0.3, 0.8), _dark(rng), under=True),
                _layer(cover, rng.uniform(0.3, 0.8), top)]
    if kind == "embossed":  # lit from one side: light edges there, dark edges opposite
        cover = _filter(_cover(rng, height, width, font_files, text_share=0.7), "blur", rng.uniform(0.3, 1.0))
        d = int(rng.integers(1, 3))
        edge = _shift(cover, -d, -d) - _shift(cover, d, d)
        strength = rng.uniform(0.4, 0.8)
        layers = [_layer(np.clip(-edge, 0, 1), strength, _dark(rng), under=True)]
        if rng.random() < 0.5:  # a faint fill, as bevel presets often add
            layers.append(_layer(cover, rng.uniform(0.05, 0.25), _light(rng)))
        return layers + [_layer(np.clip(edge, 0, 1), strength, _light(rng))]
    if kind == "outlined":  # a stroke around the glyphs; the fill may be empty
        cover = _cover(rng, height, width, font_files)
        stroke = _filter(cover, "grow", int(rng.integers(1, 3)))
        fill = 0.0 if rng.random() < 0.3 else rng.uniform(0.2, 0.8)
        return [_layer(stroke, rng.uniform(0.4, 0.8), _dark(rng) if rng.random() < 0.6 else _vivid(rng), under=True),
                _layer(cover, fill, _light(rng) if rng.random() < 0.6 else _vivid(rng))]
    if kind == "gradient":  # two colours, blended smoothly or split hard, across the image
        cover = _cover(rng, height, width, font_files)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        t = xx * np.cos(angle) + yy * np.sin(angle)
        inside = t[cover > MASK_THRESHOLD] if (cover > MASK_THRESHOLD).any() else t
        # Run the ramp across the mark itself, not the whole image (a small mark would be flat).
        t = np.clip((t - inside.min()) / (np.ptp(inside) + 1e-6), 0, 1)
        if rng.random() < 0.4:
            t = (t > rng.uniform(0.3, 0.7)).astype(np.float32)
        a, b = _vivid(rng), (_colour(rng) if rng.random() < 0.5 else _vivid(rng))
        if np.abs(a - b).max() < 0.3:  # two colours, visibly
            b = 1.0 - a
        return [_layer(cover, rng.uniform(0.3, 0.8), a * (1 - t[..., None]) + b * t[..., None])]
    if kind == "logo":
        parts = _logo_parts(rng, font_files, side)
        maps = _place(parts, height, width, _positions(rng, height, width, parts[0].size, rng.random() < 0.25))
        colours = [_vivid(rng) if rng.random() < 0.7 else _colour(rng) for _ in maps]
        return [_layer(m, rng.uniform(0.3, 0.8), c) for m, c in zip(maps, colours)]
    if kind == "blend":
        mode = str(rng.choice(BLEND_MODES[1:]))
        colour = {"multiply": _dark(rng) if rng.random() < 0.5 else _vivid(rng) * 0.6,
                  "screen": _light(rng) if rng.random() < 0.5 else 0.4 + _vivid(rng) * 0.6,
                  "overlay": _colour(rng)}[mode]
        return [_layer(_cover(rng, height, width, font_files), rng.uniform(0.4, 1.0), colour.astype(np.float32), mode)]
    raise ValueError(f"unknown mark kind {kind!r}")


@dataclass(frozen=True)
class MarkSample:
    """A v3 pair: ``blended`` is the layers over ``clean``; ``marked`` is it after any JPEG bake."""

    kind: str
    marked: np.ndarray  # H×W×3 float32 in [0, 1]: the network's input
    blended: np.ndarray  # the same before JPEG re-compression (== marked when not baked)
    clean: np.ndarray  # the target (the textured photo when a texture was added)
    mask: np.ndarray  # H×W {0, 1}: some layer covers more than MASK_THRESHOLD
    layers: tuple[Layer, ...]  # bottom first
    jpeg_quality: int  # 0: not baked

    def two_layers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
        """(top alpha, top colour·alpha, bottom alpha, bottom colour·alpha, exact).

        Normal layers compose into two: the ``under`` ones (shadow, stroke, dark edge) and the
        rest, each merged with the "over" operator. ``exact`` is False when a blend mode other
        than normal was used (no alpha layer describes it; train on the clean image only).
        """
        h, w = self.mask.shape
        merged = {}
        for under in (True, False):
            alpha, premult = np.zeros((h, w), np.float32), np.zeros((h, w, 3), np.float32)
            for layer in (la for la in self.layers if la.under == under):
                a = layer.alpha[..., None]
                premult = layer.colour * a + premult * (1 - a)
                alpha = layer.alpha + alpha * (1 - layer.alpha)
            merged[under] = (alpha, premult)
        exact = all(la.mode == "normal" for la in self.layers)
        return (*merged[False], *merged[True], exact)


def make_mark(clean: np.ndarray, rng: np.random.Generator, kind: str, font_files: list[Path] | None = None,
              jpeg: int | None = None, texture: bool = False) -> MarkSample:
    """Mark an H×W×3 float32 [0, 1] image with a ``kind`` mark (``EVAL_KINDS``/``TRAIN_KINDS``).

    ``texture`` first mixes a busy texture into the photo (the target keeps it); ``jpeg`` bakes
    the result at that quality ("jpeg" kind: a plain mark baked at quality 50–90).
    """
    if texture:
        clean = busy_texture(clean, rng)
    height, width = clean.shape[:2]
    layers = _kind_layers(kind, rng, height, width, font_files or fonts())
    blended = clean.astype(np.float32)
    for layer in layers:
        blended = blend(blended, layer)
    blended = np.clip(blended, 0, 1).astype(np.float32)
    if kind == "jpeg" and jpeg is None:
        jpeg = int(rng.integers(50, 91))
    marked = jpeg_bake(blended, jpeg) if jpeg else blended
    mask = (np.max([la.cover for la in layers], axis=0) > MASK_THRESHOLD).astype(np.float32)
    return MarkSample(kind, marked, blended, clean.astype(np.float32), mask, tuple(layers), jpeg or 0)


@dataclass(frozen=True)
class Mix:
    """How the v3 training mix draws: kind weights (one per ``TRAIN_KINDS``), then how often
    the photo gets a busy texture and the result a JPEG bake."""

    weights: tuple[float, ...] = TRAIN_WEIGHTS
    texture: float = 0.15
    jpeg: float = 0.25

    def __post_init__(self) -> None:
        if len(self.weights) != len(TRAIN_KINDS):
            raise ValueError(f"{len(self.weights)} kind weights for {len(TRAIN_KINDS)} kinds ({', '.join(TRAIN_KINDS)})")


def random_mark(clean: np.ndarray, rng: np.random.Generator, font_files: list[Path] | None = None,
                mix: Mix = Mix()) -> MarkSample:
    """A mark from the v3 training mix (by default: ``TRAIN_WEIGHTS``, busy texture 15 %, JPEG bake 25 %)."""
    kind = TRAIN_KINDS[rng.choice(len(TRAIN_KINDS), p=np.array(mix.weights) / sum(mix.weights))]
    texture = bool(rng.random() < mix.texture)
    jpeg = int(rng.integers(50, 96)) if rng.random() < mix.jpeg else None
    return make_mark(clean, rng, kind, font_files, jpeg=jpeg, texture=texture)
