"""Reading weight files: safetensors first, torch checkpoints only as plain tensors.

A ``.pth`` is a pickle, and a pickle can run code when loaded; ganhub only ever loads it
with ``torch.load(weights_only=True)``, which refuses anything but tensors and containers,
so a checkpoint carrying a ``__reduce__`` payload is rejected before the payload can run.
ONNX graphs are not state dicts (runtimes open them directly); ncnn files need the target
module (:mod:`ganhub.weights.ncnn`).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ganhub import atomic
from ganhub.errors import WeightsError

if TYPE_CHECKING:
    import torch

StateDict = dict[str, "torch.Tensor"]

SAFETENSORS = (".safetensors",)
TORCH_PICKLES = (".pth", ".pt", ".ckpt", ".bin", ".tar")


def read_state_dict(path: Path) -> dict[str, Any]:
    """Tensors (possibly nested) from a safetensors or torch file, on the CPU."""
    suffix = path.suffix.lower()
    if suffix in SAFETENSORS:
        return _read_safetensors(path)
    if suffix in TORCH_PICKLES:
        return _read_torch(path)
    if suffix == ".onnx":
        raise WeightsError(f"{path.name} is an ONNX graph, not a state dict", fix="run it on the onnx runtime",
                           action="use-onnx-runtime")
    if suffix == ".param":
        raise WeightsError(f"{path.name} is an ncnn graph: convert it with `ganhub convert-ncnn`")
    raise WeightsError(
        f"unknown weights format '{suffix}' for {path.name}: use .safetensors or .pth/.pt"
    )


def _read_safetensors(path: Path) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path.name} is not a valid safetensors file: {exc}") from None


def _read_torch(path: Path) -> dict[str, Any]:
    import torch

    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise WeightsError(
            f"refused to load {path.name}: it holds pickled objects that are not plain tensors "
            f"({first_line}). ganhub loads torch files with weights_only=True because a pickle "
            "can run code; convert the checkpoint to safetensors with code you trust"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise WeightsError(f"{path.name} is not a readable torch checkpoint: {exc}") from None
    if not isinstance(loaded, dict):
        raise WeightsError(f"{path.name} holds a {type(loaded).__name__}, not a state dict")
    return loaded


def unwrap(state: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Return ``state[key]`` for the first of ``keys`` present (e.g. params_ema, g_ema)."""
    for key in keys:
        if key in state and isinstance(state[key], dict):
            return state[key]
    return state


def load_strict(network: "torch.nn.Module", state: dict[str, Any], what: str, name: str) -> None:
    """``load_state_dict(strict=True)``, its long error cut to what tells a user the file is wrong."""
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()][1:4]
        raise WeightsError(f"{name} is not a {what} checkpoint: {' '.join(lines)[:400]}") from None


def save_safetensors(state: StateDict, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write contiguous CPU tensors as safetensors (the format ganhub publishes)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in state.items()}
    with atomic.atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)
    return path
