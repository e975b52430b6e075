"""ONNX export with a parity report: a graph is only written when it computes what torch does.

``export_model`` builds the network (fp32, CPU, eval), exports it with dynamic batch (and, for
image kinds, height/width) axes, and runs torch and onnxruntime on the same inputs at several
sizes, one of them odd, so a graph that tracing froze to the example's shape is caught. A graph
that fails is deleted and the error says by how much it failed.

Thresholds (why these numbers):

- fp32, max abs error <= 1e-3 on [0, 1] images: both sides compute the same fp32 math with
  different kernels and summation orders; measured 6e-8 (3 convs) to 9e-7 (RRDBNet x4plus,
  23 blocks). 1e-3 leaves three orders of margin for deeper nets yet is a quarter of one 8-bit
  level (1/255), so a passing graph never moves a saved pixel by more than one level, while a
  wrong graph (a frozen branch, a mismatched op) misses by 1e-2 or more.
- fp16, PSNR >= 40 dB against torch fp32: 40 dB (RMS error 1 % of the range) is about where
  differences stop being visible, while an overflowing fp16 graph (inf, NaN, black) scores
  below 20 dB. Measured 74-75 dB on Real-ESRGAN; that is on the CPU, where onnxruntime runs
  fp16 nodes through fp32 kernels with casts (so it measures weight rounding), and CUDA adds
  fp16 activations, which the margin is for.
- int8, PSNR >= 35 dB against the fp32 graph on held-out photo crops: rounding an image to
  8 bits alone costs ~59 dB, but every quantised activation adds its own rounding; measured
  38-42 dB on animevideov3, 32-36 dB on RRDBNet (refused), and below 35 dB banding shows in
  flat areas.
"""

from __future__ import annotations

import copy
import platform
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from ganhub.bench import measure_latency, shape_label
from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.runtime.onnx_session import CONSTRAINTS_KEY, CPU, PRECISION_KEY, OnnxSession, exported_path
from ganhub.spec import InputConstraints, Kind

if TYPE_CHECKING:
    import onnx
    import torch

FP32_MAX_ABS = 1e-3
FP16_MIN_PSNR = 40.0
INT8_MIN_PSNR = 35.0
PSNR_CAP = 200.0  # identical outputs: a finite number keeps the JSON report valid
IMAGE_SIZES = ((32, 32), (48, 40), (37, 53))  # (height, width); 37×53 is the odd one
IMAGE_BATCHES = (1, 2, 1)  # batch 2 proves the batch axis is dynamic too
GENERATE_BATCHES = (1, 2, 3)
TRACE_SIZE = (16, 16)  # small: the fp16 export traces in half precision, slow on CPUs
EXPORTERS = ("auto", "torchscript", "dynamo")

Progress = Callable[[str], None]
Inputs = tuple[np.ndarray, ...]


@dataclass
class ParityRow:
    """One comparison: an input shape, a precision, the errors against a reference."""

    precision: str
    inputs: str
    reference: str
    max_abs: float
    psnr: float


@dataclass
class ExportReport:
    """What an export wrote and how well its graphs match torch; saved as ``<id>.json``."""

    model_id: str
    files: dict[str, str]
    report_path: str
    exporter: str
    opset: int
    ir_version: int
    ir_note: str
    versions: dict[str, str]
    dynamic_axes: dict[str, dict[int, str]]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    parity: list[ParityRow] = field(default_factory=list)
    latency_ms: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    int8: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the report."""
        return asdict(self)


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
    for path in partial:  # every graph passed: make them visible under their final names
        path.replace(path.with_suffix(""))
    for precision in {"fp16", "int8"} - set(report.files):  # older variants would not match
        exported_path(model.spec.id, precision, out_dir).unlink(missing_ok=True)
    Path(report.report_path).write_text(_to_json(report), encoding="utf-8")
    say(f"wrote {', '.join(report.files.values())} and {report.report_path}")
    return report


def _export_all(model: Model, network: "torch.nn.Module", constraints: InputConstraints,
                out_dir: Path, cases: list[Inputs],
                references: list[np.ndarray], partial: list[Path], *, fp16: bool, int8: bool,
                opset: int, exporter: str, say: Progress) -> ExportReport:
    names = io_names(model, len(cases[0]))
    axes = dynamic_axes(model, names)
    trace = parity_cases(model, constraints, [TRACE_SIZE])[0]  # batch 1 (generate: 1 latent)
    report = _new_report(model, out_dir, opset, axes)
    precisions = ["fp32"] + (["fp16"] if fp16 else [])
    sessions: dict[str, OnnxSession] = {}
    for precision in precisions:
        path = _partial(exported_path(model.spec.id, precision, out_dir), partial)
        say(f"exporting {precision} graph (opset {opset})")
        module = network if precision == "fp32" else _HalfIO(copy.deepcopy(network).half())
        report.exporter, caught = export_graph(module, trace, names, axes, opset, path, exporter)
        report.warnings += caught
        report.ir_version, report.opset, report.ir_note = finalize_graph(
            path, precision, model.spec.id, asdict(constraints))
        say(f"checking {precision} parity at {len(cases)} input sizes")
        sessions[precision] = OnnxSession(path, "cpu", [CPU])
        if precision == "fp32":
            report.inputs, report.outputs = sessions[precision].io_spec()
        rows = check_parity(model.spec.id, precision, sessions[precision], cases, references)
        report.parity += rows
        report.files[precision] = str(path.with_suffix(""))
    if int8:
        say("quantising to int8 (static QDQ, calibrated on photo crops)")
        from ganhub.export_int8 import quantize_int8

        report.int8 = quantize_int8(model, constraints, out_dir, partial, sessions, cases, report)
    say("timing torch and onnxruntime")
    report.latency_ms = measure_latency(lambda: torch_forward(network, cases[-1]), sessions, cases[-1])
    return report


def _partial(final: Path, partial: list[Path]) -> Path:
    path = final.with_name(final.name + ".partial")
    partial.append(path)
    return path


def _check_exportable(model: Model, weights_path: Path | None, exporter: str) -> None:
    spec = model.spec
    if not spec.onnx_exportable:
        raise GanhubError(f"model '{spec.id}' cannot be exported to ONNX: {spec.onnx_note}")
    if weights_path is not None and model.onnx_file(weights_path) is not None:
        raise GanhubError(f"'{spec.id}' weights are already ONNX ({weights_path.name}): run it with "
                          "--runtime onnx, no export needed")
    if exporter not in EXPORTERS:
        raise GanhubError(f"unknown exporter '{exporter}': use one of {', '.join(EXPORTERS)}")


def build_network(model: Model, weights_path: Path | None) -> "torch.nn.Module":
    """``model.build(weights)`` as an fp32 CPU module in eval mode with frozen parameters."""
    import torch

    network = model.build(weights_path)
    if not isinstance(network, torch.nn.Module):
        raise GanhubError(f"model '{model.spec.id}' built a {type(network).__name__}, not a torch "
                          "module: only torch networks can be exported")
    network = network.eval().to(device="cpu", dtype=torch.float32)
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network


def torch_forward(network: "torch.nn.Module", inputs: Inputs) -> np.ndarray:
    """The network's first output for numpy inputs, as float32 numpy."""
    import torch

    with torch.inference_mode():
        output = network(*(torch.from_numpy(np.ascontiguousarray(x)) for x in inputs))
    if isinstance(output, (tuple, list)):
        output = output[0]
    return output.float().numpy()


def _HalfIO(network: "torch.nn.Module") -> "torch.nn.Module":  # noqa: N802 (acts as a class)
    """Wrap a half network so the graph keeps float32 inputs/outputs (casts at both ends)."""
    import torch

    class HalfIO(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            output = self.inner(*(x.half() for x in inputs))
            if isinstance(output, (tuple, list)):
                output = output[0]
            return output.float()

    return HalfIO(network).eval()


# -- inputs and names ----------------------------------------------------------------------
def io_names(model: Model, count: int) -> tuple[list[str], list[str]]:
    """Graph input and output names for the model's kind."""
    if model.kind == Kind.INPAINT:
        return ["image", "mask"], ["output"]
    if model.kind == Kind.GENERATE:
        declared = getattr(model, "latent_names", None)  # a generator may name its latents
        if declared:
            return list(declared), ["output"]
        return (["latent"] if count == 1 else [f"latent_{i}" for i in range(count)]), ["output"]
    return ["image"], ["output"]


def dynamic_axes(model: Model, names: tuple[list[str], list[str]]) -> dict[str, dict[int, str]]:
    """Batch for every tensor; height/width too for image kinds (generate output is fixed)."""
    inputs, outputs = names
    if model.kind == Kind.GENERATE:
        return {name: {0: "batch"} for name in inputs + outputs}
    axes = {name: {0: "batch", 2: "height", 3: "width"} for name in inputs}
    axes.update({name: {0: "batch", 2: "out_height", 3: "out_width"} for name in outputs})
    return axes


def _fit(constraints: InputConstraints, height: int, width: int) -> tuple[int, int]:
    """A size the network accepts: at least min_side, rounded up to multiple_of."""
    m, least = constraints.multiple_of, constraints.min_side
    return max(least, -(-height // m) * m), max(least, -(-width // m) * m)


def parity_cases(model: Model, constraints: InputConstraints,
                 sizes: Sequence[tuple[int, int]] | None = None) -> list[Inputs]:
    """Seeded inputs at several sizes (image kinds; a multiple_of=4 network never sees 37) or
    batch sizes (generate)."""
    if model.kind == Kind.GENERATE:
        return [model.example_inputs(0, 0, batch) for batch in GENERATE_BATCHES]
    return [model.example_inputs(*_fit(constraints, h, w), IMAGE_BATCHES[i % len(IMAGE_BATCHES)])
            for i, (h, w) in enumerate(sizes or IMAGE_SIZES)]


# -- exporting -----------------------------------------------------------------------------
def _dynamo_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxscript") is not None


def export_graph(module: "torch.nn.Module", example: Inputs, names: tuple[list[str], list[str]],
                 axes: dict[str, dict[int, str]], opset: int, path: Path,
                 exporter: str = "auto") -> tuple[str, list[str]]:
    """Write ``module`` as ONNX to ``path``; returns the exporter used and notable warnings.

    The TorchScript exporter comes first: it is mature for conv nets and needs nothing beyond
    torch (torch 2.9+ defaults to the dynamo exporter, which needs the onnxscript package).
    ``auto`` falls back to dynamo when TorchScript fails and onnxscript is installed.
    """
    import torch

    tensors = tuple(torch.from_numpy(np.ascontiguousarray(x)) for x in example)
    if exporter in ("auto", "torchscript"):
        try:
            return "torchscript", _torchscript(module, tensors, names, axes, opset, path)
        except Exception as exc:
            if exporter == "torchscript" or not _dynamo_available():
                raise GanhubError(f"ONNX export failed (TorchScript exporter): {exc}") from exc
    if not _dynamo_available():
        raise GanhubError("the dynamo exporter needs the onnxscript package: pip install onnxscript")
    try:
        return "dynamo", _dynamo(module, tensors, names, axes, opset, path)
    except Exception as exc:
        raise GanhubError(f"ONNX export failed (dynamo exporter): {exc}") from exc


def _torchscript(module: "torch.nn.Module", tensors: tuple, names: tuple[list[str], list[str]],
                 axes: dict[str, dict[int, str]], opset: int, path: Path) -> list[str]:
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(module, tensors, str(path), dynamo=False, input_names=names[0],
                          output_names=names[1], dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    return _notable(caught)


def _dynamo(module: "torch.nn.Module", tensors: tuple, names: tuple[list[str], list[str]],
            axes: dict[str, dict[int, str]], opset: int, path: Path) -> list[str]:
    import torch

    dynamic = torch.export.Dim.DYNAMIC
    shapes = tuple({axis: dynamic for axis in axes[name]} for name in names[0])
    if _takes_varargs(module):  # forward(*inputs): all positional shapes belong to one parameter
        shapes = (shapes,)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # The dynamo exporter needs opset >= 18; external_data=False keeps one self-contained file.
        torch.onnx.export(module, tensors, str(path), dynamo=True, input_names=names[0],
                          output_names=names[1], dynamic_shapes=shapes, opset_version=max(opset, 18),
                          external_data=False, verbose=False)
    return _notable(caught)


def _takes_varargs(module: "torch.nn.Module") -> bool:
    import inspect

    return any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(module.forward).parameters.values())


def _notable(caught: list[warnings.WarningMessage]) -> list[str]:
    """Tracer and user warnings worth keeping in the report (not the exporter's deprecation)."""
    messages = []
    for item in caught:
        if issubclass(item.category, (DeprecationWarning, FutureWarning)):
            continue
        text = f"{item.category.__name__}: {str(item.message).strip()[:300]}"
        if text not in messages:
            messages.append(text)
    return messages[:10]


def finalize_graph(path: Path, precision: str, model_id: str,
                   constraints: dict[str, int] | None = None) -> tuple[int, int, str]:
    """Tag the graph (precision, model, constraints), fit its IR version, save; (ir, opset, note)."""
    import json

    import onnx

    proto = onnx.load(str(path))
    tags = {PRECISION_KEY: precision, "ganhub.model_id": model_id}
    if constraints is not None:  # a BYO model learns its scale on build: keep it with the graph
        tags[CONSTRAINTS_KEY] = json.dumps(constraints)
    for key, value in tags.items():
        entry = next((p for p in proto.metadata_props if p.key == key), None) or proto.metadata_props.add()
        entry.key, entry.value = key, value
    note = fit_ir_version(proto)
    onnx.save(proto, str(path))
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    return proto.ir_version, opset, note


def fit_ir_version(proto: "onnx.ModelProto") -> str:
    """Lower the IR version when onnx wrote one newer than onnxruntime reads; says what it did."""
    import re

    import onnx
    import onnxruntime

    try:
        onnxruntime.InferenceSession(proto.SerializeToString(), providers=[CPU])
        return ""
    except Exception as exc:
        match = re.search(r"max supported IR version: (\d+)", str(exc))
        if not match:
            raise GanhubError(f"onnxruntime {onnxruntime.__version__} cannot load the graph: {exc}") from exc
    written, supported = proto.ir_version, int(match.group(1))
    proto.ir_version = supported
    onnxruntime.InferenceSession(proto.SerializeToString(), providers=[CPU])  # still loads?
    return (f"onnx {onnx.__version__} wrote IR version {written} but onnxruntime "
            f"{onnxruntime.__version__} reads up to {supported}: the file declares IR {supported}, "
            "and onnxruntime loads it, so the graph uses nothing newer")


# -- parity --------------------------------------------------------------------------------
def psnr(output: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB for images in [0, 1] (capped at PSNR_CAP; 0 for non-finite output)."""
    mse = float(np.mean((output.astype(np.float64) - reference.astype(np.float64)) ** 2))
    if not np.isfinite(mse):
        return 0.0
    return PSNR_CAP if mse == 0 else min(PSNR_CAP, 10.0 * float(np.log10(1.0 / mse)))


def compare(precision: str, inputs: Inputs, output: np.ndarray, reference: np.ndarray,
            against: str) -> ParityRow:
    """A parity row; a shape mismatch counts as an infinite error."""
    if output.shape != reference.shape:
        return ParityRow(precision, shape_label(inputs), against, float("inf"), 0.0)
    error = np.abs(output.astype(np.float64) - reference)
    max_abs = float(error.max()) if np.isfinite(output).all() else float("inf")
    return ParityRow(precision, shape_label(inputs), against, max_abs, psnr(output, reference))


def _passes(row: ParityRow) -> bool:
    if row.precision == "fp32":
        return row.max_abs <= FP32_MAX_ABS
    return row.psnr >= (FP16_MIN_PSNR if row.precision == "fp16" else INT8_MIN_PSNR)


def enforce_parity(model_id: str, rows: list[ParityRow]) -> None:
    """Raise GanhubError with every row's numbers when any row misses its threshold."""
    if all(_passes(row) for row in rows):
        return
    precision = rows[0].precision
    rule = {"fp32": f"max abs error <= {FP32_MAX_ABS:g}", "fp16": f"PSNR >= {FP16_MIN_PSNR:g} dB"}.get(
        precision, f"PSNR >= {INT8_MIN_PSNR:g} dB")
    table = "; ".join(f"{r.inputs}: max abs {r.max_abs:.3g}, PSNR {r.psnr:.1f} dB"
                      + ("" if _passes(r) else " FAIL") for r in rows)
    raise GanhubError(
        f"'{model_id}' {precision} ONNX graph fails parity against {rows[0].reference} ({rule}): "
        f"{table}. Nothing was written. {_HINTS.get(precision, _HINTS['fp32'])}"
    )


_HINTS = {
    "fp32": "A graph that disagrees with torch usually means tracing froze a Python branch or "
            "a shape, or a custom op exports as a different ONNX op.",
    "fp16": "The network overflows or loses too much in half precision: export it without --fp16.",
    "int8": "8-bit activations are too coarse for this network: export it without --int8.",
}


def check_parity(model_id: str, precision: str, session: OnnxSession, cases: list[Inputs],
                 references: list[np.ndarray]) -> list[ParityRow]:
    """onnxruntime vs torch fp32 on every case; raises (with the numbers) on a miss."""
    rows = [compare(precision, case, session.run(*case), ref, "torch fp32")
            for case, ref in zip(cases, references)]
    enforce_parity(model_id, rows)
    return rows


# -- report --------------------------------------------------------------------------------
def _new_report(model: Model, out_dir: Path, opset: int, axes: dict[str, dict[int, str]]) -> ExportReport:
    import onnx
    import onnxruntime
    import torch

    import ganhub

    versions = {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                "ganhub": ganhub.__version__, "python": platform.python_version()}
    thresholds = {"fp32_max_abs": FP32_MAX_ABS, "fp16_min_psnr_db": FP16_MIN_PSNR,
                  "int8_min_psnr_db": INT8_MIN_PSNR}
    return ExportReport(model.spec.id, {}, str(out_dir / f"{model.spec.id}.json"), "", opset, 0, "",
                        versions, axes, [], [], thresholds=thresholds)


def _to_json(report: ExportReport) -> str:
    import json

    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


def resolve_model_weights(model: Model, weights: str | None) -> Path | None:
    """The local weights file for ``model`` (its own sources, or ``weights`` for BYO models)."""
    from ganhub.engine import Engine
    from ganhub.weights import resolve_weights

    if weights is None and not model.spec.weights:
        return None
    return resolve_weights(Engine.sources(model, weights)).path
