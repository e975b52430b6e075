"""Parity: a graph is only kept when it computes what torch does, on inputs of several sizes.

The inputs come at several sizes, one of them odd, so a graph that tracing froze to the
example's shape is caught; a miss raises with every row's numbers.

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

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx.graph import fit
from ganhub.onnx.report import ParityRow
from ganhub.onnx.timing import Inputs, shape_label
from ganhub.spec import InputConstraints, Kind

if TYPE_CHECKING:
    from ganhub.runtime.onnx_session import OnnxSession

FP32_MAX_ABS = 1e-3
FP16_MIN_PSNR = 40.0
INT8_MIN_PSNR = 35.0
PSNR_CAP = 200.0  # identical outputs: a finite number keeps the JSON report valid
IMAGE_SIZES = ((32, 32), (48, 40), (37, 53))  # (height, width); 37×53 is the odd one
IMAGE_BATCHES = (1, 2, 1)  # batch 2 proves the batch axis is dynamic too
GENERATE_BATCHES = (1, 2, 3)

_HINTS = {
    "fp32": "A graph that disagrees with torch usually means tracing froze a Python branch or "
            "a shape, or a custom op exports as a different ONNX op.",
    "fp16": "The network overflows or loses too much in half precision: export it without --fp16.",
    "int8": "8-bit activations are too coarse for this network: export it without --int8.",
}


def thresholds() -> dict[str, float]:
    """The parity bars, as the export report records them."""
    return {"fp32_max_abs": FP32_MAX_ABS, "fp16_min_psnr_db": FP16_MIN_PSNR,
            "int8_min_psnr_db": INT8_MIN_PSNR}


def parity_cases(model: Model, constraints: InputConstraints,
                 sizes: Sequence[tuple[int, int]] | None = None) -> list[Inputs]:
    """Seeded inputs at several sizes (image kinds; a multiple_of=4 network never sees 37) or
    batch sizes (generate)."""
    if model.kind == Kind.GENERATE:
        return [model.example_inputs(0, 0, batch) for batch in GENERATE_BATCHES]
    return [model.example_inputs(*fit(constraints, h, w), IMAGE_BATCHES[i % len(IMAGE_BATCHES)])
            for i, (h, w) in enumerate(sizes or IMAGE_SIZES)]


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


def check_parity(model_id: str, precision: str, session: "OnnxSession", cases: list[Inputs],
                 references: list[np.ndarray]) -> list[ParityRow]:
    """onnxruntime vs torch fp32 on every case; raises (with the numbers) on a miss."""
    rows = [compare(precision, case, session.run(*case), ref, "torch fp32")
            for case, ref in zip(cases, references)]
    enforce_parity(model_id, rows)
    return rows
