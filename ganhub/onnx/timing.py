"""Latency helpers shared by the export report and the benchmark: medians of wall times in ms.

Depends on no other ``ganhub.onnx`` module.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from ganhub.runtime.onnx_session import OnnxSession

Inputs = tuple[np.ndarray, ...]


def shape_label(inputs: Inputs) -> str:
    """``1×3×37×53`` (inputs joined with ``+``)."""
    return " + ".join("×".join(map(str, x.shape)) for x in inputs)


def median_ms(run: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``run`` in milliseconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def interleaved_best_ms(runs: dict[str, Callable[[], object]], rounds: int = 3) -> dict[str, float]:
    """Each run's fastest wall time in ms, measured in interleaved rounds after one warm-up each.

    Interleaving gives every candidate the same share of whatever else the machine is doing,
    and other processes only ever add time, so the minimum is the truest cost of a path.
    """
    for run in runs.values():
        run()
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], (time.perf_counter() - started) * 1000.0)
    return best


def load_average() -> float:
    """The 1-minute load average, rounded: it flags timings taken while other processes competed."""
    return round(os.getloadavg()[0], 2)


def measure_latency(torch_run: Callable[[], object], sessions: dict[str, "OnnxSession"],
                    case: Inputs) -> dict[str, Any]:
    """torch fp32 (``torch_run``) vs each onnxruntime graph on ``case``, median of 3, in ms."""
    latency: dict[str, Any] = {"inputs": shape_label(case), "device": "cpu",
                               "load_average_1min": load_average()}
    latency["torch_fp32"] = round(median_ms(torch_run), 3)
    for precision, session in sessions.items():
        latency[f"onnx_{precision}"] = round(median_ms(lambda s=session: s.run(*case)), 3)
    return latency
