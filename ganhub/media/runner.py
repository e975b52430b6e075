"""Run an image-to-image or inpaint model on frames through the engine, a batch at a time.

Batch size 1 is exactly ``Engine.run`` per frame. A larger batch stacks frames into one N×C×H×W
call of the loaded session (tiled the same way when the params ask for tiles), which is what
makes a GPU earn its keep on small frames. Only image-to-image models without extra network
inputs batch; inpaint models, frames with alpha, and a runtime that refuses a batch (e.g. an
ONNX graph exported with batch 1) run frame by frame, and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ganhub import imaging, pipeline, tiling
from ganhub.errors import GanhubError
from ganhub.spec import OVERLAP_PARAM, TILE_PARAM, Kind

if TYPE_CHECKING:
    from ganhub.engine import Engine


@dataclass(frozen=True, eq=False)
class FrameOutput:
    """A model's output for one frame."""

    rgb: np.ndarray  # H×W×3 float32 in [0, 1]
    alpha: np.ndarray | None
    mask: np.ndarray | None = None  # the mask an inpaint model used (auto-mask models find it)


class FrameRunner:
    """Runs ``model_id`` with fixed params (and mask) on lists of decoded frames."""

    def __init__(self, engine: "Engine", model_id: str, params: dict[str, Any] | None = None, *,
                 batch_size: int = 1, mask: np.ndarray | None = None, request: dict[str, Any] | None = None):
        self.engine, self.model_id = engine, model_id
        self.model = engine.registry.get(model_id)
        if self.model.kind not in (Kind.IMAGE_TO_IMAGE, Kind.INPAINT):
            raise GanhubError(f"'{model_id}' is a {self.model.kind.value} model; video and animations "
                              "run through image-to-image and inpaint models", action="list-models")
        if batch_size < 1:
            raise GanhubError(f"batch size is {batch_size}; use 1 or more")
        self.params = self.model.spec.resolve_params(params)  # bad params fail before anything loads
        self.mask, self.request = mask, dict(request or {})
        self.batch_size = batch_size if self._can_batch() else 1
        self.notes: list[str] = []
        if batch_size > self.batch_size:
            self.notes.append("frames run one at a time (this model does not batch)")

    def _can_batch(self) -> bool:
        model = self.model
        return model.kind == Kind.IMAGE_TO_IMAGE and not model.extra_inputs(self.params)  # type: ignore[attr-defined]

    def run(self, images: list[imaging.DecodedImage], mask: np.ndarray | None = None) -> list[FrameOutput]:
        """The model's output for each image (``mask`` overrides the runner's for inpaint models)."""
        if self.batch_size > 1 and len(images) > 1 and all(image.alpha is None for image in images):
            try:
                return self._batched(images)
            except GanhubError:
                raise
            except Exception as exc:  # the runtime refused N > 1: frame by frame from now on
                self.batch_size = 1
                self.notes.append(f"frames run one at a time (the runtime refused a batch: {exc})")
        return [self.run_one(image, mask) for image in images]

    def run_one(self, image: imaging.DecodedImage, mask: np.ndarray | None = None) -> FrameOutput:
        """One frame through ``Engine.run``, exactly as a still image would go."""
        inputs: dict[str, Any] = {}
        if self.model.kind == Kind.INPAINT:
            inputs["mask"] = self.mask if mask is None else mask
        result = self.engine.run(self.model_id, image=image, params=self.params, **self.request, **inputs)
        return FrameOutput(result.images[0], result.alphas[0], result.extras.get("mask"))

    def _batched(self, images: list[imaging.DecodedImage]) -> list[FrameOutput]:
        loaded = self.engine.load(self.model_id, **self.request)
        for image in images:
            pipeline.check_input(image, loaded.constraints, self.model_id)
        stack = np.stack([image.rgb.transpose(2, 0, 1) for image in images])
        output = tiling.tiled_apply(loaded.session.run, stack, scale=loaded.constraints.scale,
                                    multiple_of=loaded.constraints.multiple_of, **self._tiling())
        del stack
        return [FrameOutput(self._finish(output[i], image), None) for i, image in enumerate(images)]

    def _tiling(self) -> dict[str, int]:
        if not self.model.spec.tileable:
            return {"tile": 0, "overlap": 0}
        return {"tile": int(self.params.get(TILE_PARAM, 0) or 0), "overlap": int(self.params.get(OVERLAP_PARAM, 0) or 0)}

    def _finish(self, chw: np.ndarray, image: imaging.DecodedImage) -> np.ndarray:
        """As the image-to-image pipeline finishes one output: clip, the model's finish, clip."""
        hwc = np.clip(np.ascontiguousarray(chw.transpose(1, 2, 0), dtype=np.float32), 0.0, 1.0)
        rgb = np.asarray(self.model.finish(hwc, image.rgb, self.params), dtype=np.float32)  # type: ignore[attr-defined]
        return np.clip(rgb, 0.0, 1.0, out=rgb)
