"""Building the network and writing its ONNX graph: names, dynamic axes, the exporters, and
the metadata and IR version onnxruntime needs to load the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx.timing import Inputs
from ganhub.runtime.onnx_session import CONSTRAINTS_KEY, CPU, PRECISION_KEY
from ganhub.spec import InputConstraints, Kind

if TYPE_CHECKING:
    import onnx
    import torch

EXPORTERS = ("auto", "torchscript", "dynamo")
Names = tuple[list[str], list[str]]
Axes = dict[str, dict[int, str]]


# -- the network -------------------------------------------------------------------------
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


def half_io(network: "torch.nn.Module") -> "torch.nn.Module":
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


# -- inputs and names --------------------------------------------------------------------
def io_names(model: Model, count: int) -> Names:
    """Graph input and output names for the model's kind."""
    if model.kind == Kind.INPAINT:
        return ["image", "mask"], ["output"]
    if model.kind == Kind.GENERATE:
        declared = getattr(model, "latent_names", None)  # a generator may name its latents
        if declared:
            return list(declared), ["output"]
        return (["latent"] if count == 1 else [f"latent_{i}" for i in range(count)]), ["output"]
    return ["image"], ["output"]


def dynamic_axes(model: Model, names: Names) -> Axes:
    """Batch for every tensor; height/width too for image kinds (generate output is fixed)."""
    inputs, outputs = names
    if model.kind == Kind.GENERATE:
        return {name: {0: "batch"} for name in inputs + outputs}
    axes = {name: {0: "batch", 2: "height", 3: "width"} for name in inputs}
    axes.update({name: {0: "batch", 2: "out_height", 3: "out_width"} for name in outputs})
    return axes


def fit(constraints: InputConstraints, height: int, width: int) -> tuple[int, int]:
    """A size the network accepts: at least min_side, rounded up to multiple_of."""
    m, least = constraints.multiple_of, constraints.min_side
    return max(least, -(-height // m) * m), max(least, -(-width // m) * m)


def partial_path(final: Path, partial: list[Path]) -> Path:
    """``<final>.partial``, recorded in ``partial``: graphs stay there until all pass parity."""
    path = final.with_name(final.name + ".partial")
    partial.append(path)
    return path


# -- exporting ---------------------------------------------------------------------------
def _dynamo_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxscript") is not None


def export_graph(module: "torch.nn.Module", example: Inputs, names: Names, axes: Axes, opset: int,
                 path: Path, exporter: str = "auto") -> tuple[str, list[str]]:
    """Write ``module`` as ONNX to ``path``; returns the exporter used and notable warnings.

    The TorchScript exporter comes first: it is mature for conv nets and needs nothing beyond
    torch (torch 2.9+ defaults to the dynamo exporter, which needs the onnxscript package).
    ``auto`` falls back to dynamo when TorchScript fails and onnxscript is installed.
    """
    import torch

    tensors = tuple(torch.from_numpy(np.ascontiguousarray(x)) for x in example)
    if exporter in ("auto", "torchscript"):
        try:
            return "torchscript", export_torchscript(module, tensors, names, axes, opset, path)
        except Exception as exc:
            if exporter == "torchscript" or not _dynamo_available():
                raise GanhubError(f"ONNX export failed (TorchScript exporter): {exc}") from exc
    if not _dynamo_available():
        raise GanhubError("the dynamo exporter needs the onnxscript package: pip install onnxscript")
    try:
        return "dynamo", export_dynamo(module, tensors, names, axes, opset, path)
    except Exception as exc:
        raise GanhubError(f"ONNX export failed (dynamo exporter): {exc}") from exc


def export_torchscript(module: "torch.nn.Module", tensors: tuple, names: Names, axes: Axes,
                       opset: int, path: Path) -> list[str]:
    """The TorchScript (tracing) exporter; returns notable warnings."""
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(module, tensors, str(path), dynamo=False, input_names=names[0],
                          output_names=names[1], dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    return _notable(caught)


def export_dynamo(module: "torch.nn.Module", tensors: tuple, names: Names, axes: Axes,
                  opset: int, path: Path) -> list[str]:
    """The dynamo (torch.export) exporter, at opset >= 18; returns notable warnings."""
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


# -- the written file --------------------------------------------------------------------
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
