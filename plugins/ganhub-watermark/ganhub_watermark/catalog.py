"""The models this plugin registers: our own watermark remover, LaMa (pinned ONNX weights or yours), auto + LaMa."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganhub import InpaintModel, InputConstraints, ModelSpec, Task, WeightSource
from ganhub_watermark.lama import DEFAULT_SOURCE

if TYPE_CHECKING:
    import torch

    from ganhub import Session

DISTRIBUTION = "ganhub-watermark"
# v2 stays shipped: the two-layer v3 candidates beside it (watermark_cgan_v3c, _v3d, _v3e and the
# soup of all four, _v3f) beat it on the layered kinds but not on plain marks on every draw, all
# on torch fp32 (model card).
WEIGHTS_FILE = "watermark_cgan_v2.safetensors"
WEIGHTS_DIR = Path(__file__).parent / "weights"  # the pinned file, the candidates and the model card
WEIGHTS_SHA256 = "0ddd74a85907ea4a1414a917b46b5c37b9af7a808ac410cfe553ce5e3f30f73d"
WEIGHTS_SIZE = 708872

# Measured (model card, "Runtime"): the int8 graph's outputs stay above the 35 dB parity bar on
# whole images, but the error sits in the few pixels the model changes, and costs gain there.
INT8_NOTE = ("8-bit activations cost it 0.7 to 1.2 dB of removal gain on marks (v3f: plain -1.20, tiled -1.15 dB; "
             "v2: plain -0.9 dB) while whole-image parity passes: the error sits in the few pixels it changes")
CGAN_DESCRIPTION = (
    "A small U-Net (≈0.35 M parameters) trained with ganhub's own training tools (on CPU) to find AND "
    "remove semi-transparent text and logo watermarks. Like WDNet, it estimates the "
    "watermark's opacity and colour and inverts the blend, so the photo under the mark is "
    "recovered rather than painted over. Only pixels under its predicted mask change, and "
    "the mask is returned so you can see what was removed. Leave the mask empty for automatic "
    "detection, or paint one to restrict it to an area. Trained on synthetic watermarks "
    "(DejaVu/Liberation fonts, shapes) over BSD68/skimage crops; works best on small and "
    "medium semi-transparent marks, less well on very large or fully opaque ones. Weights: v2 "
    "by default; for shadowed, embossed, coloured and logo marks try the v3f candidate packaged "
    "beside it (pkg://ganhub-watermark/ganhub_watermark/weights/watermark_cgan_v3f.safetensors: "
    "+0.2 to +1.4 dB more on those, level with v2 on plain marks on average but behind on some "
    "photos), or your own trained run's generator.safetensors."
)
LAMA_DESCRIPTION = (
    "LaMa (Suvorov et al., 2021) large-mask inpainting. Default weights: big-lama exported to "
    "ONNX (Carve/LaMa-ONNX, Apache-2.0), pinned by commit and sha256 and run by onnxruntime, so "
    "no pickle is ever loaded. The graph sees 512×512 pixels: each masked region is filled in a "
    "window around it (scaled down when the region is larger), and only masked pixels change. "
    "Your own big-lama state dict (.safetensors or .pth) runs through spandrel instead. Fills "
    "the painted mask (white = remove); pair it with the watermark model's predicted mask "
    "(auto + LaMa) for opaque marks the small model detects but cannot invert."
)
AUTO_LAMA_DESCRIPTION = (
    "Auto + LaMa: no mask to paint. The ganhub cGAN finds the watermark (its mask is the pixels "
    "it would change), the mask is grown by 2 px to take in the glyph edges, and LaMa's pinned "
    "ONNX graph (Carve/LaMa-ONNX, Apache-2.0, fetched from the Hub on first use) fills it. For "
    "opaque or heavily styled marks the cGAN finds but cannot invert; semi-transparent marks "
    "keep more of the photo with the cGAN alone. Only the found pixels change; a photo with no "
    "mark found comes back as it was. Paint a mask to restrict the search to an area."
)


class WatermarkCGAN(InpaintModel):
    """ganhub-watermark-cgan: auto-mask watermark removal (see :mod:`ganhub_watermark.net`)."""

    auto_mask = True
    spec = ModelSpec(
        id="ganhub-watermark-cgan",
        title="Watermark remover (ganhub cGAN, auto mask)",
        task=Task.WATERMARK_REMOVAL,
        license="Apache-2.0",
        description=CGAN_DESCRIPTION,
        weights=(
            WeightSource(f"pkg://{DISTRIBUTION}/ganhub_watermark/weights/{WEIGHTS_FILE}",
                         sha256=WEIGHTS_SHA256, size=WEIGHTS_SIZE,
                         note="trained by ganhub; model card beside the file"),
        ),
        constraints=InputConstraints(multiple_of=8, min_side=16, max_pixels=16_000_000),
        accepts_user_weights=True,  # a `ganhub train` run or a candidate beside v2 (v2 stays the default)
        int8_note=INT8_NOTE,
        tags=("watermark", "auto-mask", "trained-here"),
    )

    def typical_input(self, crop: np.ndarray, seed: int) -> np.ndarray:
        """The crop with a synthetic mark (training fonts, v3's mix without busy textures), so
        int8 is calibrated and checked where the network works: on a clean crop it changes
        almost nothing, and the int8 graph calibrated on clean crops lost 0.9 dB on plain marks."""
        from ganhub_watermark import synth

        mark = synth.random_mark(np.ascontiguousarray(crop.transpose(1, 2, 0)), np.random.default_rng(seed),
                                 mix=synth.Mix(texture=0.0))
        return np.ascontiguousarray(mark.marked.transpose(2, 0, 1), dtype=np.float32)

    def build(self, weights: Path | None) -> "torch.nn.Module":
        """The inpaint-convention network; ``weights=None`` gives the untrained (identity) one.

        ``weights`` is the pinned v2 file or the user's own (``--weights``): a ``ganhub train``
        run's ``generator.safetensors`` or a candidate packaged beside v2 (``pkg://`` URI).
        """
        from ganhub.weights import read_state_dict
        from ganhub_watermark.net import AutoMaskInpainter, WatermarkUNet, from_state_dict

        if weights is None:
            return AutoMaskInpainter(WatermarkUNet()).eval()  # v2's width, untrained
        # The file's shapes decide the network, so `--weights RUN/generator.safetensors` runs any run.
        return AutoMaskInpainter(from_state_dict(read_state_dict(weights), weights.name)).eval()


class LaMa(InpaintModel):
    """LaMa: the pinned ONNX graph by default (onnxruntime), or a user's big-lama state dict (torch).

    ``source`` replaces the pinned Hub file, still verified by its own commit and sha256 (tests
    serve a small graph of the same signature from a local Hub); users never need it.
    """

    def __init__(self, source: WeightSource | None = None):
        self.spec = _lama_spec(source or DEFAULT_SOURCE)

    def open_session(self, weights: Path | None, device: str) -> "Session | None":
        """The ONNX graph runs in 512 px windows (``ganhub_watermark.lama``); others go to torch."""
        if weights is None or weights.suffix.lower() != ".onnx":
            return None
        from ganhub_watermark import lama

        return lama.open_session(weights, device)

    def build(self, weights: Path | None) -> "torch.nn.Module":
        """spandrel's LaMa; loads and checks a user file, or seeded random weights when None."""
        import torch
        from spandrel.architectures.LaMa import LaMa as SpandrelLaMa

        if weights is None:
            torch.manual_seed(0)  # random weights, but the same ones every build
            return SpandrelLaMa(in_nc=4, out_nc=3).eval()  # image + mask channels in, as big-lama
        return _load_lama(weights)


def _lama_spec(source: WeightSource) -> ModelSpec:
    return ModelSpec(
        id="lama",
        title="LaMa inpainting",
        task=Task.WATERMARK_REMOVAL,
        license="Apache-2.0",
        license_url="https://github.com/advimman/lama/blob/main/LICENSE",
        description=LAMA_DESCRIPTION,
        weights=(source,),
        accepts_user_weights=True,
        constraints=InputConstraints(multiple_of=8, min_side=16, max_pixels=4_000_000),
        onnx_exportable=False,
        onnx_note="LaMa's fast Fourier convolutions (torch.fft.rfftn) do not export to ONNX reliably; "
                  "the default weights are already an ONNX graph",
        tags=("inpainting", "onnx", "spandrel"),
    )


class WatermarkAutoLama(InpaintModel):
    """Auto + LaMa as one model: the cGAN's mask filled by LaMa (``ganhub_watermark.auto_lama``).

    Its weights are LaMa's (the pinned Hub graph, so the app says "needs download" until it
    is fetched); the cGAN's packaged file is resolved and verified when the session opens.
    """

    auto_mask = True

    def __init__(self, source: WeightSource | None = None):
        self.spec = dataclasses.replace(
            _lama_spec(source or DEFAULT_SOURCE), id="watermark-auto-lama",
            title="Watermark remover (auto mask + LaMa fill)", description=AUTO_LAMA_DESCRIPTION,
            accepts_user_weights=False, onnx_note="runs the cGAN on torch and LaMa's ONNX graph itself",
            tags=("watermark", "auto-mask", "inpainting", "onnx"))

    def open_session(self, weights: Path | None, device: str) -> "Session | None":
        from ganhub_watermark import auto_lama

        return auto_lama.open_session(weights, device) if weights is not None else None

    def build(self, weights: Path | None) -> "torch.nn.Module":
        """No single network: the session above chains two models (never silently plain LaMa)."""
        from ganhub import GanhubError

        raise GanhubError("watermark-auto-lama chains two models in its own session; it has no one network",
                          fix="run it with its default weights, or run 'lama' or 'ganhub-watermark-cgan' alone")


def _load_lama(weights: Path) -> "torch.nn.Module":
    from spandrel import ModelLoader
    from spandrel.architectures.LaMa import LaMa as SpandrelLaMa

    from ganhub import WeightsError
    from ganhub.weights import read_state_dict

    descriptor = ModelLoader().load_from_state_dict(read_state_dict(weights))
    if not isinstance(descriptor.model, SpandrelLaMa):
        raise WeightsError(f"{weights.name} is a {descriptor.architecture.name} model, not LaMa")
    return descriptor.model.eval()


def models() -> list[InpaintModel]:
    """The models this plugin registers, in display order."""
    return [WatermarkCGAN(), LaMa(), WatermarkAutoLama()]
