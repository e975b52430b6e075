"""The runtime interface: a Session runs a loaded network on numpy arrays.

Sessions speak numpy in and out so the tiler, the pipelines and the parity checks do not
care whether torch or onnxruntime is underneath.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Session(Protocol):
    """A loaded network on one device; safe to call from several threads."""

    runtime: str  # "torch" | "onnx"
    device: str  # "cpu", "cuda", "cuda:1", "mps"
    precision: str  # "fp32" | "fp16"

    def run(self, *inputs: np.ndarray) -> np.ndarray:
        """Run the network on float32 NCHW arrays; returns float32 NCHW."""
        ...


def pick_device(requested: str | None = None) -> str:
    """The device to run on: the one asked for, else cuda, then mps, then cpu."""
    if requested and requested != "auto":
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"
