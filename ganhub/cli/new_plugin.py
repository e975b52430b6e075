"""``ganhub new-plugin NAME --kind KIND``: write a working plugin package to start from."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ganhub.cli.console import out
from ganhub.hookspecs import hookimpl
from ganhub.spec import Kind


def new_plugin(
    name: str = typer.Argument(..., help="plugin name: letters, digits and '-' (e.g. myupscaler)"),
    kind: Kind = typer.Option(..., "--kind", help="how the model is called", case_sensitive=False),
    output: Path = typer.Option(Path("."), "-o", "--output", help="folder to create ganhub-NAME in"),
    task: Optional[str] = typer.Option(None, help="task slug (default: super-resolution, "
                                       "image-generation or inpainting, by kind)"),
) -> None:
    """Create ganhub-NAME/: a plugin package with one model, seeded weights, tests and a README."""
    from ganhub.scaffold import new_plugin as scaffold

    folder = scaffold(name, kind, output, task)
    say = lambda text: out.print(text, markup=False, highlight=False)  # noqa: E731
    say(f"wrote {folder}/")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        say(f"  {path.relative_to(folder)}")
    shown = _shown(folder)
    say("next:")
    say(f"  pip install -e {shown}")
    say(f"  pytest {shown}")


def _shown(folder: Path) -> str:
    """The folder as the user would type it: relative to the current directory when inside it."""
    try:
        return str(folder.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(folder)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """new-plugin."""
    cli.command("new-plugin")(new_plugin)
