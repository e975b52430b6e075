"""``ganhub status``: how the models of a ``ganhub serve --ray`` app are being served.

Per model deployment: status, replicas, queue, running requests, requests served, p50/p95
latency and batches, read from Ray (``serve.status()`` and each node's metrics endpoint);
ganhub keeps no tally of its own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import typer

from ganhub.cli.console import out
from ganhub.errors import GanhubError
from ganhub.hookspecs import hookimpl


def _connect(address: str) -> None:
    """Join the running cluster (never start one: there would be nothing to report)."""
    from ganhub.executors import require_ray

    require_ray()
    import ray

    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except ConnectionError as exc:
        raise GanhubError(f"no Ray cluster at {address}", why=str(exc).split("\n", 1)[0],
                          fix="start the app with `ganhub serve --ray`, or pass --address ray://HOST:10001") from None


def status(
    address: str = typer.Option("auto", "--address", metavar="auto|ray://HOST:10001",
                                help="the Ray cluster to ask (auto: the one on this machine)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON document for scripts"),
) -> None:
    """Per model deployment on Ray Serve: replicas, queue, requests served, p50/p95 latency."""
    _connect(address)
    import ray

    from ganhub.executors import stats_table
    from ganhub.executors.ray_stats import deployment_stats

    try:
        rows = deployment_stats()
    finally:
        ray.shutdown()
    if as_json:
        out.print_json(json.dumps([asdict(row) for row in rows]))
        return
    out.print(stats_table(rows), markup=False, highlight=False)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """status."""
    cli.command("status")(status)

