"""A model as a Ray Serve deployment: each replica runs ganhub's own Engine.

The replica resolves the model's weights through the engine (the same verified path as the
CLI and the app: pinned commit + sha256, the node's Hub cache), so every node fetches a
model's weights once into its own cache; nothing here fetches or loads files itself.
Concurrent requests run in their own threads; their network calls meet in ``run_batch``
(``@serve.batch``), which merges them where that leaves every output bit-identical
(:mod:`ganhub.executors.batching`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from ray import serve

from ganhub.engine import Engine
from ganhub.executors.batching import BatchedSession, run_calls
from ganhub.executors.config import DeploymentConfig
from ganhub.registry import Registry

if TYPE_CHECKING:
    from ganhub.pipeline import Loaded, RunResult

log = logging.getLogger(__name__)

DEPLOYMENT = "model"
APP_PREFIX = "ganhub-model-"


@dataclass(frozen=True)
class ReplicaSettings:
    """What every replica needs to build the same registry and engine as the app."""

    plugins: tuple[str, ...] | None = None
    device: str | None = None


def app_name_for(model_id: str) -> str:
    """The Serve application that holds ``model_id``'s deployment."""
    return APP_PREFIX + model_id


def build_registry(settings: ReplicaSettings) -> Registry:
    """The installed plugins (the allowlist applied), as the app discovers them."""
    return Registry.discover(allow=set(settings.plugins)) if settings.plugins else Registry.discover()


class BatchingEngine(Engine):
    """An Engine whose sessions send one-array network calls to the replica's batcher."""

    def __init__(self, registry: Registry, *, device: str | None, submit: Any):
        super().__init__(registry, device=device)
        self._submit = submit

    def load(self, model_id: str, **kwargs: Any) -> "Loaded":
        """The cached loaded model, its session wrapped for batching."""
        loaded = super().load(model_id, **kwargs)
        return replace(loaded, session=BatchedSession(loaded.session, self._submit))


class ModelReplica:
    """One replica of one model: an engine, a request thread pool and a network thread."""

    def __init__(self, model_id: str, settings: ReplicaSettings, config: DeploymentConfig):
        self.model_id = model_id
        self.batching = config.max_batch_size > 1
        self.engine = BatchingEngine(build_registry(settings), device=settings.device, submit=self._submit)
        self._requests = ThreadPoolExecutor(config.max_ongoing_requests, thread_name_prefix="ganhub-request")
        self._network = ThreadPoolExecutor(1, thread_name_prefix="ganhub-network")
        self._verdicts: dict[tuple[Any, ...], bool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._active = 0  # requests in this replica now (changed on the event loop only)
        self.run_batch.set_max_batch_size(config.max_batch_size)
        self.run_batch.set_batch_wait_timeout_s(config.batch_wait_timeout_s)
        self._preload()

    def _preload(self) -> None:
        """Load now, so the replica is warm when Serve marks it running; errors wait for a request."""
        try:
            self.engine.load(self.model_id)
        except Exception as exc:  # the first request raises it again, as the user's error
            log.warning("could not preload %s: %s", self.model_id, exc)

    async def __call__(self, request: dict[str, Any]) -> "RunResult":
        """Run one request (the keyword inputs of ``Engine.run``) in its own thread."""
        self._loop = asyncio.get_running_loop()
        self._active += 1
        try:
            return await self._loop.run_in_executor(self._requests, functools.partial(self._run, request))
        finally:
            self._active -= 1

    def _run(self, request: dict[str, Any]) -> "RunResult":
        result = self.engine.run(self.model_id, **request)
        replica = serve.get_replica_context().replica_id.unique_id
        result.notes.append(f"served by Ray Serve replica {replica}")
        return result

    def _submit(self, session: Any, array: np.ndarray) -> np.ndarray:
        """Called from a request thread: the output of ``session`` on ``array``, via the batcher.

        A request alone in the replica skips the batcher: there is nothing to merge with, and
        each of its tiles would otherwise wait ``batch_wait_timeout_s`` for company.
        """
        if not self.batching or self._loop is None or self._active < 2:
            return session.run(array)
        output = asyncio.run_coroutine_threadsafe(self.run_batch(session, array), self._loop).result()
        if isinstance(output, Exception):
            raise output
        return output

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def run_batch(self, sessions: list[Any], arrays: list[np.ndarray]) -> list[Any]:
        """One batch of network calls (sizes from the config), run on the network thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._network, run_calls, sessions, arrays, self._verdicts)


def model_application(model_id: str, config: DeploymentConfig, settings: ReplicaSettings,
                      cluster_gpus: float) -> Any:
    """The bound Serve application of one model, autoscaled as ``config`` says."""
    deployment = serve.deployment(
        ModelReplica,
        name=DEPLOYMENT,
        num_replicas="auto",
        autoscaling_config=config.autoscaling_config(),
        ray_actor_options=config.ray_actor_options(cluster_gpus),
        max_ongoing_requests=config.max_ongoing_requests,
    )
    return deployment.bind(model_id, settings, config)
