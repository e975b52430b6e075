"""Code a ``ganhub train`` config names as ``"package.module:attribute"``, chiefly plugin trainers.

:func:`import_named` imports any such name (trainers, degradations, feature extractors). A plugin whose network is not one of ganhub's (e.g. the watermark remover, which predicts a
mask and an alpha blend) subclasses :class:`ganhub.train.trainer.Trainer` and is named in the
config like a degradation is. It then gets everything a built-in trainer gets: config file and
``--set`` overrides, seeded and exactly resumable runs, checkpoints, sample grids, the loss
curve and the exported generator. ``ganhub publish`` and ``ganhub eval`` rebuild networks
from ganhub's own architectures, so they refuse such runs and say so.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ganhub.errors import GanhubError

if TYPE_CHECKING:
    from ganhub.train.trainer import Trainer


def is_external(model: str) -> bool:
    """True for ``"package.module:Class"`` names (built-in trainers have plain names)."""
    return ":" in model


def import_named(name: str, what: str, hint: str = "") -> Any:
    """The attribute ``"package.module:attribute"`` names; a GanhubError naming ``what`` if absent."""
    module_name, _, attribute = name.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise GanhubError(f"cannot import {what} '{name}': {exc}{hint}") from None


def resolve_trainer(name: str) -> "type[Trainer]":
    """Import the trainer class a config names; errors say what is wrong and how to fix it."""
    from ganhub.train.trainer import Trainer

    found = import_named(name, "trainer", " (is the plugin installed?)")
    if not (isinstance(found, type) and issubclass(found, Trainer)):
        raise GanhubError(f"'{name}' is not a ganhub.train.trainer.Trainer subclass")
    return found


def refuse_external(model: str, command: str) -> None:
    """Raise for ``ganhub publish`` / ``eval`` on a run made by a plugin trainer."""
    if is_external(model):
        raise GanhubError(
            f"this run was trained by the plugin trainer '{model}': `ganhub {command}` rebuilds "
            "networks from ganhub's own architectures and cannot rebuild this one; use the "
            "plugin's own tools (see its README)"
        )
