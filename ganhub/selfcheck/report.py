"""The battery's result: one row per check (expected / observed / pass), a table, an exit code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One check's outcome."""

    check: str
    expected: str
    observed: str
    passed: bool


def crashed(check: str, expected: str, exc: BaseException) -> Row:
    """The row of a check that could not finish: it fails, saying why."""
    return Row(check, expected, f"check stopped: {type(exc).__name__}: {exc}"[:300], False)


def guarded(check: str, expected: str, run: Callable[[], list[Row]]) -> list[Row]:
    """``run()``'s rows, or one failing row when it raises (the other checks still run)."""
    try:
        return run()
    except Exception as exc:
        return [crashed(check, expected, exc)]


def table(rows: Sequence[Row]) -> Table:
    """The rows as a rich table."""
    result = Table(title="ganhub self-check", show_lines=True)
    for name in ("check", "expected", "observed", "pass"):
        result.add_column(name, overflow="fold")
    for row in rows:
        result.add_row(row.check, row.expected, row.observed, "PASS" if row.passed else "[bold red]FAIL[/]")
    return result


def render(rows: Sequence[Row], console: Console | None = None) -> None:
    """Print the table, then one summary line."""
    console = console or Console()
    console.print(table(rows))
    failed = [row.check for row in rows if not row.passed]
    console.print(f"{len(rows) - len(failed)} of {len(rows)} checks passed"
                  + (f"; failed: {', '.join(failed)}" if failed else ""))


def exit_code(rows: Sequence[Row]) -> int:
    """0 when every row passed (and there is at least one), else 1."""
    return 0 if rows and all(row.passed for row in rows) else 1
