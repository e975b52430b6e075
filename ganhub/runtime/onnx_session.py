"""The onnxruntime runtime: an exported (or shipped) ``.onnx`` graph behind the Session protocol.

Which file runs: the weights themselves when they *are* ONNX, else the file ``ganhub export``
wrote (``export/<id>.onnx``, or ``$GANHUB_EXPORT_DIR``). Exporting is never implicit: it runs a
parity check that can take minutes and can refuse, so a missing file is an error naming the
command to run.

Providers are picked TensorRT → CUDA → CPU for a CUDA device and CPU otherwise, filtered to
what ``onnxruntime.get_available_providers()`` lists; ``providers=`` or ``$GANHUB_ORT_PROVIDERS``
(e.g. ``cuda,cpu``) override the choice. onnxruntime-gpu lists the CUDA provider
even where it cannot start (no driver, wrong CUDA/cuDNN) and then quietly runs on the CPU, so
the session's *effective* providers are checked after creation and the fallback is logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganhub.errors import GanhubError
from ganhub.spec import InputConstraints

if TYPE_CHECKING:
    import onnxruntime

    from ganhub.model import Model

log = logging.getLogger(__name__)

EXPORT_DIR_ENV = "GANHUB_EXPORT_DIR"
PROVIDERS_ENV = "GANHUB_ORT_PROVIDERS"
PRECISION_KEY = "ganhub.precision"  # metadata_props entries written by ganhub.onnx.graph
CONSTRAINTS_KEY = "ganhub.constraints"

TENSORRT, CUDA, CPU = "TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"
GPU_PROVIDERS = (TENSORRT, CUDA)
ALIASES = {"trt": TENSORRT, "tensorrt": TENSORRT, "cuda": CUDA, "cpu": CPU}
_NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


def export_dir() -> Path:
    """Where ``ganhub export`` writes by default and where the onnx runtime looks."""
    return Path(os.environ.get(EXPORT_DIR_ENV, "").strip() or "export")


def exported_path(model_id: str, precision: str = "fp32", directory: Path | None = None) -> Path:
    """The file an export of ``model_id`` writes: ``<id>.onnx``, ``<id>.fp16.onnx``, ``<id>.int8.onnx``."""
    suffix = "" if precision == "fp32" else f".{precision}"
    return (directory or export_dir()) / f"{model_id}{suffix}.onnx"


def parse_providers(names: list[str] | str) -> list[str]:
    """Full provider names from full names or the aliases trt, cuda, cpu (comma-separated ok)."""
    items = names.split(",") if isinstance(names, str) else names
    resolved = []
    for item in (name.strip() for name in items):
        if item:
            resolved.append(ALIASES.get(item.lower(), item))
    return resolved


def choose_providers(device: str, requested: list[str] | None = None) -> list[str]:
    """Providers to ask for, best first: the requested (or env) list, else by device; CPU last."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    env = os.environ.get(PROVIDERS_ENV, "").strip()
    if requested is None and env:
        requested = parse_providers(env)
    if requested is not None:
        wanted = parse_providers(requested)
        unknown = [name for name in wanted if name not in ALIASES.values() and name not in available]
        if unknown:
            raise GanhubError(f"unknown onnxruntime provider(s) {unknown}; available: {', '.join(available)}")
        missing = [name for name in wanted if name not in available]
        if missing:
            log.warning("onnxruntime providers %s are not in this build; skipping them", missing)
    else:
        wanted = list(GPU_PROVIDERS) if device.startswith("cuda") else []
    chosen = [name for name in wanted if name in available and name != CPU]
    return chosen + [CPU]  # CPU always last: the provider every graph can fall back to


def _device_id(device: str) -> int:
    _, _, index = device.partition(":")
    return int(index) if index.isdigit() else 0


def _provider_entries(providers: list[str], device: str) -> list[Any]:
    """Providers with options: GPU ones pinned to the device's index."""
    options = {"device_id": str(_device_id(device))}
    return [(name, dict(options)) if name in GPU_PROVIDERS else name for name in providers]


def _preload_cuda_libraries() -> None:
    """Let onnxruntime-gpu use torch's CUDA/cuDNN wheels instead of needing a system install."""
    import onnxruntime

    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available() and hasattr(onnxruntime, "preload_dlls"):
        try:
            onnxruntime.preload_dlls()
        except Exception as exc:  # a failed preload only means the provider may fall back
            log.warning("onnxruntime.preload_dlls() failed: %s", exc)


class OnnxSession:
    """An onnxruntime InferenceSession on one device, float32 NCHW in and out.

    ``InferenceSession.run`` is thread-safe, and every call builds its own IO binding, so one
    session serves concurrent requests without a lock.
    """

    runtime = "onnx"

    def __init__(self, path: Path, device: str, providers: list[str] | None = None):
        self.path = path
        self.requested_providers = choose_providers(device, providers)
        if any(name in GPU_PROVIDERS for name in self.requested_providers):
            _preload_cuda_libraries()
        self._session = self._create(path, device, self.requested_providers)
        self.providers: list[str] = self._session.get_providers()
        self.device = self._effective_device(device)
        self._inputs = self._session.get_inputs()
        self._input_types = [_NUMPY_TYPES.get(arg.type, np.float32) for arg in self._inputs]
        self._output_name = self._session.get_outputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        fp16_inputs = np.float16 in self._input_types
        self.precision = meta.get(PRECISION_KEY) or ("fp16" if fp16_inputs else "fp32")
        # The result line names a reduced precision ("onnx-int8"), as torch's does ("torch-bf16").
        self.runtime = "onnx" if self.precision == "fp32" else f"onnx-{self.precision}"
        # The input constraints the exported network had (scale, multiple_of, ...), if recorded.
        recorded = meta.get(CONSTRAINTS_KEY)
        self.constraints = InputConstraints(**json.loads(recorded)) if recorded else None

    @staticmethod
    def _create(path: Path, device: str, providers: list[str]) -> "onnxruntime.InferenceSession":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=_provider_entries(providers, device)
            )
        except Exception as exc:
            if providers == [CPU]:
                raise GanhubError(f"onnxruntime cannot load {path}: {exc}") from exc
            # Some GPU providers raise instead of falling back (e.g. a TensorRT build error).
            log.warning("onnxruntime providers %s failed (%s); using the CPU", providers, exc)
            return onnxruntime.InferenceSession(str(path), sess_options=options, providers=[CPU])

    def _effective_device(self, requested: str) -> str:
        gpu = [name for name in self.requested_providers if name in GPU_PROVIDERS]
        if gpu and not any(name in GPU_PROVIDERS for name in self.providers):
            log.warning(
                "onnxruntime lists %s but could not start it (missing CUDA/cuDNN libraries or no "
                "GPU); running %s on the CPU", gpu, self.path.name,
            )
            return "cpu"
        if any(name in GPU_PROVIDERS for name in self.providers):
            return requested if requested.startswith("cuda") else f"cuda:{_device_id(requested)}"
        return "cpu"

    @property
    def input_names(self) -> list[str]:
        """The graph's input names, in the order :meth:`run` takes arrays."""
        return [arg.name for arg in self._inputs]

    def io_spec(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Name, element type and shape (symbolic axes by name) of each input and output."""
        describe = lambda arg: {"name": arg.name, "type": arg.type, "shape": list(arg.shape)}  # noqa: E731
        return [describe(a) for a in self._inputs], [describe(a) for a in self._session.get_outputs()]

    def run(self, *inputs: np.ndarray) -> np.ndarray:
        """Run on float32 NCHW arrays (cast to the graph's input types); returns float32."""
        if len(inputs) != len(self._inputs):
            raise GanhubError(
                f"{self.path.name} takes {len(self._inputs)} input(s) ({', '.join(self.input_names)}), "
                f"got {len(inputs)}"
            )
        feeds = {
            arg.name: np.ascontiguousarray(array, dtype=dtype)
            for arg, array, dtype in zip(self._inputs, inputs, self._input_types)
        }
        if self.device.startswith("cuda"):
            output = self._run_bound(feeds)
        else:
            output = self._session.run([self._output_name], feeds)[0]
        return np.asarray(output, dtype=np.float32)

    def _run_bound(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """IO binding: the output stays on the GPU until one copy back, no staging per node."""
        binding = self._session.io_binding()
        device_id = _device_id(self.device)
        for name, array in feeds.items():
            binding.bind_cpu_input(name, array)
        binding.bind_output(self._output_name, "cuda", device_id)
        self._session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]


def find_onnx_file(model: "Model", weights: Path | None, device: str, precision: str = "auto") -> Path:
    """The graph to run: the weights if they are ONNX, else the export (error if not exported)."""
    shipped = model.onnx_file(weights) if weights is not None else None
    if shipped is not None:
        return shipped
    model_id = model.spec.id
    if not model.spec.onnx_exportable:
        raise GanhubError(f"model '{model_id}' has no ONNX form: {model.spec.onnx_note}")
    if precision == "auto":
        fp16 = exported_path(model_id, "fp16")
        precision = "fp16" if device.startswith("cuda") and fp16.exists() else "fp32"
    path = exported_path(model_id, precision)
    if not path.exists():
        raise GanhubError(
            f"no ONNX export of '{model_id}' at {path}", action="export-onnx",
            fix=f"export it first (ganhub.onnx.export_model), or set {EXPORT_DIR_ENV} to the folder holding it",
            model_id=model_id, precision_flag={"fp16": " --fp16", "int8": " --int8"}.get(precision, ""),
        )
    return path


def open_onnx(
    model: "Model",
    weights: Path | None,
    device: str,
    *,
    onnx_path: Path | None = None,
    providers: list[str] | None = None,
    precision: str = "auto",
) -> OnnxSession:
    """An OnnxSession for ``model``: ``onnx_path`` if given, else :func:`find_onnx_file`.

    ``precision`` picks among exported files (auto: fp16 on CUDA when exported, else fp32).
    """
    path = onnx_path or find_onnx_file(model, weights, device, precision)
    if not Path(path).exists():
        raise GanhubError(f"ONNX file {path} does not exist")
    return OnnxSession(Path(path), device, providers)
