"""The torch runtime: fp32 (or bf16 autocast) on CPU, fp16 on CUDA with a guard that falls back to fp32.

On CPU, 4-D weights and inputs are channels-last (oneDNN's native layout: no reorder per
convolution) and the allocator keeps freed activations for the next tile (runtime.cpu).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganhub.errors import GanhubError

if TYPE_CHECKING:
    import torch

    from ganhub.model import Model

log = logging.getLogger(__name__)


class TorchSession:
    """A built network on one device, run under ``torch.inference_mode``.

    ``precision``: "fp32", "fp16" (CUDA) or "bf16" (CPU autocast: weights stay fp32, matrix
    maths runs in bf16; chosen by ``--runtime auto`` only where the CPU has bf16 in hardware
    and the output matches fp32 within the parity bar).
    """

    runtime = "torch"

    def __init__(self, network: "torch.nn.Module", device: str, precision: str = "auto"):
        import torch

        self.device = device
        if precision == "auto":
            precision = "fp16" if device.startswith("cuda") else "fp32"
        self.precision = precision
        self.runtime = "torch-bf16" if precision == "bf16" else "torch"  # what a result line names
        if precision == "bf16" and device != "cpu":
            raise GanhubError(f"bf16 runs on the CPU here, not on {device}", fix="use fp16 or fp32 on a GPU")
        self._dtype = torch.float16 if precision == "fp16" else torch.float32
        self._channels_last = device == "cpu"
        self._network = network.eval().to(device=device, dtype=self._dtype)
        if self._channels_last:
            _channels_last_weights(self._network)
        for parameter in self._network.parameters():
            parameter.requires_grad_(False)
        self._switch_lock = threading.Lock()

    @property
    def network(self) -> "torch.nn.Module":
        return self._network

    def run(self, *inputs: np.ndarray) -> np.ndarray:
        """Run on float32 NCHW arrays; fp16 results that are NaN or black are redone in fp32."""
        output = self._forward(inputs)
        if self.precision == "fp16" and _looks_broken(output, inputs):
            self._fall_back_to_fp32()
            output = self._forward(inputs)
        return output

    def _forward(self, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        import torch

        tensors = [self._tensor(x) for x in inputs]
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.precision == "bf16"):
            output = self._network(*tensors)
        if isinstance(output, (tuple, list)):
            output = output[0]
        return output.float().cpu().numpy()

    def _tensor(self, x: np.ndarray) -> "torch.Tensor":
        import torch

        tensor = torch.from_numpy(np.ascontiguousarray(x)).to(self.device, self._dtype)
        if self._channels_last and tensor.ndim == 4:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        return tensor

    def _fall_back_to_fp32(self) -> None:
        import torch

        with self._switch_lock:
            if self.precision == "fp16":
                log.warning("fp16 output was NaN/black on %s; switching to fp32", self.device)
                self._network = self._network.float()
                self._dtype, self.precision = torch.float32, "fp32"


def _channels_last_weights(network: "torch.nn.Module") -> None:
    """4-D weights to channels-last in place (``Module.to(memory_format=…)`` refuses networks
    that also hold 5-D weights, like StyleGAN's modulated convolutions)."""
    import torch

    for tensor in [*network.parameters(), *network.buffers()]:
        if tensor.ndim == 4:
            tensor.data = tensor.data.contiguous(memory_format=torch.channels_last)


def _looks_broken(output: np.ndarray, inputs: tuple[np.ndarray, ...]) -> bool:
    if not np.isfinite(output).all():
        return True
    # A black image out of a non-black image in is the classic fp16 overflow symptom.
    return float(np.abs(output).max()) < 1e-6 and any(float(np.abs(x).max()) > 1e-3 for x in inputs)


def open_torch(model: "Model", weights: Path | None, device: str, precision: str = "auto") -> TorchSession:
    """Build ``model``'s network from ``weights`` and place it on ``device``."""
    import torch

    from ganhub.runtime.cpu import tune_allocator

    if device == "cpu":
        tune_allocator()
    network = model.build(weights)
    if not isinstance(network, torch.nn.Module):
        raise GanhubError(
            f"model '{model.spec.id}' built a {type(network).__name__}, not a torch module",
            why="its weights may be an ONNX graph", fix="run it on the onnx runtime",
            action="use-onnx-runtime", model_id=model.spec.id,
        )
    return TorchSession(network, device, precision)
