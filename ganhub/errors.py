"""Errors a user can act on.

Every error ganhub raises for bad input or unavailable weights is a ``GanhubError``: its
message names the problem and the fix, so the CLI and the app can show it as is.
"""

from __future__ import annotations


class GanhubError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class SpecError(GanhubError, ValueError):
    """A plugin declared an invalid ModelSpec (names the plugin, model and field)."""


class PluginError(GanhubError):
    """A plugin failed to import or register."""


class WeightsError(GanhubError):
    """Weights could not be fetched, verified or read."""


class ImageError(GanhubError, ValueError):
    """An input image cannot be used (too large, corrupt, wrong type)."""


class UnknownModelError(GanhubError, KeyError):
    """No model with that id is registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""
