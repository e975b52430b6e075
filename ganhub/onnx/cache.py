"""ONNX graphs exported on first use and kept per model and weights file, for ``--runtime auto``.

onnxruntime runs the exported fp32 graph 1.5-1.8× faster than torch eager on CPUs and starts
without importing torch, so ``auto`` (the CLI's and the app's default) runs a model through
its export. The export happens once per machine, the first time a model runs, with the same
parity check as ``ganhub export``; the graph lives in ``$GANHUB_HOME/onnx/<id>/<sha16>/``
(``<sha16>``: the first 16 hex digits of the weights' sha256, so new weights mean a new
export). A model whose export fails or misses parity is recorded in ``refused.json`` beside it
and runs on torch from then on without trying again; delete the folder to retry.

``GANHUB_AUTO_EXPORT=0`` turns ``auto`` into plain torch (no cache, no hand-made export), which
keeps a test suite's runtime the same on every machine. Two processes exporting the same model at once take turns under a
file lock; the second finds the first one's graph.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.runtime.onnx_session import exported_path
from ganhub.weights.lock import ganhub_home

if TYPE_CHECKING:
    from ganhub.weights.fetch import ResolvedWeights

AUTO_EXPORT_ENV = "GANHUB_AUTO_EXPORT"
REFUSED_FILE = "refused.json"
NO_WEIGHTS = "no-weights"  # generate models whose network needs no file

Say = Callable[[str], None]


def auto_export_enabled() -> bool:
    """Whether ``auto`` uses the per-machine export cache (GANHUB_AUTO_EXPORT, default on)."""
    return os.environ.get(AUTO_EXPORT_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def cache_folder(model_id: str, weights: "ResolvedWeights | None") -> Path:
    """Where the graph exported from these weights lives."""
    key = weights.sha256[:16] if weights is not None and weights.sha256 else NO_WEIGHTS
    return ganhub_home() / "onnx" / model_id / key


def cached_graph(model: Model, weights: "ResolvedWeights | None") -> Path | None:
    """The cached fp32 graph of ``model`` for these weights, if one was exported and passed parity."""
    path = exported_path(model.spec.id, "fp32", cache_folder(model.spec.id, weights))
    return path if path.is_file() else None


def refusal(model: Model, weights: "ResolvedWeights | None") -> str | None:
    """Why an earlier export of these weights failed (then ``auto`` runs torch), or None."""
    path = cache_folder(model.spec.id, weights) / REFUSED_FILE
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text()).get("reason", "export failed"))
    except (OSError, ValueError):
        return "export failed"


def ensure_graph(model: Model, weights: "ResolvedWeights | None", say: Say | None = None) -> Path:
    """The cached graph, exporting (with the parity check) when there is none yet.

    Raises GanhubError when the model cannot be exported or its graph misses parity; the
    reason is recorded so later runs do not try again.
    """
    import filelock  # huggingface_hub's own dependency: cross-platform, released when a holder dies

    folder = cache_folder(model.spec.id, weights)
    folder.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(folder / ".export.lock")):
        found = cached_graph(model, weights)  # another process may have exported while we waited
        if found is not None:
            return found
        reason = refusal(model, weights)
        if reason is not None:
            raise GanhubError(f"'{model.spec.id}' has no usable ONNX export: {reason}",
                              fix=f"delete {folder} to try the export again", model_id=model.spec.id)
        return _export(model, weights, folder, say)


def _export(model: Model, weights: "ResolvedWeights | None", folder: Path, say: Say | None) -> Path:
    from ganhub.onnx.export import export_model

    if say:
        say(f"exporting {model.spec.id} to ONNX once (it then runs faster on onnxruntime)")
    try:
        export_model(model, weights.path if weights is not None else None, folder, progress=say)
    except Exception as exc:  # an exporter crash refuses the export as surely as a parity miss
        reason = exc.summary() if isinstance(exc, GanhubError) else f"{type(exc).__name__}: {exc}"
        atomic.write_text(folder / REFUSED_FILE, json.dumps({"reason": reason}, indent=2))
        if isinstance(exc, GanhubError):
            raise
        raise GanhubError(f"exporting '{model.spec.id}' to ONNX failed: {reason}", model_id=model.spec.id) from exc
    found = cached_graph(model, weights)
    if found is None:  # export_model raises rather than writing nothing; guard the contract
        raise GanhubError(f"the export of '{model.spec.id}' wrote no graph in {folder}")
    return found
