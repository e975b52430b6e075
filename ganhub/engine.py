"""The one entry point for a request: ``Engine.run(model_id, …)``.

It resolves the params (once, before anything loads, so a bad value costs nothing), loads
the model on demand, dispatches to the pipeline of the model's kind and returns the result
with its load and run times. Registration is cheap and imports nothing heavy; the first
request for a model fetches and verifies its weights, builds the network and opens a runtime
session, once, under a per-model lock. Loaded sessions sit in a small LRU cache so a server
hosting many models keeps only the recently used ones in memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from ganhub import pipeline
from ganhub.errors import GanhubError, WeightsUnavailable
from ganhub.model import Model
from ganhub.pipeline import Loaded, RunResult
from ganhub.registry import Registry
from ganhub.runtime.base import Session, pick_device
from ganhub.spec import Kind, WeightSource
from ganhub.weights.fetch import ResolvedWeights, resolve_weights

RUNTIMES = ("torch", "onnx")
PIPELINES: dict[Kind, Callable[..., RunResult]] = {
    Kind.IMAGE_TO_IMAGE: pipeline.run_image_to_image,
    Kind.INPAINT: pipeline.run_inpaint,
    Kind.GENERATE: pipeline.run_generate,
}
LOAD_LOCK_STRIPES = 16


def _open_session(model: Model, weights: ResolvedWeights | None, runtime: str, device: str) -> Session:
    path = weights.path if weights else None
    custom = model.open_session(path, device)
    if custom is not None:  # the model runs its own pipeline (e.g. two ONNX graphs)
        return custom
    if runtime == "onnx" or (path is not None and model.onnx_file(path) is not None):
        from ganhub.runtime.onnx_session import open_onnx

        return open_onnx(model, path, device)
    from ganhub.runtime.torch_session import open_torch

    return open_torch(model, path, device)


class Engine:
    """Runs registered models; owns the bounded cache of loaded sessions."""

    def __init__(self, registry: Registry, *, device: str | None = None, max_loaded: int = 3):
        self.registry = registry
        self.default_device = device
        self.max_loaded = max_loaded
        self._loaded: OrderedDict[tuple[str, ...], Loaded] = OrderedDict()
        # Striped load locks: a key always maps to the same lock, so one model loads once;
        # a fixed pool keeps memory bounded however many models/weights a process sees
        # (two keys sharing a stripe only wait for each other's load).
        self._load_locks = tuple(threading.Lock() for _ in range(LOAD_LOCK_STRIPES))
        self._guard = threading.Lock()

    def load(
        self,
        model_id: str,
        *,
        runtime: str = "torch",
        device: str | None = None,
        weights: str | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> Loaded:
        """The loaded model, loading it (once, under a lock) when it is not cached."""
        if runtime not in RUNTIMES:
            raise GanhubError(f"unknown runtime '{runtime}'", fix=f"use one of {', '.join(RUNTIMES)}")
        model = self.registry.get(model_id)
        device = pick_device(device or self.default_device)
        key = (model_id, runtime, device, weights or "")
        with self._load_locks[hash(key) % LOAD_LOCK_STRIPES]:
            with self._guard:
                if key in self._loaded:
                    self._loaded.move_to_end(key)
                    return self._loaded[key]
            loaded = self._load(model, runtime, device, weights, on_status)
            with self._guard:
                self._loaded[key] = loaded
                while len(self._loaded) > self.max_loaded:
                    self._loaded.popitem(last=False)
        return loaded

    def _load(
        self,
        model: Model,
        runtime: str,
        device: str,
        weights: str | None,
        on_status: Callable[[str], None] | None,
    ) -> Loaded:
        started = time.perf_counter()
        sources = self.sources(model, weights)
        if on_status:
            on_status(f"fetching weights for {model.spec.id}")
        try:
            resolved = resolve_weights(sources) if sources else None
        except WeightsUnavailable as exc:  # whose weights: the CLI and the app name it in the fix
            exc.context.setdefault("model_id", model.spec.id)
            raise
        if on_status:
            on_status(f"building {model.spec.id} on {device} ({runtime})")
        session = _open_session(model, resolved, runtime, device)
        # ONNX sessions carry the exported network's constraints in the graph's metadata.
        constraints = getattr(session, "constraints", None) or model.constraints_for(
            getattr(session, "network", None)
        )
        return Loaded(model, session, resolved, time.perf_counter() - started, constraints)

    @staticmethod
    def sources(model: Model, weights: str | None) -> tuple[WeightSource, ...]:
        """The weight sources to try: the spec's, or the user's own where the model allows."""
        if weights is None:
            if not model.spec.weights:
                raise GanhubError(f"model '{model.spec.id}' runs weights you supply",
                                  fix="give a weights file or hf://owner/repo/file@<commit>",
                                  action="supply-weights", model_id=model.spec.id)
            return model.spec.weights
        if not model.spec.accepts_user_weights:
            raise GanhubError(f"model '{model.spec.id}' uses its own pinned weights",
                              why="only models that accept user weights take other files",
                              fix="run it without your own weights", action="drop-user-weights",
                              model_id=model.spec.id)
        return (WeightSource(weights, user_supplied=True),)

    def loaded(self) -> list[tuple[str, ...]]:
        """Keys of the sessions in memory, least recently used first."""
        with self._guard:
            return list(self._loaded)

    def run(
        self,
        model_id: str,
        *,
        params: dict[str, Any] | None = None,
        runtime: str = "torch",
        device: str | None = None,
        weights: str | None = None,
        on_status: Callable[[str], None] | None = None,
        **inputs: Any,
    ) -> RunResult:
        """Run ``model_id`` on ``inputs`` (``image=``, ``mask=``, ``seed=``/``count=``,
        ``progress=``): params resolved once, model loaded when needed, pipeline by kind."""
        model = self.registry.get(model_id)
        resolved = model.spec.resolve_params(params)  # bad params fail before any loading
        started = time.perf_counter()
        loaded = self.load(model_id, runtime=runtime, device=device, weights=weights, on_status=on_status)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        result = PIPELINES[model.kind](loaded, params=resolved, **inputs)
        result.seconds, result.load_seconds = time.perf_counter() - started, load_seconds
        result.model_id, result.runtime, result.device = model_id, loaded.session.runtime, loaded.session.device
        return result
