"""Running models for the app: one shared Engine, progress, readable errors, last-run info.

Every tab, the Compare tab and the Models tab's download buttons go through a
:class:`Runner`; the tab builders sit above this module and never reach the engine directly.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganhub.errors import GanhubError
from ganhub.executors import Executor, InProcessExecutor
from ganhub.registry import Registry
from ganhub.ui.errors import user_errors
from ganhub.ui.names import widget_labels

if TYPE_CHECKING:
    from ganhub.engine import Engine
    from ganhub.pipeline import RunResult
    from ganhub.weights.fetch import ResolvedWeights

log = logging.getLogger(__name__)

LOAD_NOTE_SECONDS = 0.5


@dataclass
class LastRun:
    """What the model card shows about a model's most recent run."""

    seconds: float
    device: str
    runtime: str
    notes: list[str] = field(default_factory=list)


def _gpu_decorator() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``spaces.GPU`` on Hugging Face ZeroGPU Spaces (the package exists there), else no-op."""
    if importlib.util.find_spec("spaces") is None:
        return lambda fn: fn
    import spaces  # type: ignore[import-not-found]

    return spaces.GPU


class Runner:
    """Runs models for the app: the shared Engine, progress, error messages, last-run info.

    Runs go through ``executor`` (default: the Engine in this process; ``ganhub serve --ray``
    passes a :class:`~ganhub.executors.ray_executor.RayExecutor`).
    """

    def __init__(self, engine: "Engine", *, allow_local_weights: bool = True, executor: Executor | None = None):
        self.engine = engine
        self.executor: Executor = executor or InProcessExecutor(engine)
        self.registry: Registry = engine.registry
        self.allow_local_weights = allow_local_weights
        self.last_runs: dict[str, LastRun] = {}
        self._execute = _gpu_decorator()(self._execute_on_device)

    def run(self, model_id: str, request: dict[str, Any], progress: Any = None) -> "RunResult":
        """Run ``model_id`` on a pipeline ``request``; failures raise ``gr.Error``."""
        from ganhub.runtime.cpu import release_free_memory

        try:
            with user_errors(model_id, self.labels(model_id)):
                request = dict(request, weights=self.checked_weights(request.get("weights")))
                result = self._execute(model_id, request, progress)
            if request["weights"]:  # say which file ran: the box may hold another run's name by now
                result.notes.append(f"weights: {request['weights'].rsplit('/', 1)[-1]}")
        finally:
            release_free_memory()  # a long-lived server: give back what this request freed
        self.last_runs[model_id] = LastRun(result.seconds, result.device, result.runtime, list(result.notes))
        return result

    def labels(self, model_id: str) -> dict[str, str]:
        """The labels of ``model_id``'s boxes by input name (empty for an unknown id)."""
        try:
            return widget_labels(self.registry.get(model_id).spec)
        except GanhubError:
            return {}

    def _execute_on_device(self, model_id: str, request: dict[str, Any], progress: Any) -> "RunResult":
        def on_status(text: str) -> None:
            if progress is not None:
                progress(0.0, desc=text)

        def on_tile(done: int, total: int) -> None:
            if progress is not None:
                progress((done, total), desc="running tiles", unit="tiles")

        result = self.executor.run(model_id, request, on_status=on_status, on_tile=on_tile)
        if result.load_seconds > LOAD_NOTE_SECONDS:  # the first run also paid for fetching and building
            result.notes.append(f"model loaded in {result.load_seconds:.1f} s (first use)")
        return result

    def checked_weights(self, weights: str | None) -> str | None:
        if weights is None or not str(weights).strip():
            return None
        weights = str(weights).strip()
        if weights.startswith(("hf://", "pkg://")) or self.allow_local_weights:
            return weights
        raise GanhubError(
            "this server accepts only hf://owner/repo/file@commit weights; server-side "
            "paths are disabled when the app is served beyond localhost"
        )

    def download(self, model_id: str, progress: Any = None) -> "ResolvedWeights":
        """Fetch and verify a model's weights without building it (the Download buttons)."""
        from ganhub.weights.fetch import resolve_weights

        with user_errors(model_id):
            spec = self.registry.get(model_id).spec
            if not spec.weights:
                raise GanhubError(f"'{model_id}' uses weights you supply: there is nothing to download")
            if progress is not None:
                progress(0.0, desc=f"fetching weights for {model_id}")
            return resolve_weights(spec.weights)


def preload_models(engine: "Engine", model_ids: Iterable[str]) -> threading.Thread:
    """Load models in a background thread, so the server answers while they load.

    A request for a model still loading waits on the engine's per-model lock, then reuses it.
    """
    model_ids = list(model_ids)

    def work() -> None:
        for model_id in model_ids:
            try:
                engine.load(model_id)
                log.info("preloaded %s", model_id)
            except Exception:  # a failed preload must not stop the app
                log.exception("could not preload %s", model_id)

    thread = threading.Thread(target=work, name="ganhub-preload", daemon=True)
    thread.start()
    return thread
