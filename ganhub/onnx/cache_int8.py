"""The int8 graph ``--runtime auto`` may run, quantised once per machine beside the cached fp32 one.

Quantising needs the fp32 export (``cache.ensure_graph``) and photo crops to calibrate on; the
int8 graph must then match onnxruntime fp32 on held-out crops (the int8 parity bar, 35 dB) or it
is refused. A refusal is recorded in ``int8-refused.json`` (many networks lose too much in 8
bits: RRDB's chained dense blocks do), so ``auto`` does not try again; delete the folder to retry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx.cache import Say, cache_folder, ensure_graph
from ganhub.runtime.onnx_session import exported_path

if TYPE_CHECKING:
    from ganhub.weights.fetch import ResolvedWeights

REFUSED_FILE = "int8-refused.json"


def cached_int8(model: Model, weights: "ResolvedWeights | None") -> Path | None:
    """The cached int8 graph for these weights, if one was quantised and passed parity."""
    path = exported_path(model.spec.id, "int8", cache_folder(model.spec.id, weights))
    return path if path.is_file() else None


def ensure_int8(model: Model, weights: "ResolvedWeights | None", say: Say | None = None) -> Path:
    """The cached int8 graph, quantising the fp32 export now when there is none yet; raises
    GanhubError (and remembers why) when the int8 graph misses parity."""
    import filelock

    from ganhub.onnx.int8 import refuse_declared

    refuse_declared(model)  # the spec's word, not recorded: a later release may drop it
    fp32 = ensure_graph(model, weights, say)
    folder = fp32.parent
    with filelock.FileLock(str(folder / ".int8.lock")):
        found = cached_int8(model, weights)
        if found is not None:
            return found
        refused = folder / REFUSED_FILE
        if refused.is_file():
            reason = json.loads(refused.read_text()).get("reason", "int8 failed")
            raise GanhubError(f"'{model.spec.id}' has no usable int8 graph: {reason}",
                              fix=f"delete {refused} to try again", model_id=model.spec.id)
        return _quantise(model, fp32, folder, say)


def _quantise(model: Model, fp32: Path, folder: Path, say: Say | None) -> Path:
    from ganhub.onnx.int8 import quantize_int8
    from ganhub.onnx.parity import parity_cases
    from ganhub.onnx.report import ExportReport
    from ganhub.runtime.onnx_session import CPU, OnnxSession

    if say:
        say(f"quantising {model.spec.id} to int8 once (calibrated on photo crops, then checked)")
    constraints = model.constraints_for(None)
    report = ExportReport(model.spec.id, {}, str(folder / f"{model.spec.id}.int8.json"), "", 0, 0, "", {}, {}, [], [])
    partial: list[Path] = []
    try:
        report.int8 = quantize_int8(model, constraints, folder, partial, {"fp32": OnnxSession(fp32, "cpu", [CPU])},
                                    parity_cases(model, constraints), report)
    except Exception as exc:  # a quantiser crash refuses int8 as surely as a parity miss
        for path in partial:
            path.unlink(missing_ok=True)
        reason = exc.summary() if isinstance(exc, GanhubError) else f"{type(exc).__name__}: {exc}"
        atomic.write_text(folder / REFUSED_FILE, json.dumps({"reason": reason}, indent=2))
        raise GanhubError(f"'{model.spec.id}' has no usable int8 graph: {reason}", model_id=model.spec.id) from exc
    for path in partial:
        path.replace(path.with_suffix(""))
    atomic.write_text(Path(report.report_path), report.to_json())
    return exported_path(model.spec.id, "int8", folder)
