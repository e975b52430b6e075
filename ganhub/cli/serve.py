"""``ganhub serve`` — and ``python app.py``, which is a thin call into this same command.

Defaults come from GANHUB_* variables, then Gradio's own (which a Hugging Face Space sets).
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import typer

from ganhub.errors import GanhubError
from ganhub.hookspecs import hookimpl


def _default_host() -> str:
    # A Space must listen on 0.0.0.0: Spaces sets SPACE_ID (and GRADIO_SERVER_NAME).
    return "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"


def _check_port_free(host: str, port: int) -> None:
    """Refuse a busy port up front with the fix, instead of Gradio's traceback."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise GanhubError(f"port {port} on {host} is busy ({exc.strerror})",
                              fix="choose another with --port N, or stop what is using it") from None


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
    mcp: bool = typer.Option(False, "--mcp", help="also serve the models as MCP tools (needs the gradio \\[mcp] extra)"),
    queue_size: Optional[int] = typer.Option(None, envvar="GANHUB_QUEUE_SIZE",
                                             help="most requests waiting at once; more are refused (default 16)"),
) -> None:
    """Serve the Gradio app: a tab and an API endpoint per model (the same app as `python app.py`)."""
    # Server log: ganhub's own messages (preloads, unexpected errors with tracebacks) only.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ganhub").setLevel(logging.INFO)
    from ganhub.ui.app import launch

    host = host or _default_host()
    _check_port_free(host, port)
    launch(host=host, port=port, share=share, mcp=mcp, device=device,
           preload=_split(preload), plugins=_split([plugins]) or None, queue_size=queue_size)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """serve."""
    cli.command("serve")(serve)
