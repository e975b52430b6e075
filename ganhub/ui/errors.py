"""How the app tells a user what went wrong: one short, plain message, never a traceback.

Core errors carry what failed, why and an ``action`` naming the fix; here each fix is said
in the app's own terms (a box, a button), never as a command-line flag or a Python call.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ganhub.errors import GanhubError, WeightsError

log = logging.getLogger(__name__)

UI_FIXES = {
    "supply-weights": "enter a weights file or hf://owner/repo/file@<commit> in the Weights box",
    "drop-user-weights": "clear the Weights box: this model uses its own pinned weights",
    "use-onnx-runtime": "choose onnx under Runtime",
    "download-weights": "use the Download button once this server can reach the Hugging Face Hub",
    "go-online": "use the Download button once this server can reach the Hugging Face Hub",
    "downscale": "downscale or crop the image first",
    "smaller-tile": "lower the tile size",
    "install": "ask the server's admin to install the package '{package}'",
    "list-models": "the Models tab lists every model",
}


def plain(message: str) -> str:
    """``message`` safe to show: gr.Error renders HTML, so escape markup, keep quotes readable."""
    return html.escape(message, quote=False)


def phrase(exc: GanhubError, what: str) -> str:
    """One sentence: what failed (and why), then the fix as the app says it."""
    text = exc.message + (f" ({exc.why})" if exc.why else "")
    if exc.details:  # e.g. every weight source tried: the server log keeps them
        log.info("%s: %s\n  %s", what, text, "\n  ".join(exc.details))
    fix = exc.fix_for(UI_FIXES)
    return text + (f": {fix}" if fix else "")


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Turn anything raised inside into a ``gr.Error`` a user can read (never a traceback)."""
    import gradio as gr

    try:
        yield
    except gr.Error:
        raise
    except WeightsError as exc:  # the model's name first: the message is about its weights
        raise gr.Error(plain(f"'{what}': {phrase(exc, what)}"), print_exception=False) from None
    except GanhubError as exc:
        raise gr.Error(plain(phrase(exc, what)), print_exception=False) from None
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
