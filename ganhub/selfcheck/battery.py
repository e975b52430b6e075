"""The battery: start the app (or use a running one), run every check, return the rows.

Order: discover the model endpoints, run each offline model sequentially (warm-up and
reference), note the server's memory, put it under load, check its memory came back, then
hang-ups, a queue filled past its size, slow clients, fuzzing, the file route and the upload
limit. A check that crashes becomes one failing row; the others still run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ganhub.selfcheck import abuse, fuzz, load, pressure
from ganhub.selfcheck.client import StatusLog
from ganhub.selfcheck.plan import Endpoint, discover
from ganhub.selfcheck.report import Row, guarded
from ganhub.selfcheck.server import LocalServer, Target

DEFAULT_QUEUE_SIZE = 16  # ganhub serve's default (ganhub.ui.app.DEFAULT_QUEUE_SIZE; gradio not imported here)


@dataclass
class Options:
    """What to check and how hard (the defaults are the full battery)."""

    url: str | None = None
    pid: int | None = None
    plugins: str | None = None
    clients: int = 16
    requests: int = 25
    bad_share: float = 0.2
    fuzz_examples: int = 60
    max_file_size: str | None = None
    queue_size: int | None = None
    timeout: float = 120.0
    seed: int = 0
    server_args: list[str] = field(default_factory=list)

    def app_args(self) -> list[str]:
        """Flags for a server started here."""
        args = ["--plugins", self.plugins] if self.plugins else []
        args += ["--max-file-size", self.max_file_size] if self.max_file_size else []
        args += ["--queue-size", str(self.queue_size)] if self.queue_size is not None else []
        return args + self.server_args

    def expected_queue_size(self) -> int:
        """The server's queue size: as given, else what the app takes by default (as serve reads it)."""
        if self.queue_size is not None:
            return self.queue_size
        return int(os.environ.get("GANHUB_QUEUE_SIZE") or DEFAULT_QUEUE_SIZE)


def quiet(_: str) -> None:
    """A progress callback that says nothing."""


def run(options: Options, progress: Callable[[str], None] = quiet) -> list[Row]:
    """Every check's row, against ``options.url`` or a server started for the purpose."""
    if options.url:
        return checks(Target(options.url.rstrip("/"), options.pid), options, progress)
    progress("starting the app: " + " ".join(options.app_args()))
    with LocalServer(options.app_args()) as target:
        return checks(target, options, progress)


def fetch_config(target: Target) -> dict[str, Any]:
    """The app's /config (its components, events and settings)."""
    response = httpx.get(target.url + "/config", timeout=60, trust_env=False)
    response.raise_for_status()
    return dict(response.json())


def checks(target: Target, options: Options, progress: Callable[[str], None] = quiet) -> list[Row]:
    """Run the battery against a server that is up."""
    config = fetch_config(target)
    endpoints = discover(config)
    ready = [e for e in endpoints if e.ready]
    log = StatusLog()
    progress(f"warm-up: {len(ready)} offline models, {load.VARIANTS} calls each, one at a time")
    ref = load.reference(target, ready, log, options.timeout)
    rows = [load.warmup_row(ready, [e for e in endpoints if not e.ready], ref)]
    rows += guarded("load", "mixed load passes", lambda: load_rows(target, ref, options, progress))
    rows += other_rows(target, endpoints, ref, log, options, progress)
    rows += guarded("upload over the size limit", "refused", lambda: [
        abuse.upload_limit_row(target, config.get("max_file_size"))])
    rows.append(load.server_error_row("other checks: HTTP 5xx", log))
    rows.append(Row("server still up", "answers its page", "yes" if target.alive() else "no", target.alive()))
    return rows


def load_rows(target: Target, ref: load.Reference, options: Options, progress: Callable[[str], None]) -> list[Row]:
    """The mixed load and what it left behind (5xx, latency, memory).

    The load runs in two halves: the first grows the server to its working set under this
    concurrency (every model loaded, buffers for several requests at once), the second must not
    grow it further. A leak grows with the number of calls; a working set does not.
    """
    warm = target.rss_mb()
    plan = load.schedule(ref, options.clients, options.requests, options.bad_share, options.seed)
    progress(f"load: {options.clients} clients × {options.requests} calls, {options.bad_share:.0%} bad")
    log = StatusLog()
    halves = [[calls[: len(calls) // 2] for calls in plan], [calls[len(calls) // 2 :] for calls in plan]]
    outcomes = load.run_clients(target, halves[0], log, options.timeout)
    settled = load.settled_rss(target)
    outcomes += load.run_clients(target, halves[1], log, options.timeout)
    rows = load.judge(outcomes, ref) + [load.server_error_row("load: HTTP 5xx", log)]
    progress("load done; waiting for the server's memory to settle")
    return rows + [load.memory_row(target, warm, settled)]


def other_rows(target: Target, endpoints: list[Endpoint], ref: load.Reference, log: StatusLog,
               options: Options, progress: Callable[[str], None]) -> list[Row]:
    """Hang-ups, fuzzing and the file route, each guarded."""
    progress("clients hanging up mid-request")
    rows = guarded("client hangs up mid-request", "queue keeps going",
                   lambda: [abuse.disconnect_row(target, ref, log, options.timeout)])
    size = options.expected_queue_size()
    progress(f"queue full: {size + pressure.QUEUE_EXTRA} calls joining a queue of {size}")
    rows += guarded("queue full", "clear refusal", lambda: [pressure.queue_full_row(target, ref, size, options.timeout)])
    progress(f"slow clients: {pressure.SLOW_CLIENTS} connections trickling bytes")
    rows += guarded("slow clients", "others still served",
                    lambda: [pressure.slow_clients_row(target, ref, log, options.timeout)])
    if options.fuzz_examples > 0:
        progress(f"fuzzing params: {options.fuzz_examples} examples")
        rows += guarded(fuzz.CHECK, "no crash, no hang", lambda: [fuzz.fuzz_row(
            target, endpoints, ref, log, options.fuzz_examples, options.seed, options.timeout)])
    progress("file route and upload limit")
    return rows + guarded("file route /gradio_api/file=…", "403/404",
                          lambda: [abuse.file_route_row(target, ref, log, options.timeout)])
