"""The README's "Hook reference" documents exactly the hooks in ganhub/hookspecs.py, with
their arguments (datasette keeps its plugin hooks and their docs in step the same way)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from ganhub import hookspecs

README = Path(__file__).resolve().parents[1] / "README.md"


def hookspec_signatures() -> dict[str, str]:
    """``name(arg, …)`` of every function marked as a ganhub hookspec."""
    specs = {}
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(function, f"{hookspecs.PROJECT}_spec"):
            specs[name] = f"{name}({', '.join(inspect.signature(function).parameters)})"
    return specs


def documented() -> dict[str, str]:
    """The ``### name(args)`` headings of the README's Hook reference section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Hook reference\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (\w+\([^)]*\))\s*$", section, flags=re.M)
    return {heading.split("(")[0]: heading for heading in headings}


def test_the_hookspecs_are_found() -> None:
    assert {"register_models", "register_commands"} <= set(hookspec_signatures())


def test_every_hook_is_documented_with_its_arguments() -> None:
    assert documented() == hookspec_signatures()


def test_every_hookspec_is_typed_and_has_a_docstring() -> None:
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if not hasattr(function, f"{hookspecs.PROJECT}_spec"):
            continue
        assert (function.__doc__ or "").strip(), f"{name} has no docstring"
        signature = inspect.signature(function)
        untyped = [p for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
        assert not untyped and signature.return_annotation is not inspect.Signature.empty, name
