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
    if not _may_have_accelerator():  # spares the ~1.5 s torch import when the answer is the CPU
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _may_have_accelerator() -> bool:
    """False only where no GPU can be there: Linux with no NVIDIA/AMD driver, CUDA hidden,
    or a Mac without Apple silicon; elsewhere torch is asked."""
    import os
    import platform
    import sys

    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1") and sys.platform != "darwin":
        return False
    if sys.platform == "darwin":
        return platform.machine() == "arm64"
    if sys.platform.startswith("linux"):
        return any(os.path.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd"))
    return True
