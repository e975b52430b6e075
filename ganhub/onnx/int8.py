"""int8 export: static QDQ quantisation calibrated on real photo crops, with its own parity.

The quantised graph is compared with the fp32 ONNX output on held-out crops and refused below
the int8 PSNR bar; the report lists which ops stayed in float and why.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx.graph import finalize_graph, fit, partial_path
from ganhub.onnx.parity import compare, enforce_parity
from ganhub.onnx.photos import load_photos, photo_inputs
from ganhub.onnx.report import ExportReport
from ganhub.onnx.timing import Inputs
from ganhub.runtime.onnx_session import CPU, OnnxSession, exported_path
from ganhub.spec import InputConstraints, Kind

CALIBRATION_SIZE = 64
CALIBRATION_CROPS = 2  # per photo


class _Calibration:
    """The CalibrationDataReader protocol (get_next until None) over prepared feeds."""

    def __init__(self, feeds: list[dict[str, np.ndarray]]):
        self._feeds = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def _calibration_shapes(model: Model, constraints: InputConstraints) -> list[Inputs]:
    if model.kind == Kind.GENERATE:
        return [model.example_inputs(0, 0, 1)] * 16
    side = fit(constraints, CALIBRATION_SIZE, CALIBRATION_SIZE)
    return [model.example_inputs(*side, 1)] * (len(load_photos()) * CALIBRATION_CROPS)


RECIPES = {
    "s8s8": "QDQ: per-channel int8 weights, int8 activations, percentile calibration",
    "u8s8-prelu": "QDQ: per-channel int8 weights, uint8 activations, percentile calibration, "
                  "PRelu rewritten to int8 ops",
}


def default_recipe() -> str:
    """u8s8-prelu on CPUs with VNNI, else s8s8 (the reasons are in :func:`_quantize`)."""
    from ganhub.onnx.int8_graph import has_vnni

    return "u8s8-prelu" if has_vnni() else "s8s8"


def calibration_feeds(model: Model, constraints: InputConstraints,
                      input_names: list[str]) -> list[dict[str, np.ndarray]]:
    """The calibration inputs (photo crops, seed 1) as onnxruntime feeds."""
    calibration = photo_inputs(model, _calibration_shapes(model, constraints), seed=1)
    return [dict(zip(input_names, inputs)) for inputs in calibration]


def _quantize(fp32_path: Path, path: Path, feeds: list[dict[str, np.ndarray]],
              recipe: str | None = None) -> str:
    """Write the QDQ graph of ``fp32_path`` to ``path``, calibrated on ``feeds``; returns the recipe."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from ganhub.onnx.int8_graph import rewrite_prelu

    recipe = recipe or default_recipe()
    with tempfile.TemporaryDirectory(prefix="ganhub-int8-") as scratch:
        # ONNX shape inference + graph fusions first, as onnxruntime's quantizer asks (its
        # symbolic shape inference gives up on the dynamic-size Resize of SR graphs).
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        # s8s8: int8 activations + per-channel int8 weights, not uint8 activations (U8S8): on
        # x86 CPUs without VNNI (AVX2 only) onnxruntime runs U8S8 QLinearConv with VPMADDUBSW,
        # whose int16 pair sums saturate with full 8-bit weights. Same scales either way (the
        # zero points move by 128), yet on an AVX2-only CPU animevideov3 scored 33.4 / 34.5 /
        # 38.7 dB as U8S8 against 38.3 / 40.5 / 41.8 dB as S8S8, which is what the QDQ graph
        # computes in float (38.4 / 40.6 / 41.8); a VNNI CPU gets those from either. 7-bit
        # weights (reduce_range) also avoid the saturation but cost 1.5-2 dB on every CPU.
        # u8s8-prelu (VNNI CPUs): PRelu rewritten into int8 ops (int8_graph), which onnxruntime
        # fuses only with uint8 activations (as int8 the depthwise convs stayed float: 1.0×
        # fp32). Measured on animevideov3, 14 Set14 256² crops: 3.05× onnxruntime fp32 against
        # 1.83× for s8s8, PSNR vs fp32 mean 38.2 / min 35.7 dB (s8s8: 39.6 / 36.5).
        # Percentile (99.999 %) ranges: measured +1.5..2 dB over MinMax on animevideov3, since
        # a few outlier activations no longer stretch every 8-bit step. It prints; keep it quiet.
        activations = QuantType.QInt8
        if recipe == "u8s8-prelu":
            rewrite_prelu(prepared, prepared)
            activations = QuantType.QUInt8
        with contextlib.redirect_stdout(io.StringIO()):
            quantize_static(str(prepared), str(path), _Calibration(feeds), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=activations,
                            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.Percentile)
    return recipe


# onnxruntime's percentile calibration keeps every intermediate activation of every calibration
# crop until it builds its histograms: about 40 MB a crop for realesr-animevideov3 but about
# 1 GB a crop for realesrgan-x4plus (23 RRDB blocks), 21 GB for the 22 crops. Run inside the app
# or the CLI that could take a user's whole machine, so the quantiser runs in a child process
# (ganhub.onnx.int8_child) with its address space capped at a share of the memory available;
# hitting the cap is a refusal with its reason, and the caller carries on without int8.
CALIBRATION_MEMORY_SHARE = 0.25
OUT_OF_MEMORY = 3  # the child's exit status when calibration hit the cap


def quantize_capped(fp32_path: Path, path: Path, feeds: list[dict[str, np.ndarray]], recipe: str | None) -> str:
    """``_quantize`` in a child process capped at a share of the available memory; the recipe used."""
    import subprocess
    import sys

    from ganhub.errors import GanhubError
    from ganhub.limits import available_memory

    budget = int((available_memory() or 8 << 30) * CALIBRATION_MEMORY_SHARE)
    with tempfile.TemporaryDirectory(prefix="ganhub-calibration-") as scratch:
        stored = Path(scratch) / "feeds.npz"
        np.savez(stored, **{f"{i}/{name}": array for i, feed in enumerate(feeds) for name, array in feed.items()})
        done = subprocess.run([sys.executable, "-m", "ganhub.onnx.int8_child", str(fp32_path), str(path),
                               str(stored), recipe or "", str(budget)], capture_output=True, text=True)
    if done.returncode == OUT_OF_MEMORY:
        raise GanhubError(f"int8 calibration needs more than {budget / 2**30:.1f} GiB here (a quarter of the "
                          "memory available)", fix="run the model in fp32 or bf16")
    if done.returncode != 0:
        raise GanhubError(f"int8 quantisation failed: {(done.stderr.strip().splitlines() or ['no message'])[-1]}")
    return done.stdout.strip().splitlines()[-1]


def refuse_declared(model: Model) -> None:
    """Raise when the model's spec says it never runs in int8 (``ModelSpec.int8_note``)."""
    if model.spec.int8_note:
        raise GanhubError(f"'{model.spec.id}' does not run as int8: {model.spec.int8_note}",
                          fix="use fp32 (or fp16 on a GPU): export without --int8", model_id=model.spec.id)


def quantize_int8(model: Model, constraints: InputConstraints, out_dir: Path, partial: list[Path],
                  sessions: dict[str, OnnxSession], cases: list[Inputs],
                  report: ExportReport, recipe: str | None = None) -> dict[str, Any]:
    """Quantise the fp32 graph in ``sessions`` to ``<id>.int8.onnx.partial``, check it on held-out
    photo crops (adds rows to ``report``, raises on a miss); returns the report's int8 section.
    Its two callers, ``export_model`` and ``ensure_int8``, call :func:`refuse_declared` first."""
    path = partial_path(exported_path(model.spec.id, "int8", out_dir), partial)
    fp32 = sessions["fp32"]
    feeds = calibration_feeds(model, constraints, fp32.input_names)
    recipe = quantize_capped(fp32.path, path, feeds, recipe)
    finalize_graph(path, "int8", model.spec.id, asdict(constraints))
    session = sessions["int8"] = OnnxSession(path, "cpu", [CPU])
    held_out = photo_inputs(model, cases, seed=2)  # other crops than calibration saw
    rows = [compare("int8", case, session.run(*case), fp32.run(*case), "onnx fp32") for case in held_out]
    report.parity += rows
    enforce_parity(model.spec.id, rows)
    report.files["int8"] = str(path.with_suffix(""))
    return {"format": RECIPES[recipe], "recipe": recipe,
            "calibration": f"{len(feeds)} " + ("latents" if model.kind == Kind.GENERATE else "photo crops"),
            "parity_inputs": "held-out photo crops (generate: latents of other seeds)",
            **float_layers(path)}


def float_layers(path: Path) -> dict[str, Any]:
    """Which ops of a QDQ graph still compute on float inputs, grouped by op type, and why."""
    import onnx
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry

    graph = onnx.load(str(path)).graph
    producer = {out: node.op_type for node in graph.node for out in node.output}
    constant = {init.name for init in graph.initializer}
    constant |= {out for node in graph.node if node.op_type == "Constant" for out in node.output}
    quantizable = set(QDQRegistry) | set(QLinearOpsRegistry)
    stayed: dict[str, dict[str, Any]] = {}
    quantized: dict[str, int] = {}
    for node in graph.node:
        data = [name for name in node.input if name and name not in constant]
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") or not data:
            continue
        from_int8 = all(producer.get(name) == "DequantizeLinear" for name in data)
        if from_int8 and node.op_type in quantizable:
            quantized[node.op_type] = quantized.get(node.op_type, 0) + 1
            continue
        reason = (f"onnxruntime's quantizer has no int8 form of {node.op_type}: it computes in "
                  "float on dequantised inputs" if node.op_type not in quantizable
                  else "its input comes from a float op, so it has no calibrated int8 input")
        entry = stayed.setdefault(node.op_type, {"count": 0, "reason": reason, "nodes": []})
        entry["count"] += 1
        entry["nodes"] = (entry["nodes"] + [node.name])[:6]
    return {"quantized_ops": quantized, "fp32_ops": stayed}
