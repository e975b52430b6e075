"""``ganhub serve`` — and ``python app.py``, which is a thin call into this same command.

Defaults come from GANHUB_* variables, then Gradio's own (which a Hugging Face Space sets).
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import typer

from ganhub.hookspecs import hookimpl


def _default_host() -> str:
    # A Space must listen on 0.0.0.0: Spaces sets SPACE_ID (and GRADIO_SERVER_NAME).
    return "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def serve(
    host: Optional[str] = typer.Option(None, envvar=["GANHUB_HOST", "GRADIO_SERVER_NAME"],
                                       help="interface to listen on (default 127.0.0.1; 0.0.0.0 on a Space)"),
    port: int = typer.Option(7860, envvar=["GANHUB_PORT", "GRADIO_SERVER_PORT"], help="port to listen on"),
    share: bool = typer.Option(False, "--share", help="also open a public gradio.live link (off by default)"),
    device: Optional[str] = typer.Option(None, envvar="GANHUB_DEVICE",
                                         help="cpu, cuda, cuda:1, mps (default: best available, chosen at the first run)"),
    plugins: str = typer.Option("", envvar="GANHUB_PLUGINS", help="comma-separated allowlist of plugin names"),
    preload: list[str] = typer.Option([], metavar="MODEL_ID",
                                      help="model(s) to load in the background at start-up; repeatable or comma-separated"),
    mcp: bool = typer.Option(False, "--mcp", help="also serve the models as MCP tools (needs gradio[mcp])"),
    queue_size: Optional[int] = typer.Option(None, envvar="GANHUB_QUEUE_SIZE",
                                             help="most requests waiting at once; more are refused (default 16)"),
) -> None:
    """Serve the Gradio app: a tab and an API endpoint per model (the same app as `python app.py`)."""
    # Server log: ganhub's own messages (preloads, unexpected errors with tracebacks) only.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ganhub").setLevel(logging.INFO)
    from ganhub.ui.app import launch

    launch(host=host or _default_host(), port=port, share=share, mcp=mcp, device=device,
           preload=_split(preload), plugins=_split([plugins]) or None, queue_size=queue_size)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """serve."""
    cli.command("serve")(serve)
