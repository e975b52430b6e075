"""Inputs sent straight to the API, checked before Gradio reads them.

The browser's widgets only ever send values of the right type, but an API client can send
anything: a word for a slider, NaN, a number where a file belongs, a path on the server.
Gradio's own preprocessing fails on those with an exception whose text it hides (the app
runs with ``show_error=False``), so the caller would read a bare "Error". Here each input is
checked against its widget first and refused with a message naming the box; whatever still
fails inside Gradio becomes one plain line too, never a traceback.

Uploads cut off mid-way are the other thing Gradio leaves to its host: :class:`UploadSweeper`
deletes the half-stored files they leave behind.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.exceptions import InvalidPathError
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

UPLOAD_HINT = "upload it first (gradio_client: handle_file(path))"


def _number(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, not {_shown(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    return None


def _file(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("path") or value.get("url"), str):
        return None
    return f"must be an uploaded file, not {_shown(value)}: {UPLOAD_HINT}"


def _editor(value: Any) -> str | None:
    if value is None:
        return None
    layers = value.get("layers") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not isinstance(layers, (list, type(None))):
        return f"must be an image editor value {{background, layers, composite}}, not {_shown(value)}"
    return next(filter(None, map(_file, [value.get("background"), value.get("composite"), *(layers or [])])), None)


def _flag(value: Any) -> str | None:
    return None if value is None or isinstance(value, bool) else f"must be true or false, not {_shown(value)}"


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else f"must be text, not {_shown(value)}"


# Most specific first: ImageEditor is not an Image, Slider is not a Number.
CHECKS = ((gr.ImageEditor, _editor), (gr.Image, _file), (gr.File, _file), (gr.Slider, _number),
          (gr.Number, _number), (gr.Checkbox, _flag), (gr.Textbox, _text))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def input_problem(block: Any, value: Any) -> str | None:
    """Why ``value`` cannot go into ``block`` (a sentence fragment), or None when it can."""
    for kind, check in CHECKS:
        if isinstance(block, kind):
            return check(value)
    return None


def _label(block: Any) -> str:
    return str(getattr(block, "label", None) or type(block).__name__)


def check_inputs(blocks: Sequence[Any], values: Sequence[Any]) -> None:
    """Refuse the first value its widget cannot take, naming the widget (``gr.Error``)."""
    if len(values) < len(blocks):
        names = ", ".join(f"'{_label(block)}'" for block in blocks)
        raise gr.Error(f"this endpoint takes {len(blocks)} inputs ({names}), got {len(values)}",
                       print_exception=False)
    for block, value in zip(blocks, values):
        problem = input_problem(block, value)
        if problem:
            raise gr.Error(f"'{_label(block)}' {problem}", print_exception=False)


def unreadable(exc: Exception) -> gr.Error:
    """The one line a caller reads when Gradio itself could not read an input."""
    if isinstance(exc, InvalidPathError):
        return gr.Error(f"a file that was not uploaded to this server was refused: {UPLOAD_HINT}",
                        print_exception=False)
    log.info("an input could not be read: %s: %s", type(exc).__name__, exc)
    return gr.Error(f"an input could not be read ({type(exc).__name__}): check each value's type "
                    "against the API page", print_exception=False)


# NamedTemporaryFile's default name: how Gradio names an upload while it streams in.
PARTIAL_UPLOAD = re.compile(r"tmp[a-z0-9_]{8}")
STALE_SECONDS = 3600.0  # a partial upload untouched this long is abandoned even while others stream


class UploadSweeper:
    """ASGI middleware: delete what uploads cut off mid-way leave in Gradio's upload folder.

    Gradio streams an upload into ``<upload folder>/tmpXXXXXXXX`` and renames it into a
    ``<hash>/`` folder once complete. It deletes that partial file when an upload is too large
    or malformed, but not when the client hangs up first: each abandoned upload would stay on
    disk forever (up to the size limit each). So when an upload request ends and no other is
    streaming, every such file left there is a leftover (a killed server's too: the folder is
    reused across restarts), and files untouched for an hour are one even while others stream.
    Only in a private folder (no group/other permissions, as ``ganhub serve`` makes it): in a
    shared one such a file may be another app's upload in progress.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.streaming = 0  # upload requests in progress (one event loop: no lock needed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].endswith("/upload"):
            await self.app(scope, receive, send)
            return
        self.streaming += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.streaming -= 1
            folder = getattr(scope.get("app"), "uploaded_file_dir", None)
            if folder:
                sweep_partial_uploads(Path(folder), 0.0 if self.streaming == 0 else STALE_SECONDS)


def sweep_partial_uploads(folder: Path, older_than: float = 0.0) -> int:
    """Delete partial uploads in a private ``folder`` not modified for ``older_than`` s; how many."""
    try:
        if folder.stat().st_mode & 0o077:
            return 0
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    now, removed = time.time(), 0
    for entry in entries:
        if not PARTIAL_UPLOAD.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:  # gone already (renamed into place, or swept by another request)
            continue
    if removed:
        log.info("removed %d upload(s) abandoned mid-way from %s", removed, folder)
    return removed


class GuardedBlocks(gr.Blocks):
    """``gr.Blocks`` whose events check API inputs first and never answer a bare "Error",
    and whose server deletes uploads abandoned mid-way (:class:`UploadSweeper`)."""

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        """``Blocks.launch`` with the :class:`UploadSweeper` middleware added to the server."""
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(UploadSweeper)]
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], *args: Any, **kwargs: Any) -> Any:
        """Check ``inputs`` against the event's widgets, then let Gradio preprocess them."""
        check_inputs(block_fn.inputs, inputs)
        try:
            return await super().preprocess_data(block_fn, inputs, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise unreadable(exc) from None
