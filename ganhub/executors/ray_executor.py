"""Run models on Ray Serve: one deployment per model, started on its first request.

Used inside the UI replica (and anywhere connected to the cluster). A request goes to the
model's deployment handle; a replica that dies mid-request is retried once on another (Ray
starts a replacement); no answer within the config's ``request_timeout_s`` is an error that
says so, so the UI never hangs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ganhub.errors import GanhubError
from ganhub.executors import DeploymentStats, StatusCallback, TileCallback
from ganhub.executors.config import ServeConfig
from ganhub.executors.ray_models import DEPLOYMENT, ReplicaSettings, app_name_for, model_application

if TYPE_CHECKING:
    from ganhub.pipeline import RunResult

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
ATTEMPTS = 2  # a request whose replica died is sent once more


class RayExecutor:
    """Model requests through Ray Serve deployment handles."""

    name = "ray"

    def __init__(self, config: ServeConfig, settings: ReplicaSettings):
        self.config = config
        self.settings = settings
        self._handles: dict[str, Any] = {}
        self._lock = threading.Lock()  # guards _model_locks only, never held while deploying
        self._model_locks: dict[str, threading.Lock] = {}

    def run(self, model_id: str, request: dict[str, Any], *, on_status: StatusCallback | None = None,
            on_tile: TileCallback | None = None) -> "RunResult":
        """Run ``model_id`` on its deployment (started first if need be)."""
        handle = self._handle(model_id, on_status)
        if on_status:
            on_status(f"running {model_id} on Ray Serve")
        timeout = self.config.for_model(model_id).request_timeout_s
        deadline = time.monotonic() + timeout  # one budget for all attempts: the UI never waits longer
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = _call(handle, request, max(deadline - time.monotonic(), 0.0), timeout, model_id)
                if attempt > 1:  # say so: the run took longer than it should have
                    result.notes.append("retried: the first Ray Serve replica stopped during the request")
                return result
            except _ReplicaLost as lost:
                log.warning("replica of %s lost (attempt %d of %d): %s", model_id, attempt, ATTEMPTS,
                            _first_line(str(lost.cause)))
            except _DeploymentGone:
                self._forget(model_id)  # deleted or redeployed elsewhere: the next request deploys anew
                raise GanhubError(f"the Ray Serve deployment of '{model_id}' is gone",
                                  fix="try again: the next request starts it anew", model_id=model_id) from None
        raise GanhubError(f"the Ray Serve replica running '{model_id}' stopped during the request, "
                          f"{ATTEMPTS} times", fix="try again in a moment: Ray starts new replicas",
                          model_id=model_id)

    def _forget(self, model_id: str) -> None:
        with self._lock:
            self._handles.pop(model_id, None)

    def prepare(self, model_id: str) -> None:
        """Start ``model_id``'s deployment now (``--preload``)."""
        self._handle(model_id, None)

    def stats(self) -> list[DeploymentStats]:
        """Replicas from ``serve.status()``, requests/queue/latency from Ray's metrics."""
        from ganhub.executors.ray_stats import deployment_stats

        return deployment_stats()

    def _handle(self, model_id: str, on_status: StatusCallback | None) -> Any:
        """The cached handle; one deploy per model, while other models' requests go on."""
        with self._lock:
            model_lock = self._model_locks.setdefault(model_id, threading.Lock())
        with model_lock:
            if model_id not in self._handles:
                self._handles[model_id] = self._deploy(model_id, on_status)
            return self._handles[model_id]

    def _deploy(self, model_id: str, on_status: StatusCallback | None) -> Any:
        """The handle of ``model_id``'s deployment, deploying it when the cluster has none."""
        import ray
        from ray import serve

        app_name = app_name_for(model_id)
        if _app_status(app_name) != "RUNNING":
            if on_status:
                on_status(f"starting a Ray Serve deployment for {model_id}")
            config = self.config.for_model(model_id)
            gpus = float(ray.cluster_resources().get("GPU", 0))
            target = serve.RunTarget(model_application(model_id, config, self.settings, gpus),
                                     name=app_name, route_prefix=None)
            serve.run_many([target], wait_for_applications_running=False)
            _wait_running(app_name, model_id, config.deploy_timeout_s)
        return serve.get_deployment_handle(DEPLOYMENT, app_name=app_name)


class _ReplicaLost(Exception):
    """The replica died or became unreachable mid-request: worth one more try elsewhere."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class _DeploymentGone(Exception):
    """The application was deleted under a cached handle."""


def _call(handle: Any, request: dict[str, Any], budget: float, timeout: float, model_id: str) -> "RunResult":
    """One request through ``handle`` within ``budget`` seconds: the model's own error, or a clear one for Ray's."""
    from ray import exceptions as ray_errors
    from ray.serve import exceptions as serve_errors

    response = handle.remote(request)
    try:
        return response.result(timeout_s=budget)
    except ray_errors.RayTaskError as exc:  # the replica raised: hand its own exception on
        cause = getattr(exc, "cause", None)
        raise (cause if isinstance(cause, Exception) else exc) from None
    except (ray_errors.RayActorError, serve_errors.ReplicaUnavailableError) as exc:
        raise _ReplicaLost(exc) from None
    except serve_errors.DeploymentUnavailableError:
        raise _DeploymentGone() from None
    except TimeoutError:  # also Ray's GetTimeoutError
        response.cancel()  # frees the replica's slot if the request is still queued or running
        raise GanhubError(f"'{model_id}' gave no answer within {timeout:.0f} s on Ray Serve",
                          fix="try again later, or raise request_timeout_s / max_replicas in the Ray Serve config",
                          model_id=model_id) from None
    except serve_errors.BackPressureError:
        raise GanhubError(f"'{model_id}' is busy: every replica has a full queue",
                          fix="try again in a moment, or raise max_replicas in the Ray Serve config",
                          model_id=model_id) from None


def _app_status(app_name: str) -> str | None:
    from ray import serve

    app = serve.status().applications.get(app_name)
    return None if app is None else str(getattr(app.status, "value", app.status))


def _wait_running(app_name: str, model_id: str, timeout: float) -> None:
    """Wait until the application runs; a failed or stuck deployment is a GanhubError."""
    from ray import serve

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app = serve.status().applications.get(app_name)
        status = None if app is None else str(getattr(app.status, "value", app.status))
        if status == "RUNNING":
            return
        if status == "DEPLOY_FAILED":
            raise GanhubError(f"the Ray Serve deployment of '{model_id}' failed to start",
                              why=_first_line(app.message), fix="see the Ray logs of the replica",
                              model_id=model_id)
        time.sleep(POLL_SECONDS)
    app = serve.status().applications.get(app_name)
    raise GanhubError(f"the Ray Serve deployment of '{model_id}' did not start within {timeout:.0f} s",
                      why=_first_line(_messages(app)),
                      fix="free resources (lower num_cpus / num_gpus in the Ray Serve config) or add a node",
                      model_id=model_id)


def _messages(app: Any) -> str:
    if app is None:
        return ""
    return " ".join(d.message for d in app.deployments.values() if d.message) or app.message


def _first_line(text: str) -> str:
    return (text or "").strip().split("\n", 1)[0][:300]
