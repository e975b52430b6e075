"""The ``ganhub`` command line: a typer app whose commands all arrive through the
``register_commands`` hook — ganhub's own command groups first (its default plugins, the
way llm and datasette ship theirs), then every installed plugin's."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.markup import escape

from ganhub.cli.console import console, phrase
from ganhub.errors import GanhubError
from ganhub.registry import Registry

# Each module implements ``register_commands(cli)``; heavy libraries load inside commands.
DEFAULT_COMMAND_PLUGINS = (
    "ganhub.cli.models",  # list, info, download, lock
    "ganhub.cli.run",  # run
    "ganhub.cli.serve",  # serve (the app)
    "ganhub.cli.status",  # status (Ray Serve deployments)
    "ganhub.cli.export",  # export, bench
    "ganhub.cli.train",  # train, eval, publish
    "ganhub.cli.new_plugin",  # new-plugin
)


def build_cli() -> typer.Typer:
    """The typer app with the default commands and every healthy plugin's."""
    cli = typer.Typer(help="ganhub: run, download and manage GAN image models.", no_args_is_help=True)
    cli.callback()(_options)
    registry = Registry.discover()
    for name in DEFAULT_COMMAND_PLUGINS:
        registry.add_plugin(importlib.import_module(name), name)
    registry.call_hook("register_commands", cli=cli)
    return cli


def _options(verbose: bool = typer.Option(False, "--verbose", "-v", help="errors list their details (e.g. every weight source tried)")) -> None:
    """ganhub: run, download and manage GAN image models."""
    if verbose:  # read by main() when it phrases an error; this process only
        os.environ["GANHUB_VERBOSE"] = "1"


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: a GanhubError is shown as one message, never a traceback."""
    try:
        code = build_cli()(args=argv, standalone_mode=False)  # typer.Exit's code is returned
        return _exit(code if isinstance(code, int) else 0)
    except GanhubError as exc:
        verbose = os.environ.get("GANHUB_VERBOSE", "") not in ("", "0")
        console.print(f"[red]error:[/red] {escape(phrase(exc, verbose))}", highlight=False, soft_wrap=True)
        return _exit(2)
    except (typer.Exit, SystemExit) as exc:
        return _exit(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except Exception as exc:  # click usage errors (typer may carry its own click), Ctrl-C
        return _exit(_unexpected(exc))


def _unexpected(exc: Exception) -> int:
    if hasattr(exc, "show") and hasattr(exc, "exit_code"):
        exc.show()
        return int(exc.exit_code)
    if type(exc).__name__ == "Abort":
        return 130
    if os.environ.get("GANHUB_DEBUG"):
        raise exc
    console.print(f"[red]unexpected error[/red] {type(exc).__name__}: {exc} (set GANHUB_DEBUG=1 for a traceback)")
    return 1


def _exit(code: int | None) -> int:
    sys.exit(code or 0)
