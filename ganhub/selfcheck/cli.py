"""``python -m ganhub.selfcheck``: the reliability battery as one command; exit 1 if a check fails."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from rich.console import Console

from ganhub.selfcheck.battery import Options, run
from ganhub.selfcheck.report import crashed, exit_code, render

EPILOG = """\
Without --url it starts `python app.py --host 127.0.0.1 --port <free>` (with --plugins,
--max-file-size and --queue-size when given) in your environment and stops it afterwards. Against a running
server, --pid lets it read the server's memory (/proc/PID/status).
"""


def parser() -> argparse.ArgumentParser:
    """The command's flags."""
    options = Options()
    cli = argparse.ArgumentParser(prog="python -m ganhub.selfcheck", epilog=EPILOG,
                                  description="Check the app under load and abuse; print a table of checks.",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--url", help="check this running server instead of starting one")
    cli.add_argument("--pid", type=int, help="the running server's process id (for its memory)")
    cli.add_argument("--plugins", help="plugin allowlist for the app started here (comma-separated)")
    cli.add_argument("--max-file-size", help="upload limit for the app started here (default: the app's, 50mb)")
    cli.add_argument("--queue-size", type=int,
                     help="the server's queue size: passed to the app started here, else what --url's server uses "
                          "(default: $GANHUB_QUEUE_SIZE or 16, the app's default)")
    cli.add_argument("--clients", type=int, default=options.clients, help="concurrent clients (default %(default)s)")
    cli.add_argument("--requests", type=int, default=options.requests, help="calls per client (default %(default)s)")
    cli.add_argument("--bad-share", type=float, default=options.bad_share, help="share of bad calls (default %(default)s)")
    cli.add_argument("--fuzz-examples", type=int, default=options.fuzz_examples,
                     help="Hypothesis examples, 0 to skip (default %(default)s)")
    cli.add_argument("--timeout", type=float, default=options.timeout, help="seconds one call may take (default %(default)s)")
    cli.add_argument("--seed", type=int, default=options.seed, help="seed of the mix and the fuzzing (default %(default)s)")
    return cli


def options_from(argv: Sequence[str] | None) -> Options:
    """Parse ``argv`` into battery options."""
    args = parser().parse_args(argv)
    return Options(url=args.url, pid=args.pid, plugins=args.plugins, clients=args.clients, requests=args.requests,
                   bad_share=args.bad_share, fuzz_examples=args.fuzz_examples, max_file_size=args.max_file_size,
                   queue_size=args.queue_size, timeout=args.timeout, seed=args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the battery, print the table; 0 when every check passed, else 1."""
    options = options_from(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    status = Console(stderr=True)
    started = time.perf_counter()

    def progress(text: str) -> None:
        status.print(f"[dim]{time.perf_counter() - started:6.1f} s[/] {text}", highlight=False)

    try:
        rows = run(options, progress)
    except Exception as exc:  # the server did not start, or /config did not answer
        rows = [crashed("start", "the app starts and describes its endpoints", exc)]
    render(rows, console)
    progress("done")
    return exit_code(rows)
