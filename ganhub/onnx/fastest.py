"""``--runtime auto`` on a CPU: the fastest path that stays accurate, measured once per machine.

The candidates are torch fp32 (the reference), torch bf16 autocast (only where the CPU does
bf16 in hardware: elsewhere torch emulates it, slower than fp32), onnxruntime on the cached
fp32 export (``cache.ensure_graph``, parity-checked at export) and on its int8 quantisation
(``cache_int8``, refused below 35 dB on held-out photos). Each is timed on a real photo crop
side by side in one process (interleaved rounds, the fastest of three each); on the same crop
bf16 must match fp32 by PSNR >= 40 dB, int8 by >= 35 dB. The
fastest one wins and is recorded in ``choice.json`` beside the cached graph, keyed by this
machine's CPU (``runtime.cpu.machine_key``), so later runs open the chosen path straight away
(an onnx choice never imports the torch network). Delete the file to measure again. A
choice measured while the CPU was busy (load above one per core: other work slows the paths
unevenly, e.g. torch's threads far more than onnxruntime's) is measured again once the load has
halved.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.onnx import cache
from ganhub.onnx.cache_int8 import cached_int8
from ganhub.onnx.parity import FP16_MIN_PSNR, INT8_MIN_PSNR, psnr
from ganhub.onnx.timing import interleaved_best_ms
from ganhub.runtime.cpu import machine_key, native_bf16
from ganhub.spec import Kind

if TYPE_CHECKING:
    from ganhub.runtime.base import Session
    from ganhub.weights.fetch import ResolvedWeights

CHOICE_FILE = "choice.json"
PROBE_SIDE = 128  # big enough that per-call overheads do not decide, small enough to take seconds
BF16_MIN_PSNR = FP16_MIN_PSNR  # the same bar as an fp16 export
BUSY = 1.0  # load per core above which a measurement is redone once the machine is quieter
CANDIDATES = ("torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8")  # each is timed or refused with a reason
log = logging.getLogger(__name__)

Say = Callable[[str], None]


@dataclass(frozen=True)
class Choice:
    """The path ``auto`` runs a model on, and what was measured to pick it."""

    path: str  # "onnx-fp32" | "onnx-int8" | "torch-bf16" | "torch-fp32"
    machine: str
    ms: dict[str, float] = field(default_factory=dict)  # candidate -> median ms on the probe crop
    psnr_db: dict[str, float] = field(default_factory=dict)  # candidate -> PSNR against torch fp32
    refused: dict[str, str] = field(default_factory=dict)  # candidate -> why it was not eligible
    load_per_core: float = 0.0  # the 1-minute load average per core while measuring

    @property
    def runtime(self) -> str:
        return self.path.split("-")[0]

    @property
    def precision(self) -> str:
        return self.path.split("-")[1]


def cached_choice(model: Model, weights: "ResolvedWeights | None") -> Choice | None:
    """The choice measured earlier on this machine for these weights, or None."""
    path = cache.cache_folder(model.spec.id, weights) / CHOICE_FILE
    try:
        choice = Choice(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if choice.machine != machine_key():  # a shared home on another CPU: measure again
        return None
    if set(choice.ms) | set(choice.refused) != set(CANDIDATES):  # measured before a path was added
        return None
    if choice.load_per_core > BUSY and load_per_core() < choice.load_per_core / 2:
        return None  # measured while other work competed for the CPU (it skews paths unevenly): again now
    if choice.path == "onnx-int8" and model.spec.int8_note:
        return None  # recorded before the model declared it never runs as int8
    graph = cached_int8(model, weights) if choice.path == "onnx-int8" else cache.cached_graph(model, weights)
    if choice.runtime == "onnx" and graph is None:
        return None  # the graph was deleted: measure again
    return choice


def choose(model: Model, weights: "ResolvedWeights | None", build: Callable[[], "Session"],
           say: Say | None = None) -> tuple[Choice, "Session | None"]:
    """The recorded choice, or measure the candidates now; returns it and, for a torch path,
    the session already built (``build`` opens torch fp32 on the CPU)."""
    import filelock  # two processes starting at once: the second reads the first one's choice

    found = cached_choice(model, weights)
    if found is not None:
        return found, None
    folder = cache.cache_folder(model.spec.id, weights)
    folder.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(folder / ".choice.lock")):
        found = cached_choice(model, weights)
        if found is not None:
            return found, None
        if say:
            say(f"measuring the fastest accurate runtime for {model.spec.id} on this CPU (once)")
        choice, sessions = _measure(model, weights, build(), say)
        atomic.write_text(folder / CHOICE_FILE, json.dumps(asdict(choice), indent=2))
    log.info("auto runtime for %s: %s (%s)", model.spec.id, choice.path,
             ", ".join(f"{name} {ms:.0f} ms" for name, ms in choice.ms.items()))
    return choice, sessions.get(choice.path)


def _measure(model: Model, weights: "ResolvedWeights | None", reference: "Session",
             say: Say | None) -> tuple[Choice, dict[str, "Session"]]:
    from ganhub.onnx.photos import bench_inputs, load_photos
    from ganhub.runtime.torch_session import TorchSession

    inputs = bench_inputs(model, _probe_side(model), load_photos()[0])
    expected = reference.run(*inputs)
    sessions: dict[str, "Session"] = {"torch-fp32": reference}
    refused: dict[str, str] = {}
    if native_bf16():
        sessions["torch-bf16"] = TorchSession(reference.network, "cpu", "bf16")  # type: ignore[attr-defined]
    else:
        refused["torch-bf16"] = "this CPU has no bf16 in hardware (torch would emulate it)"
    for path in ("onnx-fp32", "onnx-int8"):
        try:
            sessions[path] = _onnx_session(model, weights, say, path.split("-")[1])
        except GanhubError as exc:
            refused[path] = exc.summary()
    runs = {name: (lambda session=session: session.run(*inputs)) for name, session in sessions.items()}
    ms = {name: round(t, 1) for name, t in interleaved_best_ms(runs).items()}
    scores = {name: round(psnr(session.run(*inputs), expected), 1)
              for name, session in sessions.items() if name != "torch-fp32"}
    for name, bar in (("torch-bf16", BF16_MIN_PSNR), ("onnx-int8", INT8_MIN_PSNR)):
        if scores.get(name, np.inf) < bar:
            refused[name] = f"PSNR {scores[name]} dB against fp32 is under {bar:g} dB"
    eligible = {name: t for name, t in ms.items() if name not in refused}
    best = min(eligible, key=eligible.__getitem__)
    return Choice(best, machine_key(), ms, scores, refused, round(load_per_core(), 2)), sessions


def load_per_core() -> float:
    """The 1-minute load average per core (0 where the platform does not say)."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return 0.0


def _onnx_session(model: Model, weights: "ResolvedWeights | None", say: Say | None,
                  precision: str = "fp32") -> "Session":
    from ganhub.onnx.cache_int8 import ensure_int8
    from ganhub.runtime.onnx_session import open_onnx

    if not model.spec.onnx_exportable:
        raise GanhubError(f"no ONNX form: {model.spec.onnx_note}")
    graph = ensure_int8(model, weights, say) if precision == "int8" else cache.ensure_graph(model, weights, say)
    return open_onnx(model, weights.path if weights else None, "cpu", onnx_path=graph)


def _probe_side(model: Model) -> int:
    """The probe crop's side (for a generate model, ``bench_inputs`` reads it as the batch: one)."""
    if model.kind == Kind.GENERATE:
        return 1
    constraints = model.constraints_for(None)
    side = max(PROBE_SIDE, constraints.min_side)
    return side + (-side % constraints.multiple_of)


def open_choice(model: Model, weights: "ResolvedWeights | None", choice: Choice) -> "Session":
    """Open the recorded path (no measuring): onnx from the cached graph, torch at its precision."""
    if choice.runtime == "onnx":
        return _onnx_session(model, weights, None, choice.precision)
    from ganhub.runtime.torch_session import open_torch

    return open_torch(model, weights.path if weights else None, "cpu", choice.precision)
