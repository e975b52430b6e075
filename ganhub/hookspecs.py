"""The hooks a ganhub plugin may implement (pluggy, entry-point group ``ganhub``).

A plugin is a module (or object) named by an entry point in the ``ganhub`` group; it
implements any of the hooks below, each marked with ``@ganhub.hookimpl``. The README's
"Hook reference" lists every hook here, and a test keeps the two in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:
    import typer

    from ganhub.model import Model

PROJECT = "ganhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_models(register: Callable[["Model"], None]) -> None:
    """Call ``register(model)`` once for each model the plugin provides.

    ``model`` is an instance of a ganhub adapter (``ImageToImageModel``, ``GenerateModel``,
    ``InpaintModel``) carrying a ``ModelSpec``. The host validates each one when it is
    registered; a plugin's models are accepted all together or not at all.
    """


@hookspec
def register_commands(cli: "typer.Typer") -> None:
    """Add commands to the ``ganhub`` command line: ``cli.command("name")(function)``.

    ``cli`` is the typer app. Import heavy libraries inside the command function, so that
    every other ``ganhub`` command keeps starting fast.
    """
