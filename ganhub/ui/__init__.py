"""The Gradio app: tabs generated from model specs, a Compare and a Models tab, the API.

``build_app(registry, engine)`` returns the ``gr.Blocks``; ``launch(...)`` discovers plugins,
builds it and serves it with hardened settings. Importing this package imports nothing
heavy: Gradio is imported when the app is built, torch when a model first runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["api_name_for", "build_app", "launch"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import ganhub.ui` (e.g. by the CLI) costs nothing until the app is wanted.
    if name in __all__:
        from ganhub.ui import app, names

        return getattr(names if name == "api_name_for" else app, name)
    raise AttributeError(f"module 'ganhub.ui' has no attribute {name!r}")
