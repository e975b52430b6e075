"""Where model requests run: one small interface, two implementations.

- :class:`InProcessExecutor` — the :class:`~ganhub.engine.Engine` in this process (the default);
- :class:`ganhub.executors.ray_executor.RayExecutor` — one Ray Serve deployment per model,
  called through deployment handles (``ganhub serve --ray``; imports Ray only when used).

The app's :class:`~ganhub.ui.runner.Runner` talks to an executor, so the tabs, API endpoints,
MCP tools, error messages and progress text are the same whichever runs the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ganhub.errors import GanhubError

if TYPE_CHECKING:
    from ganhub.engine import Engine
    from ganhub.pipeline import RunResult

StatusCallback = Callable[[str], None]
TileCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class DeploymentStats:
    """One model's serving state; None where the executor has no such figure."""

    model_id: str
    status: str
    replicas: int | None = None
    queued: float | None = None
    ongoing: float | None = None
    requests: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    batches: float | None = None  # @serve.batch batches run
    merged_batches: float | None = None  # batches of 2+ calls (above 0: requests were merged)
    min_replicas: int | None = None  # autoscaling bounds as the serving system holds them
    max_replicas: int | None = None


class Executor(Protocol):
    """Runs a model request and reports how the models are being served."""

    name: str

    def run(self, model_id: str, request: dict[str, Any], *, on_status: StatusCallback | None = None,
            on_tile: TileCallback | None = None) -> "RunResult":
        """Run ``model_id`` on ``request`` (the keyword inputs of ``Engine.run``)."""
        ...

    def prepare(self, model_id: str) -> None:
        """Get ``model_id`` ready to answer (load it, or start its deployment)."""
        ...

    def stats(self) -> list[DeploymentStats]:
        """Per model: status, replicas, queue, requests served, latency (what is known)."""
        ...


class InProcessExecutor:
    """The Engine in this process: models load on first use into its bounded cache."""

    name = "in-process"

    def __init__(self, engine: "Engine"):
        self.engine = engine

    def run(self, model_id: str, request: dict[str, Any], *, on_status: StatusCallback | None = None,
            on_tile: TileCallback | None = None) -> "RunResult":
        """``Engine.run`` with the tile progress and status callbacks."""
        return self.engine.run(model_id, progress=on_tile, on_status=on_status, **request)

    def prepare(self, model_id: str) -> None:
        """Load the model now (fetching and verifying its weights)."""
        self.engine.load(model_id)

    def stats(self) -> list[DeploymentStats]:
        """The models loaded in this process (no request counts: nothing is tallied here)."""
        return [DeploymentStats(key[0], f"loaded ({key[1]}, {key[2]})", 1) for key in self.engine.loaded()]


def require_ray() -> None:
    """Ray Serve is importable, or one clear line says how to install it."""
    try:
        import ray.serve  # noqa: F401
    except ImportError:
        raise GanhubError("Ray Serve is not installed (needed by --ray and `ganhub status`)",
                          fix="pip install 'ganhub[ray]'") from None


def _figure(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def stats_table(rows: list[DeploymentStats]) -> str:
    """A markdown table of ``rows`` (the app's Models tab and ``ganhub status``)."""
    if not rows:
        return "No model deployments yet: each model starts one on its first request."
    lines = ["| model | status | replicas (min–max) | queued | running | requests | p50 ms | p95 ms | batches | merged |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row.model_id}` | {row.status} | {_replicas(row)} | {_figure(row.queued)} | "
                     f"{_figure(row.ongoing)} | {_figure(row.requests)} | {_figure(row.p50_ms, 1)} | "
                     f"{_figure(row.p95_ms, 1)} | {_figure(row.batches)} | {_figure(row.merged_batches)} |")
    return "\n".join(lines)


def _replicas(row: DeploymentStats) -> str:
    bounds = "" if row.min_replicas is None else f" ({row.min_replicas}–{row.max_replicas})"
    return _figure(row.replicas) + bounds
