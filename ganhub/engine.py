"""The one entry point for a request: ``Engine.run(model_id, …)``.

It resolves the params (once, before anything loads, so a bad value costs nothing), loads
the model on demand, dispatches to the pipeline of the model's kind and returns the result
with its load and run times. Registration is cheap and imports nothing heavy; the first
request for a model fetches and verifies its weights, builds the network and opens a runtime
session, once, under a per-model lock. Loaded sessions sit in a small LRU cache so a server
hosting many models keeps only the recently used ones in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

from ganhub import imaging, pipeline, tile_memory
from ganhub.errors import GanhubError, WeightsUnavailable
from ganhub.model import Model, weight_sources
from ganhub.pipeline import Loaded, RunResult
from ganhub.registry import Registry
from ganhub.runtime.base import Session, pick_device
from ganhub.spec import TILE_PARAM, Kind, WeightSource
from ganhub.weights.fetch import ResolvedWeights, resolve_weights

RUNTIMES = ("auto", "torch", "onnx")  # auto: the fastest accurate path (onnx.fastest on CPUs)
PIPELINES: dict[Kind, Callable[..., RunResult]] = {
    Kind.IMAGE_TO_IMAGE: pipeline.run_image_to_image,
    Kind.INPAINT: pipeline.run_inpaint,
    Kind.GENERATE: pipeline.run_generate,
}
LOAD_LOCK_STRIPES = 16
log = logging.getLogger(__name__)


def _auto_tile(model: Model, loaded: Loaded) -> dict[str, int]:
    """The tile for a run that did not ask for one: the largest whose activations fit in free
    memory, for models whose architecture's memory use is known (``tile_memory``); others keep
    their spec's default."""
    architecture = getattr(model, "arch", None)
    if architecture not in tile_memory.ACTIVATION_BYTES:
        return {}
    choice = tile_memory.auto_tile(architecture, loaded.session.device, loaded.constraints.multiple_of)
    return {} if choice is None else {TILE_PARAM: choice.tile}


def _open_session(model: Model, weights: ResolvedWeights | None, runtime: str, device: str,
                  on_status: Callable[[str], None] | None = None) -> Session:
    path = weights.path if weights else None
    custom = model.open_session(path, device)
    if custom is not None:  # the model runs its own pipeline (e.g. two ONNX graphs)
        return custom
    shipped = path is not None and model.onnx_file(path) is not None
    if not shipped and runtime == "auto" and device == "cpu" and _measures_paths(model, weights):
        return _fastest_on_cpu(model, weights, on_status)
    graph = None if shipped or runtime == "torch" else _graph_for(model, weights, runtime, device, on_status)
    if shipped or graph is not None:
        from ganhub.runtime.onnx_session import open_onnx

        return open_onnx(model, path, device, onnx_path=graph)
    from ganhub.runtime.torch_session import open_torch

    return open_torch(model, path, device)


def _measures_paths(model: Model, weights: ResolvedWeights | None) -> bool:
    """Whether ``auto`` measures its candidates for this model (not when switched off, or when
    the user exported a graph by hand: that one is used as before)."""
    from ganhub.onnx import cache
    from ganhub.runtime.onnx_session import find_onnx_file

    if not cache.auto_export_enabled():
        return False
    try:
        find_onnx_file(model, weights.path if weights else None, "cpu")
    except GanhubError:
        return True
    return False


def _fastest_on_cpu(model: Model, weights: ResolvedWeights | None,
                    on_status: Callable[[str], None] | None) -> Session:
    """The path ``auto`` measured fastest among the accurate ones (onnx fp32, torch bf16, fp32)."""
    from ganhub.onnx import fastest
    from ganhub.runtime.torch_session import open_torch

    path = weights.path if weights else None
    choice, session = fastest.choose(model, weights, lambda: open_torch(model, path, "cpu", "fp32"), on_status)
    return session if session is not None else fastest.open_choice(model, weights, choice)


def _graph_for(model: Model, weights: ResolvedWeights | None, runtime: str, device: str,
               on_status: Callable[[str], None] | None) -> Path | None:
    """The ONNX graph to run for ``onnx`` (exported on first use) or ``auto`` (None: use torch).

    A graph the user exported (``ganhub export``) comes first; else the per-machine cache.
    """
    from ganhub.onnx import cache
    from ganhub.runtime.onnx_session import find_onnx_file

    if runtime == "auto" and not cache.auto_export_enabled():
        return None
    if not model.spec.onnx_exportable:
        if runtime == "onnx":
            raise GanhubError(f"model '{model.spec.id}' has no ONNX form: {model.spec.onnx_note}",
                              fix="run it on the torch runtime", model_id=model.spec.id)
        return None
    try:
        return find_onnx_file(model, weights.path if weights else None, device)
    except GanhubError:
        pass  # not exported by hand: the cache below
    if runtime == "onnx":
        return cache.ensure_graph(model, weights, on_status)
    if cache.refusal(model, weights):
        return None
    try:
        return cache.ensure_graph(model, weights, on_status)
    except GanhubError as exc:
        log.warning("running %s on torch: %s", model.spec.id, exc.summary())
        return None


class Engine:
    """Runs registered models; owns the bounded cache of loaded sessions."""

    def __init__(self, registry: Registry, *, device: str | None = None, runtime: str = "auto",
                 max_loaded: int = 3):
        self.registry = registry
        self.default_device = device
        self.default_runtime = runtime  # for requests that name none
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
        runtime: str | None = None,
        device: str | None = None,
        weights: str | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> Loaded:
        """The loaded model, loading it (once, under a lock) when it is not cached."""
        runtime = runtime or self.default_runtime
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
        session = _open_session(model, resolved, runtime, device, on_status)
        # ONNX sessions carry the exported network's constraints in the graph's metadata.
        constraints = getattr(session, "constraints", None) or model.constraints_for(
            getattr(session, "network", None)
        )
        return Loaded(model, session, resolved, time.perf_counter() - started, constraints)

    @staticmethod
    def sources(model: Model, weights: str | None) -> tuple[WeightSource, ...]:
        """The weight sources to try: the spec's, or the user's own where the model allows."""
        return weight_sources(model, weights)

    def loaded(self) -> list[tuple[str, ...]]:
        """Keys of the sessions in memory, least recently used first."""
        with self._guard:
            return list(self._loaded)

    def run(
        self,
        model_id: str,
        *,
        params: dict[str, Any] | None = None,
        runtime: str | None = None,
        device: str | None = None,
        weights: str | None = None,
        on_status: Callable[[str], None] | None = None,
        quantized: bool = False,
        **inputs: Any,
    ) -> RunResult:
        """Run ``model_id`` on ``inputs`` (``image=``, ``mask=``, ``seed=``/``count=``,
        ``progress=``): params resolved once, model loaded when needed, pipeline by kind.

        Images come back as float32 in [0, 1]; ``quantized=True`` returns them as uint8 or
        uint16 at ``result.bit_depth``, what a file holds, which is how the CLI and the app run:
        a large tiled result is then blended straight into 8 or 16 bits (a quarter or half of
        float32's memory)."""
        model = self.registry.get(model_id)
        resolved = model.spec.resolve_params(params)  # bad params fail before any loading
        started = time.perf_counter()
        loaded = self.load(model_id, runtime=runtime, device=device, weights=weights, on_status=on_status)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if quantized and model.kind == Kind.IMAGE_TO_IMAGE:
            inputs["quantized"] = True
        if model.spec.tileable and TILE_PARAM not in (params or {}):
            resolved = {**resolved, **_auto_tile(model, loaded)}
        result = PIPELINES[model.kind](loaded, params=resolved, **inputs)
        if quantized:  # kinds whose pipeline has no integer path: their images are small
            result.images = [imaging.quantize(image, result.bit_depth, "the result") for image in result.images]
        result.seconds, result.load_seconds = time.perf_counter() - started, load_seconds
        result.model_id, result.runtime, result.device = model_id, loaded.session.runtime, loaded.session.device
        return result
