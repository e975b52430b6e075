"""Per-deployment figures read from Ray itself: ``serve.status()`` and Ray's metrics.

Replica counts and states come from ``serve.status()``. Requests served, queue, running
requests, latency and batch sizes come from the metrics every Ray node exports in
Prometheus' text format (``ray.nodes()`` names each node's ``MetricsExportPort``); no
Prometheus server is needed. p50/p95 are estimated from Ray's latency histogram buckets the
way Prometheus' ``histogram_quantile`` does (linear within a bucket). Ray reports metrics
every few seconds (``RAY_metrics_report_interval_ms``), so the figures trail by that much.
Batch sizes come from Ray's ``ray_serve_actual_batch_size`` histogram: its buckets are exact
(powers of two), its exported ``_sum`` is not (estimated from bucket bounds), so the table
counts *merged* batches (more than one call) as all batches minus those in the ``le="1"``
bucket. The autoscaling bounds come from the Serve controller's own deployment details.
"""

from __future__ import annotations

import logging
import math
import re
import urllib.request
from collections import defaultdict
from typing import Any

from ganhub.executors import DeploymentStats
from ganhub.executors.ray_models import APP_PREFIX

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT_S = 3.0
LATENCY_BUCKETS = "ray_serve_deployment_processing_latency_ms_bucket"
WANTED = (
    "ray_serve_deployment_request_counter",
    LATENCY_BUCKETS,
    "ray_serve_deployment_queued_queries",
    "ray_serve_replica_processing_queries",
    "ray_serve_batches_processed",
    "ray_serve_actual_batch_size_bucket",
    "ray_serve_actual_batch_size_count",
)
SINGLE_BATCHES = "single_batches"  # batches of one call: the le="1" bucket of the batch sizes
_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Sample = tuple[str, dict[str, str], float]


def parse_metrics(text: str) -> list[Sample]:
    """(name, labels, value) of each ganhub sample of the families in WANTED."""
    samples = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or not match["name"].startswith(WANTED):
            continue
        labels = dict(_LABEL.findall(match["labels"] or ""))
        if labels.get("application", "").startswith(APP_PREFIX):
            samples.append((match["name"], labels, float(match["value"])))
    return samples


def scrape_nodes() -> list[Sample]:
    """The samples of every alive node's metrics endpoint (a node that does not answer is skipped)."""
    import ray

    samples: list[Sample] = []
    for node in ray.nodes():
        port = node.get("MetricsExportPort")
        if not node.get("Alive") or not port:
            continue
        url = f"http://{node['NodeManagerAddress']}:{port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_S) as response:
                samples += parse_metrics(response.read().decode("utf-8", "replace"))
        except OSError as exc:
            log.warning("could not read Ray metrics at %s: %s", url, exc)
    return samples


def quantile(buckets: dict[float, float], q: float) -> float | None:
    """The ``q`` quantile of a cumulative histogram ``{upper bound: count}``, as Prometheus does."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank, lower, below = q * buckets[bounds[-1]], 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower  # beyond the last finite bucket: its bound is the best estimate
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = bound, count
    return lower


def summarize(samples: list[Sample]) -> dict[str, dict[str, Any]]:
    """Per model id: summed counters and gauges, and the merged latency histogram."""
    figures: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    for name, labels, value in samples:
        model = figures[labels["application"][len(APP_PREFIX):]]
        if name == LATENCY_BUCKETS:
            model.setdefault("buckets", defaultdict(float))[float(labels.get("le", "inf"))] += value
        elif name == "ray_serve_actual_batch_size_bucket":
            if float(labels.get("le", "inf")) == 1.0:
                model[SINGLE_BATCHES] += value
        else:
            model[_family(name)] += value
    return figures


def _family(name: str) -> str:
    """The WANTED family of a sample name (counters gain a ``_total`` suffix in Prometheus)."""
    return next((family for family in WANTED if name.startswith(family)), name)


def _merged(figures: dict[str, Any]) -> float | None:
    total = figures.get("ray_serve_actual_batch_size_count")
    return None if total is None else total - figures.get(SINGLE_BATCHES, 0.0)


def _row(model_id: str, app: Any, figures: dict[str, Any], bounds: tuple[int, int] | None) -> DeploymentStats:
    deployment = next(iter(app.deployments.values()), None) if app is not None else None
    states = dict(deployment.replica_states) if deployment is not None else {}
    buckets = figures.get("buckets", {})
    return DeploymentStats(
        model_id=model_id,
        status=str(getattr(app.status, "value", app.status)).lower() if app is not None else "gone",
        replicas=sum(n for state, n in states.items() if str(getattr(state, "value", state)) == "RUNNING"),
        queued=figures.get("ray_serve_deployment_queued_queries"),
        ongoing=figures.get("ray_serve_replica_processing_queries"),
        requests=figures.get("ray_serve_deployment_request_counter"),
        p50_ms=quantile(buckets, 0.50),
        p95_ms=quantile(buckets, 0.95),
        batches=figures.get("ray_serve_batches_processed"),
        merged_batches=_merged(figures),
        min_replicas=bounds[0] if bounds else None,
        max_replicas=bounds[1] if bounds else None,
    )


def autoscaling_bounds() -> dict[str, tuple[int, int]]:
    """Per model id: (min, max) replicas from the Serve controller's deployment details.

    ``serve.status()`` has no autoscaling config; the controller's details (what Ray's
    dashboard shows) do. Reached through Serve's client, so an unexpected shape yields {}.
    """
    try:
        from ray.serve.context import _get_global_client

        details = _get_global_client().get_serve_details()
        return {name[len(APP_PREFIX):]: _bounds(app) for name, app in details["applications"].items()
                if name.startswith(APP_PREFIX)}
    except Exception as exc:  # a figure missing from the table, never a broken status page
        log.warning("could not read the autoscaling bounds from Ray Serve: %s", exc)
        return {}


def _bounds(app: dict[str, Any]) -> tuple[int, int]:
    deployment = next(iter(app["deployments"].values()))
    scaling = deployment["deployment_config"].get("autoscaling_config") or {}
    fixed = deployment["deployment_config"].get("num_replicas")
    return int(scaling.get("min_replicas", fixed or 0)), int(scaling.get("max_replicas", fixed or 0))


def deployment_stats() -> list[DeploymentStats]:
    """One row per ganhub model deployment on the connected cluster."""
    from ray import serve

    apps = {name: app for name, app in serve.status().applications.items() if name.startswith(APP_PREFIX)}
    figures = summarize(scrape_nodes())
    bounds = autoscaling_bounds()
    model_ids = sorted({name[len(APP_PREFIX):] for name in apps})
    return [_row(model_id, apps.get(APP_PREFIX + model_id), figures.get(model_id, {}), bounds.get(model_id))
            for model_id in model_ids]
