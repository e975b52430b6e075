"""A reliability battery for a deployed app: ``python -m ganhub.selfcheck``.

It starts the app on 127.0.0.1 (or checks a running one with ``--url``), then:
16 clients × 25 mixed calls (about 20 % bad: wrong types, huge or corrupt files, NaN,
out-of-range params sent straight to the API) whose good outputs must equal a sequential
run and whose bad ones must get a clear message, with no HTTP 5xx and the server's memory
back within 10 % afterwards (p50/p95 latency reported); clients that hang up mid-request;
params fuzzed with Hypothesis; the file route probed for files it must not serve; an
upload over the size limit. It prints a table (check / expected / observed / pass) and
exits 1 if any check fails.

Modules, in the order a run uses them: ``server`` (start or reach the app), ``client``
(the raw Gradio protocol), ``inputs`` (the files sent), ``plan`` (endpoints, good and bad
calls), ``load``, ``abuse``, ``fuzz`` (the checks), ``report`` (rows, table), ``battery``
(the order), ``cli`` (the flags).
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the battery with command-line ``argv``; the exit code."""
    from ganhub.selfcheck.cli import main as run_cli

    return run_cli(argv)
