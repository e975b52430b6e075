"""The hooks a ganhub plugin may implement (pluggy, entry-point group ``ganhub``)."""

from __future__ import annotations

import pluggy

PROJECT = "ganhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_models(register):  # type: ignore[no-untyped-def]
    """Call ``register(model)`` once for each model the plugin provides."""


@hookspec
def register_commands(cli):  # type: ignore[no-untyped-def]
    """Add commands to the ``ganhub`` typer app (``cli.command()(fn)``)."""
