"""Errors a user can act on, as structured data.

Every error ganhub raises for bad input or unavailable weights is a ``GanhubError`` with
fields: ``message`` (what failed), ``why`` (the cause, when known), ``fix`` (what would fix
it, in words that suit any caller), ``action`` (a key naming that fix, so each interface
can say it in its own terms: the CLI names a flag, the app names a box), ``details`` (lines
a user may expand, e.g. each weight source tried) and ``context`` (values the phrasing
uses, e.g. the model id). ``str(error)`` is the plain sentence, then the details, for Python
callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class GanhubError(Exception):
    """Base class: a problem the user can fix; the fields say what, why and how."""

    def __init__(
        self,
        message: str,
        *,
        why: str = "",
        fix: str = "",
        action: str = "",
        details: Iterable[str] = (),
        **context: Any,
    ):
        self.message = message
        self.why = why
        self.fix = fix
        self.action = action
        self.details = tuple(details)
        self.context = context
        super().__init__(message)

    def __str__(self) -> str:
        return self.summary() + "".join(f"\n  - {line}" for line in self.details)

    def summary(self) -> str:
        """What failed (and why), then the plain fix: one line, without the details."""
        text = self.message + (f" ({self.why})" if self.why else "")
        return text + (f": {self.fix}" if self.fix else "")

    def fix_for(self, phrases: Mapping[str, str]) -> str:
        """The fix as an interface says it: its phrase for ``action``, else the plain ``fix``."""
        phrase = phrases.get(self.action)
        if phrase is None:
            return self.fix
        try:
            return phrase.format(**self.context)
        except (KeyError, IndexError):  # a phrase needing context this error lacks
            return self.fix


class SpecError(GanhubError, ValueError):
    """A plugin declared an invalid ModelSpec (names the plugin, model and field)."""


class PluginError(GanhubError):
    """A plugin failed to import or register."""


class WeightsError(GanhubError):
    """Weights could not be fetched, verified or read."""


class WeightsUnavailable(WeightsError):
    """No weight source worked; ``details`` lists each source and why (offline, missing, …)."""


class ImageError(GanhubError, ValueError):
    """An input image cannot be used (too large, corrupt, wrong type)."""


class UnknownModelError(GanhubError, KeyError):
    """No model with that id is registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return GanhubError.__str__(self)
