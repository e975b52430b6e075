"""Many clients at once: a mixed load of good and bad calls against a sequential reference.

Every distinct good call first runs once, one after another (this also warms the models
up); under load, each must then succeed with output identical, pixel for pixel, to that
sequential run, and each bad call must be refused with a clear message. Slow models are
drawn less often (weights ∝ 1 / their warm-up time) so that each model appears, but the
slowest does not set the wall time.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ganhub.selfcheck import inputs
from ganhub.selfcheck.client import ApiClient, Reply, StatusLog
from ganhub.selfcheck.plan import Call, Endpoint, bad_calls, clear_error, good_call
from ganhub.selfcheck.report import Row
from ganhub.selfcheck.server import Target

VARIANTS = 3  # distinct good calls per model
RSS_TOLERANCE = 0.10
RSS_SETTLE_SECONDS = 20.0


@dataclass
class Outcome:
    """One call and how it ended (with its output digest when it succeeded)."""

    call: Call
    reply: Reply
    digest: tuple[str, ...] | None = None


@dataclass
class Reference:
    """The sequential run: output digests and seconds per good call, and failures."""

    digests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


def output_paths(data: Any) -> list[str]:
    """Server paths of every file in a call's output, in order."""
    if isinstance(data, dict):
        if isinstance(data.get("path"), str) and ("url" in data or "meta" in data):
            return [data["path"]]
        return [path for value in data.values() for path in output_paths(value)]
    if isinstance(data, (list, tuple)):
        return [path for value in data for path in output_paths(value)]
    return []


def digest(client: ApiClient, reply: Reply) -> tuple[str, ...]:
    """The content hashes of a reply's output files (fetched through the file route)."""
    hashes = []
    for path in output_paths(reply.data):
        response = client.http.get(f"/file={path}")
        response.raise_for_status()
        hashes.append(inputs.content_hash(response.content))
    return tuple(hashes)


def execute(client: ApiClient, call: Call) -> Outcome:
    """Run ``call``; for a successful good call, also fetch and hash its output."""
    reply = client.call(call.endpoint.fn_index, call.data)
    return Outcome(call, reply, digest(client, reply) if reply.ok and call.good else None)


# -- the sequential reference --------------------------------------------------------------
def reference(target: Target, endpoints: list[Endpoint], log: StatusLog, timeout: float) -> Reference:
    """Run every distinct good call once, in order; this also loads every model."""
    result = Reference()
    client = ApiClient(target.url, log, timeout)
    try:
        for endpoint in endpoints:
            for variant in range(VARIANTS):
                _record(result, execute(client, good_call(endpoint, variant)))
    finally:
        client.close()
    return result


def _record(result: Reference, outcome: Outcome) -> None:
    label = outcome.call.label
    if outcome.reply.ok:
        result.digests[label] = outcome.digest or ()
        result.seconds[label] = outcome.reply.seconds
        result.calls.append(outcome.call)
    else:
        result.failed[label] = str(outcome.reply.error)[:200]


def warmup_row(endpoints: list[Endpoint], skipped: list[Endpoint], ref: Reference) -> Row:
    """Every model that runs offline answered its good calls."""
    others = f" (not run: {', '.join(e.name for e in skipped)}: need a download, or not one model)" if skipped else ""
    first = next(iter(ref.failed.items()), None)
    observed = f"{len(ref.calls)} of {len(endpoints) * VARIANTS} calls on {len(endpoints)} models ran{others}"
    if first:
        observed += f"; {first[0]}: {first[1]}"
    return Row("warm-up: each offline model, sequentially", "every good call succeeds", observed,
               bool(endpoints) and not ref.failed)


# -- the schedule --------------------------------------------------------------------------
def _cost(ref: Reference, endpoint: Endpoint) -> float:
    times = [ref.seconds[call.label] for call in ref.calls if call.endpoint.name == endpoint.name]
    return max(min(times), 0.05)


def good_mix(ref: Reference, count: int, rng: random.Random) -> list[Call]:
    """``count`` good calls: every model once, then drawn with weights ∝ 1 / its time."""
    by_name: dict[str, list[Call]] = {}
    for call in ref.calls:
        by_name.setdefault(call.endpoint.name, []).append(call)
    names = list(by_name)
    chosen = [rng.choice(by_name[name]) for name in names][:count]
    weights = [1.0 / _cost(ref, by_name[name][0].endpoint) for name in names]
    while len(chosen) < count:
        chosen.append(rng.choice(by_name[rng.choices(names, weights)[0]]))
    return chosen


def bad_mix(endpoints: list[Endpoint], count: int, rng: random.Random) -> list[Call]:
    """``count`` bad calls cycling through every kind on every model."""
    catalog = [call for endpoint in endpoints for call in bad_calls(endpoint)]
    rng.shuffle(catalog)
    return [catalog[i % len(catalog)] for i in range(count)] if catalog else []


def schedule(ref: Reference, clients: int, per_client: int, bad_share: float, seed: int) -> list[list[Call]]:
    """Each client's calls: good and bad mixed at random, ``bad_share`` of them bad."""
    rng = random.Random(seed)
    total = clients * per_client
    endpoints = list({call.endpoint.name: call.endpoint for call in ref.calls}.values())
    bad = bad_mix(endpoints, round(total * bad_share), rng)
    calls = good_mix(ref, total - len(bad), rng) + bad
    rng.shuffle(calls)
    return [calls[i::clients] for i in range(clients)]


# -- the load ------------------------------------------------------------------------------
def run_clients(target: Target, plan: list[list[Call]], log: StatusLog, timeout: float) -> list[Outcome]:
    """Every client in its own thread, each making its calls one after another."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def user(calls: list[Call]) -> None:
        client = ApiClient(target.url, log, timeout)
        try:
            for call in calls:
                outcome = _safe_execute(client, call)
                with lock:
                    outcomes.append(outcome)
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(calls,), daemon=True) for calls in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _safe_execute(client: ApiClient, call: Call) -> Outcome:
    try:
        return execute(client, call)
    except Exception as exc:  # a failed download of the output counts as a failed call
        return Outcome(call, Reply(False, error=f"{type(exc).__name__}: {exc}", status=0))


# -- judging -------------------------------------------------------------------------------
def good_failure(outcome: Outcome, ref: Reference) -> str | None:
    """Why a good call did not pass, or None."""
    if not outcome.reply.ok:
        return f"{outcome.call.label}: {outcome.reply.error}"
    if outcome.digest != ref.digests.get(outcome.call.label):
        return f"{outcome.call.label}: output differs from the sequential run"
    return None


def bad_failure(outcome: Outcome) -> str | None:
    """Why a bad call did not pass (it ran, or its message is unclear), or None."""
    where = f"{outcome.call.endpoint.name} with {outcome.call.label}"
    if outcome.reply.ok:
        return f"{where}: accepted"
    if outcome.reply.status >= 500 or not clear_error(outcome.reply.error):
        return f"{where}: [{outcome.reply.status}] {outcome.reply.error!r}"
    return None


def _count_row(check: str, expected: str, failures: list[str], total: int) -> Row:
    observed = f"{total - len(failures)} of {total}"
    if failures:
        observed += f"; e.g. {failures[0][:200]}"
    return Row(check, expected, observed, not failures and total > 0)


def judge(outcomes: list[Outcome], ref: Reference) -> list[Row]:
    """Rows for good calls, bad calls and latency."""
    good = [o for o in outcomes if o.call.good]
    bad = [o for o in outcomes if not o.call.good]
    good_failures = [f for o in good if (f := good_failure(o, ref))]
    bad_failures = [f for o in bad if (f := bad_failure(o))]
    return [
        _count_row("load: good requests", f"all {len(good)} succeed, output identical to the sequential run",
                   good_failures, len(good)),
        _count_row("load: bad requests (wrong types, huge/corrupt files, out of range)",
                   f"all {len(bad)} refused with a clear message", bad_failures, len(bad)),
        latency_row(outcomes),
    ]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency_row(outcomes: list[Outcome]) -> Row:
    """p50 / p95 of every call (reported; fails only when a call got no answer at all)."""
    seconds = [o.reply.seconds for o in outcomes]
    unanswered = [o for o in outcomes if o.reply.status == 0]
    if not seconds:
        return Row("load: latency p50 / p95", "reported", "no calls", False)
    observed = (f"p50 {statistics.median(seconds):.2f} s, p95 {percentile(seconds, 0.95):.2f} s, "
                f"max {max(seconds):.2f} s over {len(seconds)} calls")
    if unanswered:
        observed += f"; {len(unanswered)} without an answer: {unanswered[0].reply.error}"
    return Row("load: latency p50 / p95", "reported; every call answered", observed, not unanswered)


def settled_rss(target: Target) -> float | None:
    """The server's RSS once a burst is over (a few seconds for freed memory to be given back)."""
    time.sleep(min(RSS_SETTLE_SECONDS, 3.0))
    return target.rss_mb()


def memory_row(target: Target, warm: float | None, half: float | None) -> Row:
    """The second half of the load grows the server's RSS by at most 10 % over the first half's."""
    expected = f"second half of the load: RSS ≤ {100 + RSS_TOLERANCE * 100:.0f} % of the first half's (no leak)"
    if warm is None or not half:
        return Row("server memory under load", expected, "not measured (server pid unknown: pass --pid)", True)
    limit = half * (1 + RSS_TOLERANCE)
    deadline = time.monotonic() + RSS_SETTLE_SECONDS
    now = target.rss_mb() or 0.0
    while now > limit and time.monotonic() < deadline:
        time.sleep(1.0)
        now = target.rss_mb() or 0.0
    observed = (f"{warm:.0f} MiB after warm-up, {half:.0f} after the first half, {now:.0f} after the second "
                f"({(now / half - 1) * 100:+.1f} %)")
    return Row("server memory under load", expected, observed, 0 < now <= limit)


def server_error_row(check: str, log: StatusLog) -> Row:
    """No HTTP 5xx response during a phase."""
    errors = log.server_errors()
    observed = f"{len(errors)} of {len(log.statuses)} responses" + (f" ({sorted(set(errors))})" if errors else "")
    return Row(check, "0 responses with status ≥ 500", observed, not errors)
