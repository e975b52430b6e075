"""ganhub's Gradio app: the Hugging Face Spaces entry point (`python app.py --help`).

It discovers every installed ganhub plugin, builds a tab per model and serves the app and
its API. Nothing heavy happens before the first request: models load when first used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _env(*names: str, default: str) -> str:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return default


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; defaults come from GANHUB_* variables (then Gradio's, on Spaces)."""
    # A Space must listen on 0.0.0.0: Spaces sets SPACE_ID (and GRADIO_SERVER_NAME).
    host_default = _env("GANHUB_HOST", "GRADIO_SERVER_NAME",
                        default="0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1")
    parser = argparse.ArgumentParser(description="Serve the ganhub app (a tab per model, an API endpoint per model).")
    parser.add_argument("--host", default=host_default, help="interface to listen on (default 127.0.0.1; env GANHUB_HOST)")
    parser.add_argument("--port", type=int, default=int(_env("GANHUB_PORT", "GRADIO_SERVER_PORT", default="7860")),
                        help="port (default 7860; env GANHUB_PORT)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--device", default=os.environ.get("GANHUB_DEVICE") or None,
                        help="cpu, cuda, cuda:1, mps (default: best available, chosen at the first run)")
    parser.add_argument("--plugins", default=os.environ.get("GANHUB_PLUGINS", ""),
                        help="comma-separated allowlist of plugin names (like env GANHUB_PLUGINS)")
    parser.add_argument("--preload", nargs="*", default=[], metavar="MODEL_ID",
                        help="models to load in the background at startup (default: load on first use)")
    parser.add_argument("--mcp", action="store_true", help="also serve the models as MCP tools (needs gradio[mcp])")
    parser.add_argument("--queue-size", type=int, default=None,
                        help="most requests waiting at once; more are refused (default 16; env GANHUB_QUEUE_SIZE)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Parse flags and serve; a GanhubError (e.g. an unknown --preload id) exits with its message."""
    args = parse_args(argv)
    # Server log: ganhub's own messages (preloads, unexpected errors with tracebacks) only.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ganhub").setLevel(logging.INFO)
    from ganhub.errors import GanhubError
    from ganhub.ui.app import launch

    plugins = [name for name in args.plugins.split(",") if name.strip()] or None
    preload = [item for value in args.preload for item in value.split(",") if item]
    try:
        launch(host=args.host, port=args.port, share=args.share, mcp=args.mcp, device=args.device,
               preload=preload, plugins=plugins, queue_size=args.queue_size)
    except GanhubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
