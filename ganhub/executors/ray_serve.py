"""``ganhub serve --ray``: the same Gradio app as a Ray Serve ingress, models as deployments.

The UI is one Serve replica whose ASGI app is built there by ``@serve.ingress(builder)``: the
builder makes the usual Blocks (with a :class:`RayExecutor` behind the Runner) and returns
``gr.mount_gradio_app(FastAPI(), blocks, path="/")``. (Ray's own GradioServer/GradioIngress
is not used: with Gradio 6 its file uploads fail.) One replica, because Gradio's queue and
sessions live in one process; the models scale on their own deployments.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ganhub.errors import GanhubError
from ganhub.executors.config import ServeConfig, load_config
from ganhub.executors.ray_executor import RayExecutor
from ganhub.executors.ray_models import APP_PREFIX, ReplicaSettings, build_registry
from ganhub.ui.app import _loopback, build_app, configure_queue, launch_kwargs
from ganhub.ui.names import ACCELERATOR

log = logging.getLogger(__name__)

INGRESS_APP = "ganhub"
INGRESS_DEPLOYMENT = "ui"


@dataclass(frozen=True)
class AppSettings:
    """What the UI replica needs to build the app (picklable: it travels to the replica)."""

    replica: ReplicaSettings
    config: ServeConfig
    host: str
    port: int
    mcp: bool = False
    allow_local_weights: bool = False
    queue_size: int | None = None
    preload: tuple[str, ...] = ()
    max_file_size: str | None = None  # None: the app's default


def gradio_asgi_app(settings: AppSettings) -> Any:
    """The FastAPI app with the Gradio Blocks mounted at "/" (runs inside the UI replica)."""
    import gradio as gr
    from fastapi import FastAPI

    from ganhub.engine import Engine

    registry = build_registry(settings.replica)
    executor = RayExecutor(settings.config, settings.replica)
    engine = Engine(registry, device=settings.replica.device)  # names and cards only: never runs here
    demo = build_app(registry, engine, allow_local_weights=settings.allow_local_weights, executor=executor)
    configure_queue(demo, settings.queue_size)
    _open_accelerator(demo, settings.config.ingress.max_concurrent_runs)
    _preload(executor, settings.preload)
    parent = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)  # no routes beyond the app's
    return gr.mount_gradio_app(parent, demo, path="/", **_mount_kwargs(settings))


def _open_accelerator(demo: Any, limit: int) -> None:
    """Let ``limit`` runs through at once: the replicas queue and batch them, not the UI."""
    for fn in demo.fns.values():
        if fn.concurrency_id == ACCELERATOR:
            fn.concurrency_limit = limit


def _mount_kwargs(settings: AppSettings) -> dict[str, Any]:
    """The app's hardened launch settings that ``mount_gradio_app`` takes."""
    import gradio as gr

    accepted = inspect.signature(gr.mount_gradio_app).parameters
    wanted = launch_kwargs(settings.host, settings.port, False, settings.mcp)
    if settings.max_file_size:
        wanted["max_file_size"] = settings.max_file_size
    return {key: value for key, value in wanted.items() if key in accepted}


def _preload(executor: RayExecutor, model_ids: Iterable[str]) -> None:
    def work() -> None:
        for model_id in model_ids:
            try:
                executor.prepare(model_id)
            except Exception:  # a failed preload must not stop the app
                log.exception("could not start the deployment of %s", model_id)

    if model_ids:
        threading.Thread(target=work, name="ganhub-preload", daemon=True).start()


def ingress_builder(settings: AppSettings) -> Callable[[], Any]:
    """The no-argument builder ``@serve.ingress`` calls in the replica."""

    def build() -> Any:
        return gradio_asgi_app(settings)

    return build


def ingress_application(settings: AppSettings) -> Any:
    """The bound UI deployment: one replica, many open connections."""
    from ray import serve

    ingress = settings.config.ingress
    deployment = serve.deployment(
        serve.ingress(ingress_builder(settings))(),
        name=INGRESS_DEPLOYMENT,
        num_replicas=1,
        ray_actor_options={"num_cpus": ingress.num_cpus},
        max_ongoing_requests=ingress.max_ongoing_requests,
    )
    return deployment.bind()


def start_ray(address: str | None, config: ServeConfig) -> bool:
    """Join the cluster at ``address``, or start a local Ray instance; True when started here."""
    import ray

    options: dict[str, Any] = dict(include_dashboard=False, logging_level=logging.WARNING)
    if address is None:
        options.update(num_cpus=config.local.num_cpus, num_gpus=config.local.num_gpus)
    try:
        ray.init(address=address, **options)
    except ConnectionError as exc:
        raise GanhubError(f"no Ray cluster at {address}", why=str(exc).split("\n", 1)[0],
                          fix="start one with `ray start --head`, or leave out --address for a local one") from None
    return address is None and not os.environ.get("RAY_ADDRESS")  # RAY_ADDRESS: Ray joins that one


def serve_on_ray(host: str, port: int, *, address: str | None = None, config_path: str | None = None,
                 device: str | None = None, plugins: list[str] | None = None, preload: Iterable[str] = (),
                 mcp: bool = False, queue_size: int | None = None, max_file_size: str | None = None) -> None:
    """Deploy the app on Ray Serve at http://host:port and wait until stopped (Ctrl-C, SIGTERM)."""
    config = load_config(config_path)  # a bad file fails before Ray starts
    replica = ReplicaSettings(tuple(plugins) if plugins else None, device)
    registry = build_registry(replica)
    for model_id in preload:
        registry.get(model_id)  # an unknown id fails now, with the list of known ones
    # Server-side weight paths only for a server on loopback, as in the in-process app.
    settings = AppSettings(replica, config, host, port, mcp, _loopback(host), queue_size, tuple(preload),
                           max_file_size)
    started = start_ray(address, config)
    try:
        _deploy_ingress(settings)
        _wait_for_signal()
    finally:
        _stop(started)


def _deploy_ingress(settings: AppSettings) -> None:
    from ray import serve

    began = time.perf_counter()
    serve.start(http_options={"host": settings.host, "port": settings.port})
    serve.run(ingress_application(settings), name=INGRESS_APP, route_prefix="/")
    log.info("ganhub on Ray Serve at http://%s:%d (ready in %.1f s)", settings.host, settings.port,
             time.perf_counter() - began)


def _wait_for_signal() -> None:
    """Block until Ctrl-C or SIGTERM (a terminated server still shuts Ray down)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _stop(started_here: bool) -> None:
    """Remove ganhub's applications; stop Serve and Ray too when this process started them."""
    import ray
    from ray import serve

    try:
        if started_here:
            serve.shutdown()
        else:
            for name in list(serve.status().applications):
                if name == INGRESS_APP or name.startswith(APP_PREFIX):
                    serve.delete(name)
    finally:
        ray.shutdown()
