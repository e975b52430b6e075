"""ONNX export with a parity report: a graph is only written when it computes what torch does.

``export_model`` builds the network (fp32, CPU, eval), exports it with dynamic batch (and, for
image kinds, height/width) axes (:mod:`ganhub.onnx.graph`), and runs torch and onnxruntime on
the same inputs at several sizes (:mod:`ganhub.onnx.parity`, which explains the thresholds).
Graphs are written as ``*.partial`` files and renamed only when every one passes; a graph that
fails is deleted and the error says by how much it failed.
"""

from __future__ import annotations

import copy
import platform
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx.graph import (EXPORTERS, build_network, dynamic_axes, export_graph, finalize_graph, half_io,
                               io_names, partial_path, torch_forward)
from ganhub.onnx.int8 import quantize_int8, refuse_declared
from ganhub.onnx.parity import check_parity, parity_cases, thresholds
from ganhub.onnx.report import ExportReport
from ganhub.onnx.timing import Inputs, measure_latency
from ganhub.runtime.onnx_session import CPU, OnnxSession, exported_path
from ganhub.spec import InputConstraints

if TYPE_CHECKING:
    import torch

TRACE_SIZE = (16, 16)  # small: the fp16 export traces in half precision, slow on CPUs

Progress = Callable[[str], None]


def export_model(
    model: Model,
    weights_path: Path | None,
    out_dir: Path,
    *,
    fp16: bool = False,
    int8: bool = False,
    opset: int = 17,
    sizes: Sequence[tuple[int, int]] | None = None,
    exporter: str = "auto",
    progress: Progress | None = None,
) -> ExportReport:
    """Export ``model`` to ``out_dir/<id>.onnx`` (+ ``.fp16``/``.int8``) and ``<id>.json``.

    Raises GanhubError, leaving no graph behind, when the model is not exportable, the
    exporter fails, or a graph misses its parity threshold.
    """
    say = progress or (lambda message: None)
    _check_exportable(model, weights_path, exporter)
    if int8:
        refuse_declared(model)  # before any graph is written
    say(f"building {model.spec.id} (fp32, cpu)")
    network = build_network(model, weights_path)
    constraints = model.constraints_for(network)
    cases = parity_cases(model, constraints, sizes)
    say("running torch on the parity inputs")
    references = [torch_forward(network, case) for case in cases]
    out_dir.mkdir(parents=True, exist_ok=True)
    partial: list[Path] = []
    try:
        report = _export_all(model, network, constraints, out_dir, cases, references, partial,
                             fp16=fp16, int8=int8, opset=opset, exporter=exporter, say=say)
    except BaseException:
        for path in partial:
            path.unlink(missing_ok=True)
        raise
    _publish(model.spec.id, partial, report, out_dir)
    say(f"wrote {', '.join(report.files.values())} and {report.report_path}")
    return report


def _publish(model_id: str, partial: list[Path], report: ExportReport, out_dir: Path) -> None:
    """Every graph passed: give them their final names, drop stale variants, write the report."""
    for path in partial:
        path.replace(path.with_suffix(""))
    for precision in {"fp16", "int8"} - set(report.files):  # older variants would not match
        exported_path(model_id, precision, out_dir).unlink(missing_ok=True)
    atomic.write_text(report.report_path, report.to_json())


def _export_all(model: Model, network: "torch.nn.Module", constraints: InputConstraints,
                out_dir: Path, cases: list[Inputs],
                references: list[np.ndarray], partial: list[Path], *, fp16: bool, int8: bool,
                opset: int, exporter: str, say: Progress) -> ExportReport:
    names = io_names(model, len(cases[0]))
    axes = dynamic_axes(model, names)
    trace = parity_cases(model, constraints, [TRACE_SIZE])[0]  # batch 1 (generate: 1 latent)
    report = _new_report(model, out_dir, opset, axes)
    sessions: dict[str, OnnxSession] = {}
    for precision in ["fp32"] + (["fp16"] if fp16 else []):
        path = partial_path(exported_path(model.spec.id, precision, out_dir), partial)
        say(f"exporting {precision} graph (opset {opset})")
        module = network if precision == "fp32" else half_io(copy.deepcopy(network).half())
        report.exporter, caught = export_graph(module, trace, names, axes, opset, path, exporter)
        report.warnings += caught
        report.ir_version, report.opset, report.ir_note = finalize_graph(
            path, precision, model.spec.id, asdict(constraints))
        say(f"checking {precision} parity at {len(cases)} input sizes")
        sessions[precision] = _check_graph(model.spec.id, precision, path, cases, references, report)
    if int8:
        say("quantising to int8 (static QDQ, calibrated on photo crops)")
        report.int8 = quantize_int8(model, constraints, out_dir, partial, sessions, cases, report)
    say("timing torch and onnxruntime")
    report.latency_ms = measure_latency(lambda: torch_forward(network, cases[-1]), sessions, cases[-1])
    return report


def _check_graph(model_id: str, precision: str, path: Path, cases: list[Inputs],
                 references: list[np.ndarray], report: ExportReport) -> OnnxSession:
    """Open the written graph, check its parity (raises on a miss) and record it in ``report``."""
    session = OnnxSession(path, "cpu", [CPU])
    if precision == "fp32":
        report.inputs, report.outputs = session.io_spec()
    report.parity += check_parity(model_id, precision, session, cases, references)
    report.files[precision] = str(path.with_suffix(""))
    return session


def _check_exportable(model: Model, weights_path: Path | None, exporter: str) -> None:
    spec = model.spec
    if not spec.onnx_exportable:
        raise GanhubError(f"model '{spec.id}' cannot be exported to ONNX: {spec.onnx_note}")
    if weights_path is not None and model.onnx_file(weights_path) is not None:
        raise GanhubError(f"'{spec.id}' weights are already ONNX ({weights_path.name})",
                          fix="run it on the onnx runtime, no export needed",
                          action="use-onnx-runtime", model_id=spec.id)
    if exporter not in EXPORTERS:
        raise GanhubError(f"unknown exporter '{exporter}': use one of {', '.join(EXPORTERS)}")


# -- report --------------------------------------------------------------------------------
def _new_report(model: Model, out_dir: Path, opset: int, axes: dict[str, dict[int, str]]) -> ExportReport:
    import onnx
    import onnxruntime
    import torch

    import ganhub

    versions = {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                "ganhub": ganhub.__version__, "python": platform.python_version()}
    return ExportReport(model.spec.id, {}, str(out_dir / f"{model.spec.id}.json"), "", opset, 0, "",
                        versions, axes, [], [], thresholds=thresholds())


def resolve_model_weights(model: Model, weights: str | None) -> Path | None:
    """The local weights file for ``model`` (its own sources, or ``weights`` for BYO models)."""
    from ganhub.model import weight_sources
    from ganhub.weights import resolve_weights

    if weights is None and not model.spec.weights:
        return None
    return resolve_weights(weight_sources(model, weights)).path
