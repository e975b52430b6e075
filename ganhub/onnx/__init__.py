"""ONNX export with parity checks, int8 quantisation, and torch-vs-onnxruntime benchmarks.

For a plugin or script::

    from ganhub.onnx import export_model, resolve_model_weights

    report = export_model(model, resolve_model_weights(model, None), Path("export"), fp16=True)

Modules, each importing only those listed before it: ``timing`` (latency medians),
``photos`` (real photo crops for calibration and benchmarks), ``report`` (the report's
dataclasses), ``graph`` (build the network, write the graph), ``parity`` (compare with torch,
the thresholds), ``int8`` (quantisation), ``export`` (``export_model``), ``bench`` (timing
runtimes side by side, ``run_bench`` here) and ``cache`` (the per-machine graphs that
``--runtime auto`` and ``onnx`` export on first use): the two modules that call ``export``.

Names below are imported on first use, so ``import ganhub.onnx`` pulls in neither torch nor onnx.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "export_model": "export", "resolve_model_weights": "export",
    "ExportReport": "report", "ParityRow": "report",
    "FP32_MAX_ABS": "parity", "FP16_MIN_PSNR": "parity", "INT8_MIN_PSNR": "parity",
    "fit_ir_version": "graph",
    "run_bench": "bench", "print_table": "bench", "flops_per_pixel": "bench",
}
# ``ganhub.onnx.bench`` is the submodule (Python binds it on import), so its ``bench`` is
# offered here as ``run_bench``: one name, one meaning, whatever was imported first.
_RENAMED = {"run_bench": "bench"}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ganhub.onnx' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ganhub.onnx.{_HOMES[name]}"), _RENAMED.get(name, name))
