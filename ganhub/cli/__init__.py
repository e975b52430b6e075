"""The ``ganhub`` command line (one module per command group; see :mod:`ganhub.cli.main`)."""

from ganhub.cli.main import build_cli, main

__all__ = ["build_cli", "main"]
