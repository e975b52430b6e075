"""LaMa's default weights: the big-lama ONNX graph on the Hub, run by onnxruntime in 512 px windows.

The graph (``Carve/LaMa-ONNX``, ``lama_fp32.onnx``, Apache-2.0) is a weights-only format: no
pickle is ever loaded. Its interface, as its users and the Hub's file history describe it:

- input ``image``: 1×3×512×512 float32 RGB in [0, 1] (holes are zeroed here before the run,
  which is a no-op where the graph zeroes them itself);
- input ``mask``: 1×1×512×512 float32, 1 = fill, 0 = keep;
- output (the first one, ``output``): 1×3×512×512 float32 RGB in [0, 255].

The spatial size is fixed, so :mod:`ganhub_watermark.lama_window` cuts windows around the
mask and pastes back only masked pixels. Bring-your-own ``.pt``/``.safetensors`` files still
run through spandrel's torch LaMa (see :mod:`ganhub_watermark.catalog`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganhub import ImageError, WeightSource, WeightsError
from ganhub_watermark import lama_window

if TYPE_CHECKING:
    from ganhub import OnnxSession

HUB_REPO = "Carve/LaMa-ONNX"
HUB_FILE = "lama_fp32.onnx"
# a3ee2fc "Upload lama_fp32.onnx" replaced the first upload of this file (9d292e1, "old
# converter", sha256 4b187e02…) with the current one; the pair below is that commit's LFS
# pointer (oid + size), the file every later revision of the repo serves.
HUB_COMMIT = "a3ee2fca54baebec351b8fa7786154ffa7555aa6"
HUB_SHA256 = "1faef5301d78db7dda502fe59966957ec4b79dd64e16f03ed96913c7a4eb68d6"
HUB_SIZE = 208_044_816
INPUTS = ("image", "mask")  # the graph's input names, in the order they are fed
OUTPUT_SCALE = 255.0  # the graph answers in 0..255

DEFAULT_SOURCE = WeightSource(
    f"hf://{HUB_REPO}/{HUB_FILE}@{HUB_COMMIT}", sha256=HUB_SHA256, size=HUB_SIZE,
    note="big-lama exported to ONNX by Carve (Apache-2.0); commit + LFS oid from the Hub's file history",
)


class LamaWindowSession:
    """The LaMa graph behind the Session protocol: full image + mask in, filled image out."""

    runtime = "onnx"

    def __init__(self, graph: "OnnxSession"):
        self.graph = graph
        self.path = graph.path
        self.device = graph.device
        self.precision = graph.precision
        self.constraints = None  # any size runs (windows); the spec's constraints apply
        self._order = check_signature(graph)

    def run(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """N×3×H×W in [0, 1] and N×1×H×W {0, 1} -> N×3×H×W; only masked pixels change."""
        if not (mask > 0.5).any():
            raise ImageError("the mask is empty: LaMa has nothing to fill",
                             fix="paint the area to remove (white = remove)")
        return np.stack([lama_window.fill(rgb, hole[0], self._run_window)
                         for rgb, hole in zip(image, mask)]).astype(np.float32)

    def _run_window(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"image": image[None], "mask": mask[None]}
        output = self.graph.run(*(feeds[name] for name in self._order))
        return np.clip(output[0] / OUTPUT_SCALE, 0.0, 1.0)


def open_session(path: Path, device: str) -> LamaWindowSession:
    """The LaMa graph at ``path`` on ``device`` (onnxruntime), its signature checked."""
    from ganhub import OnnxSession

    return LamaWindowSession(OnnxSession(path, device))


def check_signature(graph: "OnnxSession") -> list[str]:
    """The graph's input names in feed order; a WeightsError unless it is LaMa's 512 px form."""
    inputs, outputs = graph.io_spec()
    shapes = {arg["name"]: arg["shape"] for arg in inputs}
    wanted = {"image": 3, "mask": 1}
    problem = ""
    if set(shapes) != set(wanted) or len(outputs) < 1:
        problem = f"it takes {', '.join(shapes) or 'no inputs'}"
    else:
        for name, channels in wanted.items():
            if not _fits(shapes[name], channels):
                problem = f"its '{name}' is {_shape_text(shapes[name])}"
    if problem:
        raise WeightsError(
            f"{graph.path.name} is not LaMa's ONNX form: {problem}",
            why="LaMa's graph takes 'image' N×3×512×512 in [0, 1] and 'mask' N×1×512×512 in {0, 1}",
            fix=f"use {HUB_REPO}'s {HUB_FILE}, or a big-lama state dict as .safetensors/.pt",
        )
    return [arg["name"] for arg in inputs]


def _fits(shape: list[Any], channels: int) -> bool:
    """N×channels×512×512, where a symbolic axis (a name or None) fits any size."""
    fixed = lambda dim, size: not isinstance(dim, int) or dim == size  # noqa: E731
    side = lama_window.SIZE
    return len(shape) == 4 and fixed(shape[1], channels) and fixed(shape[2], side) and fixed(shape[3], side)


def _shape_text(shape: list[Any]) -> str:
    return "×".join(str(dim) for dim in shape)
