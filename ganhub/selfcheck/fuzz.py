"""Params fuzzed through the API with Hypothesis: no 5xx, no bare "Error", no hang.

Each example picks a model endpoint and fills every input with either its default or junk:
None, booleans, integers up to ±2**80, floats including NaN and ±inf, unicode text, lists,
dicts, file references to arbitrary paths; sometimes an input is missing. A call may succeed
(junk can be valid) or be refused, but a refusal must say what is wrong, every call must be
answered within the time limit, and the server must serve a good call afterwards.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any

from ganhub.selfcheck.client import FILE_META, ApiClient, Reply, StatusLog
from ganhub.selfcheck.load import Reference, execute
from ganhub.selfcheck.plan import FILE_KINDS, Endpoint, clear_error
from ganhub.selfcheck.report import Row
from ganhub.selfcheck.server import Target

CHECK = "API params fuzzed (Hypothesis)"


@dataclass
class FuzzLog:
    """What the fuzzed calls did."""

    calls: int = 0
    accepted: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0


def junk() -> Any:
    """A Hypothesis strategy for values no widget would send."""
    from hypothesis import strategies as st

    return st.one_of(
        st.none(), st.booleans(), st.integers(-(2**80), 2**80),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
        st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        st.fixed_dictionaries({"path": st.text(max_size=30), "meta": st.just(FILE_META)}),
    )


def arguments(endpoint: Endpoint) -> Any:
    """A strategy for one call's data: each input its default or junk; maybe one input short."""
    from hypothesis import strategies as st

    values = [st.one_of(st.just(None if w.kind in FILE_KINDS else w.default), junk()) for w in endpoint.widgets]
    return st.tuples(st.tuples(*values), st.booleans()).map(lambda pair: list(pair[0])[: len(pair[0]) - pair[1]])


def judge_call(log: FuzzLog, endpoint: Endpoint, data: list[Any], reply: Reply, limit: float) -> None:
    """Record one fuzzed call; a 5xx, an unclear refusal or a slow answer is a failure."""
    log.calls += 1
    log.accepted += reply.ok
    log.slowest = max(log.slowest, reply.seconds)
    shown = f"{endpoint.name}{tuple(data)!r}"[:160]
    if reply.status >= 500 or reply.status == 0:
        log.failures.append(f"{shown} → [{reply.status}] {reply.error}")
    elif not reply.ok and not clear_error(reply.error):
        log.failures.append(f"{shown} → {reply.error!r}")
    elif reply.seconds > limit:
        log.failures.append(f"{shown} took {reply.seconds:.0f} s")


def fuzz(client: ApiClient, endpoints: list[Endpoint], examples: int, seed: int, limit: float) -> FuzzLog:
    """Run ``examples`` fuzzed calls (deterministic for a given ``seed``)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as seeded
    from hypothesis import strategies as st

    log = FuzzLog()
    call = st.sampled_from(endpoints).flatmap(lambda e: st.tuples(st.just(e), arguments(e)))

    @seeded(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(call)
    def one(pair: tuple[Endpoint, list[Any]]) -> None:
        endpoint, data = pair
        judge_call(log, endpoint, data, client.call(endpoint.fn_index, data), limit)

    one()
    return log


def fuzz_row(target: Target, endpoints: list[Endpoint], ref: Reference, log: StatusLog,
             examples: int, seed: int, timeout: float) -> Row:
    """Fuzz, then check the server still answers a good call with the sequential output."""
    expected = f"{examples} calls: no 5xx, every refusal clear, each answered < {timeout:.0f} s; server fine after"
    if importlib.util.find_spec("hypothesis") is None:
        return Row(CHECK, expected, "Hypothesis is not installed: pip install hypothesis (or --fuzz-examples 0)", False)
    client = ApiClient(target.url, log, timeout)
    started = time.perf_counter()
    try:
        result = fuzz(client, endpoints, examples, seed, timeout)
        after = execute(client, ref.calls[0]) if ref.calls else None
    finally:
        client.close()
    fine = after is not None and after.reply.ok and after.digest == ref.digests[after.call.label]
    observed = (f"{result.calls} calls in {time.perf_counter() - started:.0f} s ({result.accepted} accepted), "
                f"{len(result.failures)} failures, slowest {result.slowest:.1f} s; good call after: {'ok' if fine else 'FAILED'}")
    if result.failures:
        observed += f"; e.g. {result.failures[0]}"
    return Row(CHECK, expected, observed, fine and not result.failures and result.calls > 0)
