"""``ganhub serve`` — and ``python app.py``, which is a thin call into this same command.

Defaults come from GANHUB_* variables, then Gradio's own (which a Hugging Face Space sets).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

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


def _file_size(text: str) -> str:
    """``text`` if Gradio reads it as a size ("50mb", "500 kb", "2gb"), else a GanhubError."""
    import re

    if not re.fullmatch(r"\s*\d+\s*(b|kb|mb|gb)\s*", text, re.IGNORECASE):
        raise GanhubError(f"--max-file-size {text!r} is not a size", fix="write it like 50mb, 500kb or 2gb")
    return text.replace(" ", "").lower()


def _private_gradio_temp(port: int) -> None:
    """Give this server its own 0700 temp folder (reused across restarts) unless GRADIO_TEMP_DIR names one.

    Gradio's default, ``<tmp>/gradio``, is shared by every Gradio app of the machine, and its
    file route serves anything inside: another app's files (and theirs ours) would be served.
    """
    import tempfile
    from pathlib import Path

    if os.environ.get("GRADIO_TEMP_DIR"):
        return
    uid = getattr(os, "getuid", lambda: 0)()
    folder = Path(tempfile.gettempdir()) / f"ganhub-gradio-{uid}-{port}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != uid:  # someone else's: take a fresh one
        folder = Path(tempfile.mkdtemp(prefix="ganhub-gradio-"))
    os.environ["GRADIO_TEMP_DIR"] = str(folder)


def _serve_on_ray(ray: bool, host: str, port: int, share: bool, **options: Any) -> None:
    """The same app with every model on Ray Serve (Ray is imported only here)."""
    if not ray:
        raise GanhubError("--address and --config are settings of --ray", fix="add --ray")
    if share:
        raise GanhubError("--share is not available with --ray", fix="leave out --share; Ray Serve listens on --host")
    from ganhub.executors import require_ray

    require_ray()
    from ganhub.executors.ray_serve import serve_on_ray

    serve_on_ray(host, port, **options)


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
    max_file_size: str = typer.Option("50mb", envvar="GANHUB_MAX_FILE_SIZE",
                                      help="largest upload accepted (e.g. 50mb, 500kb); larger ones are refused before they are stored"),
    ray: bool = typer.Option(False, "--ray", help="run each model in its own Ray Serve deployment (needs ganhub\\[ray])"),
    address: Optional[str] = typer.Option(None, "--address", metavar="auto|ray://HOST:10001",
                                          help="with --ray: join this Ray cluster (default: start a local Ray instance)"),
    config: Optional[str] = typer.Option(None, "--config", metavar="FILE",
                                         help="with --ray: a YAML file of replicas, resources and batching (see the README)"),
) -> None:
    """Serve the Gradio app: a tab and an API endpoint per model (the same app as `python app.py`)."""
    # Server log: ganhub's own messages (preloads, unexpected errors with tracebacks) only.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ganhub").setLevel(logging.INFO)
    from ganhub.ui.app import launch

    size = _file_size(max_file_size)
    host = host or _default_host()
    _check_port_free(host, port)
    _private_gradio_temp(port)
    if ray or address or config:
        _serve_on_ray(ray, host, port, share, address=address, config_path=config, device=device,
                      preload=_split(preload), plugins=_split([plugins]) or None, mcp=mcp,
                      queue_size=queue_size, max_file_size=size)
        return
    launch(host=host, port=port, share=share, mcp=mcp, device=device,
           preload=_split(preload), plugins=_split([plugins]) or None, queue_size=queue_size,
           max_file_size=size)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """serve."""
    cli.command("serve")(serve)
