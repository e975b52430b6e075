"""The app builder: a tab per task and model from the registry, a Compare and a Models tab.

One :class:`~ganhub.engine.Engine` serves every tab and API call, so a model loads once,
on its first request. Every model run joins one concurrency group ("accelerator", one at a
time), so the CPU or GPU is never oversubscribed however many users click at once. Errors a
user can act on (``GanhubError``) reach them as ``gr.Error`` with the ganhub message; any
other exception is logged with its traceback on the server and shown as one plain line.

API names: each model is an endpoint named after its id with every character outside
``[A-Za-z0-9_]`` turned into ``_`` (see :func:`ganhub.ui.names.api_name_for`), e.g. ``test-good-blur`` →
``/test_good_blur``, so names are identifiers for MCP tools and JS clients alike.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ganhub.errors import GanhubError
from ganhub.registry import Registry
from ganhub.ui.errors import plain
from ganhub.ui.names import api_name_for, task_title
from ganhub.ui.runner import Runner, preload_models

if TYPE_CHECKING:
    import gradio as gr

    from ganhub.engine import Engine
    from ganhub.executors import Executor

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 16
MAX_FILE_SIZE = "50mb"
# Gradio keeps a SessionState per session_hash (every block's config: ~1.4 MB with all plugins)
# and forgets one only past this many sessions (its default: 10000). An API client that takes a
# new session per call (a new gradio_client.Client, a raw /queue/join) left one behind per call.
# ganhub keeps no gr.State; an evicted session only loses its own widget updates (a tab's "needs
# download" mark; the Compare tab's choices after a task change, so a Compare click is refused
# until the page is reloaded), and only after this many other sessions have called since.
STATE_SESSIONS = 64


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


def _guarded_tab(registry: Registry, model_id: str, build: Callable[[], Any]) -> Any:
    """Build one model's tab; a failure is recorded on its plugin instead of stopping the app."""
    import traceback

    import gradio as gr

    try:
        return build()
    except Exception as exc:
        if registry.strict:
            raise
        record = registry.plugins.get(registry.plugin_of(model_id))
        if record is not None:
            record.status = "broken"
            record.error = f"tab for '{model_id}': {type(exc).__name__}: {exc}"
            record.traceback = traceback.format_exc()
        log.exception("could not build the tab of %s", model_id)
        gr.Markdown(f"⚠️ The tab of `{model_id}` could not be built: {plain(str(exc))}")
        return None


def _model_tabs(registry: Registry, runner: Runner, models: list[Any]) -> None:
    """One tab per model of a task: those that can run now first, the others marked."""
    import gradio as gr

    from ganhub.ui import status, tabs

    for model in status.ready_first(models):
        spec = model.spec
        api_name = api_name_for(spec.id)
        label = status.tab_label(spec, status.readiness(spec))
        with gr.Tab(label, id=f"model-{spec.id}", elem_id=f"tab-model-{api_name}") as tab:
            downloaded = _guarded_tab(registry, spec.id,
                                      lambda m=model, a=api_name: tabs.build_model_tab(m, runner, a))
        if downloaded is not None:  # the mark goes once the weights are here
            downloaded.success(lambda title=spec.title: gr.Tab(label=title), None, tab,
                               api_visibility="private", concurrency_limit=None, show_progress="hidden")


def build_app(registry: Registry, engine: "Engine", *, allow_local_weights: bool = True,
              executor: "Executor | None" = None) -> "gr.Blocks":
    """The Gradio app for every model in ``registry``; nothing is loaded until first use.

    Within a task, models whose weights are here come first; the others are marked ("· needs
    download") and carry a Download button, so a first click works offline.
    """
    import gradio as gr

    from ganhub.ui import compare, status
    from ganhub.ui.guard import GuardedBlocks  # API inputs checked, never a bare "Error"

    runner = Runner(engine, allow_local_weights=allow_local_weights, executor=executor)
    by_task: dict[str, list[Any]] = {}
    for model in registry.models():  # already ordered by task, then id
        by_task.setdefault(model.spec.task, []).append(model)
    with GuardedBlocks(title="ganhub", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        gr.Markdown(_header(registry))
        with gr.Tabs():
            for task, models in by_task.items():
                with gr.Tab(task_title(task), id=f"task-{task}", elem_id=f"tab-task-{api_name_for(task)}"):
                    with gr.Tabs():
                        _model_tabs(registry, runner, models)
            if not by_task:
                with gr.Tab("No models"):
                    gr.Markdown("No models are installed: `pip install` a ganhub plugin, then restart.")
            with gr.Tab("Compare", id="compare"):
                compare.build_compare_tab(runner)
            with gr.Tab("Models", id="models"):
                status.build_status_tab(runner)
                if executor is not None:  # e.g. Ray Serve: replicas, queue, latency per model
                    _deployments_section(executor)
    demo.state_session_capacity = STATE_SESSIONS  # what mount_gradio_app uses; launch() sets it again
    return demo


def _deployments_section(executor: "Executor") -> None:
    """A table of the executor's per-model figures, with a Refresh button."""
    import gradio as gr

    from ganhub.executors import stats_table

    gr.Markdown(f"## Deployments ({executor.name})")
    table = gr.Markdown(stats_table([]), elem_id="ganhub-deployments-table")
    refresh = gr.Button("Refresh deployments", size="sm")
    refresh.click(lambda: stats_table(executor.stats()), None, table, api_visibility="private",
                  concurrency_limit=None)


def configure_queue(demo: "gr.Blocks", queue_size: int | None = None) -> "gr.Blocks":
    """A bounded queue that every call must join (no direct REST route around it)."""
    size = queue_size if queue_size is not None else int(
        os.environ.get("GANHUB_QUEUE_SIZE", DEFAULT_QUEUE_SIZE)
    )
    return demo.queue(max_size=size, default_concurrency_limit=1, api_open=False)


def launch_kwargs(host: str, port: int, share: bool, mcp: bool, max_file_size: str = MAX_FILE_SIZE) -> dict[str, Any]:
    """The hardened ``Blocks.launch`` settings (no extra file roots, no monitoring page).

    Uploads over ``max_file_size`` ("50mb") are refused while they stream in, before they are stored;
    at most ``STATE_SESSIONS`` sessions' state stays in memory, however many clients call.
    """
    return dict(
        server_name=host,
        server_port=port,
        share=share,
        show_error=False,  # only gr.Error messages reach users, never exception text
        max_file_size=max_file_size,
        enable_monitoring=False,  # Gradio's /monitoring dashboard and /monitoring/summary
        allowed_paths=None,
        ssr_mode=False,  # no Node server beside Python
        run_history=False,  # users' images are not kept in the browser or a bucket
        footer_links=["api", "gradio", "settings"],
        strict_cors=True,
        mcp_server=mcp,
        state_session_capacity=STATE_SESSIONS,  # sessions' state kept in memory (see STATE_SESSIONS)
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
    max_file_size: str = MAX_FILE_SIZE,
) -> None:
    """Discover plugins, build the app and serve it (blocks until the server stops)."""
    from ganhub.engine import Engine

    if mcp and importlib.util.find_spec("mcp") is None:
        raise GanhubError("--mcp needs Gradio's MCP support: pip install 'gradio[mcp]'")
    if os.environ.pop("GRADIO_ALLOWED_PATHS", None):
        log.warning("ignoring GRADIO_ALLOWED_PATHS: ganhub serves no files beyond Gradio's own")
    allow = {name.strip() for name in plugins if name.strip()} if plugins is not None else None
    registry = Registry.discover(allow=allow) if allow else Registry.discover()
    from ganhub.runtime.cpu import cap_arenas

    cap_arenas()  # before the worker threads start: each would otherwise keep its own arena
    engine = Engine(registry, device=device)
    preload_ids = [model_id for model_id in preload if model_id]
    for model_id in preload_ids:
        registry.get(model_id)  # an unknown id fails now, with the list of known ones
    demo = build_app(registry, engine, allow_local_weights=_loopback(host) and not share)
    configure_queue(demo, queue_size)
    if preload_ids:
        preload_models(engine, preload_ids)
    demo.launch(**launch_kwargs(host, port, share, mcp, max_file_size))
