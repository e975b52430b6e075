"""What every CLI command shares: the two consoles, the progress bar, NAME=VALUE parsing,
and how a structured ganhub error is phrased on a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ganhub.errors import GanhubError
from ganhub.registry import Registry

console = Console(stderr=True)  # progress, notes and errors
out = Console()  # results: what a script would capture

# How each fix a core error asks for is said on the command line (the app says it its own way).
CLI_FIXES = {
    "supply-weights": "pass --weights FILE or --weights hf://owner/repo/file@<commit>",
    "drop-user-weights": "leave out --weights: this model uses its own pinned weights",
    "use-onnx-runtime": "run it with --runtime onnx",
    "download-weights": "run `ganhub download {model_id}` on a machine that can reach the Hugging Face Hub",
    "go-online": "unset HF_HUB_OFFLINE and run `ganhub download {model_id}` with a connection to the Hub",
    "downscale": "downscale or crop the image first",
    "smaller-tile": "lower the tile size (--param tile=128)",
    "install": "pip install {package}",
    "list-models": "`ganhub list` shows every model",
}


def registry() -> Registry:
    """Every installed plugin's models."""
    return Registry.discover()


def phrase(exc: GanhubError) -> str:
    """The error as one terminal message: what failed and why, then the fix in CLI terms."""
    fix = exc.fix_for(CLI_FIXES)
    return f"{exc.message}" + (f": {fix}" if fix else "")


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["scale=2", "tile=128"]`` as a dict; values stay strings (the spec coerces them)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise GanhubError(f"--param takes NAME=VALUE, got {pair!r}")
        params[name.strip()] = value
    return params


def progress_bar() -> Progress:
    """A transient bar on stderr: done/total, elapsed and time remaining."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
