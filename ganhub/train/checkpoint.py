"""Checkpoints: everything needed to resume a run exactly, in a file loadable with weights_only.

The file holds only tensors, numbers, strings and containers (the config as a dict, the loss
history as a list of dicts), so :func:`load_checkpoint` uses ``torch.load(weights_only=True)``
like every other torch file ganhub reads: a checkpoint from elsewhere cannot run code.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from ganhub import atomic
from ganhub.errors import GanhubError

FORMAT_VERSION = 1
LAST = "last.pt"


def checkpoint_dir(run: Path) -> Path:
    """Where a run keeps its checkpoints."""
    return run / "checkpoints"


def save_checkpoint(run: Path, step: int, trainer_state: dict[str, Any], config: dict[str, Any],
                    history: list[dict[str, float]]) -> Path:
    """Write ``checkpoints/last.pt`` atomically (a crash mid-write never leaves a torn file)."""
    folder = checkpoint_dir(run)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"version": FORMAT_VERSION, "step": step, "trainer": trainer_state,
               "config": config, "history": history}
    path = folder / LAST
    with atomic.atomic_path(path) as temporary:  # fsynced, then renamed over the last one
        torch.save(payload, temporary)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``)."""
    if path.is_dir():
        path = checkpoint_dir(path) / LAST
    if not path.is_file():
        raise GanhubError(f"no checkpoint at '{path}': train first, or check the run folder")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise GanhubError(f"'{path}' is not a readable ganhub checkpoint: {exc}") from None
    if not isinstance(payload, dict) or payload.get("version") != FORMAT_VERSION:
        raise GanhubError(f"'{path}' is not a ganhub training checkpoint (version {FORMAT_VERSION})")
    return payload
