"""The arbitrary-style session: Magenta's style predictor + transformer, two ONNX graphs.

``arbitrary_predict.onnx`` maps a 256×256 style image (NHWC, [0, 1]) to a 100-number style
vector (the "bottleneck"); ``arbitrary_transform.onnx`` repaints a *fixed* 384×384 content
image (NHWC, [0, 1]) given that vector and returns NHWC in [0, 1] (sigmoid). This session
hides both behind ganhub's Session protocol — NCHW in, NCHW out, same size — by scaling the
photo's longer side to 384, reflect-padding to a square, and scaling the result back.
Both graphs run through ganhub's own :class:`~ganhub.runtime.onnx_session.OnnxSession` (providers,
CUDA fallback), so no torch is involved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganhub import GanhubError
from ganhub_painting.finishing import resize

CONTENT_SIZE = 384  # arbitrary_transform.onnx is traced at 1×384×384×3
STYLE_SIZE = 256  # arbitrary_predict.onnx is traced at 1×256×256×3
BOTTLENECK = 100
PREDICT_FILE = "arbitrary_predict.onnx"


def square_style(rgb: np.ndarray) -> np.ndarray:
    """Centre square of an H×W×3 [0, 1] image, resized to the predictor's 256², as 1×256×256×3."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = resize(rgb[top : top + side, left : left + side], STYLE_SIZE, STYLE_SIZE)
    return np.ascontiguousarray(square[None], dtype=np.float32)


def _fit_content(rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Longer side → 384, reflect-padded to 384² (as the upstream package does); returns 1×384×384×3."""
    height, width = rgb.shape[:2]
    scale = CONTENT_SIZE / max(height, width)
    small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
    small = resize(rgb, small_h, small_w)
    pad = ((0, CONTENT_SIZE - small_h), (0, CONTENT_SIZE - small_w), (0, 0))
    # Reflection needs the pad to be shorter than the side; a very thin image falls back to edge.
    mode = "reflect" if max(pad[0][1], pad[1][1]) < min(small_h, small_w) else "edge"
    return np.pad(small, pad, mode=mode)[None], (small_h, small_w)


class ArbitraryStyleSession:
    """NCHW photo + 1×256×256×3 style image + (1,) strength → NCHW painting of the photo's size."""

    runtime = "onnx"
    precision = "fp32"

    def __init__(self, transform_path: Path, device: str) -> None:
        from ganhub import OnnxSession

        predict_path = transform_path.with_name(PREDICT_FILE)
        if not predict_path.is_file():
            raise GanhubError(f"{PREDICT_FILE} is missing beside {transform_path}")
        self.transform = OnnxSession(transform_path, device)
        self.predict = OnnxSession(predict_path, device)
        self.device = self.transform.device

    def style_vector(self, style: np.ndarray) -> np.ndarray:
        """The 1×1×1×100 bottleneck of a 1×256×256×3 style image."""
        return self.predict.run(style)

    def run(self, *inputs: np.ndarray) -> np.ndarray:
        """``run(photo, style[, strength])``; strength moves from the photo's own style vector (0) to the style's (1)."""
        if len(inputs) not in (2, 3):
            raise GanhubError("the arbitrary-style network takes the photo, the style image and optionally a strength")
        photo, style = inputs[0], inputs[1]
        strength = float(np.asarray(inputs[2]).reshape(-1)[0]) if len(inputs) == 3 else 1.0
        target = self.style_vector(style)
        return np.stack([self._paint(image, target, strength) for image in photo])

    def _paint(self, chw: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
        rgb = np.ascontiguousarray(chw.transpose(1, 2, 0), dtype=np.float32)
        vector = target
        if strength < 1.0:  # the upstream package's strength: interpolate in style space
            own = self.style_vector(square_style(rgb))
            vector = strength * target + (1.0 - strength) * own
        content, (small_h, small_w) = _fit_content(rgb)
        out = self.transform.run(content, vector.astype(np.float32))[0, :small_h, :small_w]
        return resize(np.clip(out, 0.0, 1.0), rgb.shape[0], rgb.shape[1]).transpose(2, 0, 1)
