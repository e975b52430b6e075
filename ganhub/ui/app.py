"""The app builder: a tab per task and model from the registry, a Compare and a Models tab.

One :class:`~ganhub.engine.Engine` serves every tab and API call, so a model loads once,
on its first request. Every model run joins one concurrency group ("accelerator", one at a
time), so the CPU or GPU is never oversubscribed however many users click at once. Errors a
user can act on (``GanhubError``) reach them as ``gr.Error`` with the ganhub message; any
other exception is logged with its traceback on the server and shown as one plain line.

API names: each model is an endpoint named after its id with every character outside
``[A-Za-z0-9_]`` turned into ``_`` (see :func:`api_name_for`), e.g. ``test-good-blur`` →
``/test_good_blur``, so names are identifiers for MCP tools and JS clients alike.
"""

from __future__ import annotations

import html
import importlib.util
import ipaddress
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganhub.errors import GanhubError, WeightsError
from ganhub.registry import Registry
from ganhub.spec import Task

if TYPE_CHECKING:
    import gradio as gr

    from ganhub.engine import Engine
    from ganhub.pipeline import RunResult
    from ganhub.weights.fetch import ResolvedWeights

log = logging.getLogger(__name__)

TASK_TITLES = {
    Task.FACE_GENERATION: "Face generation",
    Task.PHOTO_TO_PAINTING: "Photo → painting",
    Task.WATERMARK_REMOVAL: "Watermark removal",
    Task.SUPER_RESOLUTION: "Super-resolution",
    Task.OTHER: "Other",
}
ACCELERATOR = "accelerator"  # the one concurrency group every model run joins
DOWNLOADS = "downloads"  # weight downloads: one at a time, beside model runs
DEFAULT_QUEUE_SIZE = 16
MAX_FILE_SIZE = "50mb"
LOAD_NOTE_SECONDS = 0.5


def api_name_for(model_id: str) -> str:
    """The API endpoint name of a model: its id with non-identifier characters as ``_``."""
    return re.sub(r"[^0-9A-Za-z_]", "_", model_id)


# -- errors --------------------------------------------------------------------------------
def _plain(message: str) -> str:
    # gr.Error renders its message as HTML: escape what could be markup, keep quotes readable.
    return html.escape(message, quote=False)


def _weights_message(what: str, exc: WeightsError) -> str:
    text = str(exc)
    if "cannot be reached" in text or "HF_HUB_OFFLINE" in text:
        return (
            f"Weights for '{what}' are unavailable offline: they must be downloaded from the "
            f"Hugging Face Hub, which this server cannot reach. Details: {text}"
        )
    return f"Weights for '{what}' are unavailable: {text}"


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Turn anything raised inside into a ``gr.Error`` a user can read (never a traceback)."""
    import gradio as gr

    try:
        yield
    except gr.Error:
        raise
    except WeightsError as exc:
        raise gr.Error(_plain(_weights_message(what, exc)), print_exception=False) from None
    except GanhubError as exc:
        raise gr.Error(_plain(str(exc)), print_exception=False) from None
    except MemoryError:
        raise gr.Error(f"'{what}' ran out of memory: try a smaller image or tile size") from None
    except ModuleNotFoundError as exc:
        log.exception("missing module while running %s", what)
        raise gr.Error(_plain(f"'{what}' needs the package '{exc.name}', which is not installed")) from None
    except Exception as exc:  # the user sees one line; the log keeps the traceback
        log.exception("unexpected error while running %s", what)
        hint = " (out of memory: try a smaller tile size)" if "out of memory" in str(exc) else ""
        raise gr.Error(
            f"'{_plain(what)}' failed unexpectedly ({type(exc).__name__}){hint}; "
            "the server log has the details"
        ) from None


# -- running models ------------------------------------------------------------------------
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
    """Runs models for the app: the shared Engine, progress, error messages, last-run info."""

    def __init__(self, engine: "Engine", *, allow_local_weights: bool = True):
        self.engine = engine
        self.registry: Registry = engine.registry
        self.allow_local_weights = allow_local_weights
        self.last_runs: dict[str, LastRun] = {}
        self._execute = _gpu_decorator()(self._execute_on_device)

    def run(self, model_id: str, request: dict[str, Any], progress: Any = None) -> "RunResult":
        """Run ``model_id`` on a pipeline ``request``; failures raise ``gr.Error``."""
        with user_errors(model_id):
            spec = self.registry.get(model_id).spec
            request = dict(request)
            # Bad params fail here, before any weights are fetched or torch is imported.
            request["params"] = spec.resolve_params(request.get("params"))
            request["weights"] = self._checked_weights(request.get("weights"))
            if request["weights"] is None and not spec.weights:
                raise GanhubError(
                    f"'{model_id}' runs your own weights: enter a weights file or "
                    "hf://owner/repo/file@<commit> in the Weights box"
                )
            result = self._execute(model_id, request, progress)
        self.last_runs[model_id] = LastRun(result.seconds, result.device, result.runtime, list(result.notes))
        return result

    def _execute_on_device(self, model_id: str, request: dict[str, Any], progress: Any) -> "RunResult":
        def on_status(text: str) -> None:
            if progress is not None:
                progress(0.0, desc=text)

        def on_tile(done: int, total: int) -> None:
            if progress is not None:
                progress((done, total), desc="running tiles", unit="tiles")

        started = time.perf_counter()
        self.engine.load(
            model_id,
            runtime=request.get("runtime") or "torch",
            device=request.get("device"),
            weights=request.get("weights"),
            on_status=on_status,
        )
        loading = time.perf_counter() - started
        result = self.engine.run(model_id, progress=on_tile, **request)
        if loading > LOAD_NOTE_SECONDS:  # the first run also paid for fetching and building
            result.notes.append(f"model loaded in {loading:.1f} s (first use)")
        return result

    def _checked_weights(self, weights: str | None) -> str | None:
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
        """Fetch and verify a model's weights without building it (the Models tab button)."""
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


# -- the app -------------------------------------------------------------------------------
def _header(registry: Registry) -> str:
    models = registry.models()
    broken = registry.broken()
    text = (
        "# ganhub\nGAN image models from plugins: pick a task, then a model. "
        f"{len(models)} model{'s' * (len(models) != 1)} from "
        f"{sum(r.status == 'ok' for r in registry.plugins.values())} plugin(s)."
    )
    if broken:
        text += f" ⚠️ {len(broken)} plugin(s) failed to load: see the **Models** tab."
    return text


def _guarded_tab(registry: Registry, model_id: str, build: Callable[[], None]) -> None:
    """Build one model's tab; a failure is recorded on its plugin instead of stopping the app."""
    import traceback

    import gradio as gr

    try:
        build()
    except Exception as exc:
        if registry.strict:
            raise
        record = registry.plugins.get(registry.plugin_of(model_id))
        if record is not None:
            record.status = "broken"
            record.error = f"tab for '{model_id}': {type(exc).__name__}: {exc}"
            record.traceback = traceback.format_exc()
        log.exception("could not build the tab of %s", model_id)
        gr.Markdown(f"⚠️ The tab of `{model_id}` could not be built: {_plain(str(exc))}")


def build_app(registry: Registry, engine: "Engine", *, allow_local_weights: bool = True) -> "gr.Blocks":
    """The Gradio app for every model in ``registry``; nothing is loaded until first use."""
    import gradio as gr

    from ganhub.ui import compare, status, tabs

    runner = Runner(engine, allow_local_weights=allow_local_weights)
    by_task: dict[Task, list[Any]] = {}
    for model in registry.models():  # already ordered by task, then id
        by_task.setdefault(model.spec.task, []).append(model)
    with gr.Blocks(title="ganhub", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        gr.Markdown(_header(registry))
        with gr.Tabs():
            for task, models in by_task.items():
                with gr.Tab(TASK_TITLES[task], id=f"task-{task.value}"):
                    with gr.Tabs():
                        for model in models:
                            with gr.Tab(model.spec.title, id=f"model-{model.spec.id}"):
                                _guarded_tab(
                                    registry, model.spec.id,
                                    lambda m=model: tabs.build_model_tab(m, runner, api_name_for(m.spec.id)),
                                )
            if not by_task:
                with gr.Tab("No models"):
                    gr.Markdown("No models are installed: `pip install` a ganhub plugin, then restart.")
            with gr.Tab("Compare", id="compare"):
                compare.build_compare_tab(runner)
            with gr.Tab("Models", id="models"):
                status.build_status_tab(runner)
    return demo


def configure_queue(demo: "gr.Blocks", queue_size: int | None = None) -> "gr.Blocks":
    """A bounded queue that every call must join (no direct REST route around it)."""
    size = queue_size if queue_size is not None else int(
        os.environ.get("GANHUB_QUEUE_SIZE", DEFAULT_QUEUE_SIZE)
    )
    return demo.queue(max_size=size, default_concurrency_limit=1, api_open=False)


def launch_kwargs(host: str, port: int, share: bool, mcp: bool) -> dict[str, Any]:
    """The hardened ``Blocks.launch`` settings (no extra file roots, no monitoring page)."""
    return dict(
        server_name=host,
        server_port=port,
        share=share,
        show_error=False,  # only gr.Error messages reach users, never exception text
        max_file_size=MAX_FILE_SIZE,
        enable_monitoring=False,  # Gradio's /monitoring dashboard and /monitoring/summary
        allowed_paths=None,
        ssr_mode=False,  # no Node server beside Python
        run_history=False,  # users' images are not kept in the browser or a bucket
        footer_links=["api", "gradio", "settings"],
        strict_cors=True,
        mcp_server=mcp,
    )


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    mcp: bool = False,
    device: str | None = None,
    preload: Iterable[str] = (),
    plugins: Iterable[str] | None = None,
    queue_size: int | None = None,
) -> None:
    """Discover plugins, build the app and serve it (blocks until the server stops)."""
    from ganhub.engine import Engine

    if mcp and importlib.util.find_spec("mcp") is None:
        raise GanhubError("--mcp needs Gradio's MCP support: pip install 'gradio[mcp]'")
    if os.environ.pop("GRADIO_ALLOWED_PATHS", None):
        log.warning("ignoring GRADIO_ALLOWED_PATHS: ganhub serves no files beyond Gradio's own")
    allow = {name.strip() for name in plugins if name.strip()} if plugins is not None else None
    registry = Registry.discover(allow=allow) if allow else Registry.discover()
    engine = Engine(registry, device=device)
    preload_ids = [model_id for model_id in preload if model_id]
    for model_id in preload_ids:
        registry.get(model_id)  # an unknown id fails now, with the list of known ones
    demo = build_app(registry, engine, allow_local_weights=_loopback(host) and not share)
    configure_queue(demo, queue_size)
    if preload_ids:
        preload_models(engine, preload_ids)
    demo.launch(**launch_kwargs(host, port, share, mcp))
