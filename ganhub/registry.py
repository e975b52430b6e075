"""Plugin discovery and the model registry.

Plugins are Python distributions declaring ``[project.entry-points.ganhub]``. Each is
imported, registered with pluggy and asked for its models on its own: an exception at
import or registration disables that plugin only, with its traceback recorded for
``ganhub list`` and the app's Models tab. A plugin's models are accepted all together or
not at all. There is no global registry: callers build one (``Registry.discover()``).
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pluggy

from ganhub import hookspecs
from ganhub.errors import PluginError, SpecError, UnknownModelError
from ganhub.model import Model
from ganhub.spec import ModelSpec, Task

ENTRY_POINT_GROUP = "ganhub"


@dataclass
class PluginRecord:
    """What happened to one plugin: loaded, broken (with why) or left out by the allowlist."""

    name: str
    distribution: str = ""
    version: str = ""
    status: str = "ok"  # ok | broken | disabled
    error: str = ""
    traceback: str = ""
    models: list[str] = field(default_factory=list)


def _env_allowlist() -> set[str] | None:
    raw = os.environ.get("GANHUB_PLUGINS", "").strip()
    return {name.strip() for name in raw.split(",") if name.strip()} if raw else None


def _env_strict() -> bool:
    return os.environ.get("GANHUB_STRICT", "").strip().lower() in ("1", "true", "yes")


class Registry:
    """Models by id, and a record of every plugin seen, good or broken."""

    def __init__(self, *, allow: Iterable[str] | None = None, strict: bool | None = None):
        self.allow = set(allow) if allow is not None else _env_allowlist()
        self.strict = _env_strict() if strict is None else strict
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.plugin_manager.add_hookspecs(hookspecs)
        self._models: dict[str, Model] = {}
        self._owner: dict[str, str] = {}
        self.plugins: dict[str, PluginRecord] = {}

    @classmethod
    def discover(cls, **kwargs: Any) -> "Registry":
        """A registry holding every installed plugin's models."""
        registry = cls(**kwargs)
        # Sorted so that which of two clashing plugins wins does not depend on sys.path order.
        for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            registry._load_entry_point(entry_point)
        return registry

    # -- loading ---------------------------------------------------------------------------
    def _load_entry_point(self, entry_point: metadata.EntryPoint) -> None:
        dist = entry_point.dist
        record = PluginRecord(
            name=entry_point.name,
            distribution=dist.metadata["Name"] if dist else "",
            version=dist.version if dist else "",
        )
        if self.allow is not None and not {record.name, record.distribution} & self.allow:
            record.status, record.error = "disabled", "not in GANHUB_PLUGINS allowlist"
            self.plugins[record.name] = record
            return
        self._guarded(record, lambda: self._register_plugin(entry_point.load(), record))

    @classmethod
    def from_models(cls, *models: Model, name: str = "models", strict: bool = True) -> "Registry":
        """A registry holding just ``models``, no discovery (published models, notebooks, tests).

        Strict by default: a bad spec or a clash of ids raises here instead of being recorded.
        """
        registry = cls(allow=set(), strict=strict)
        registry.add_plugin(_ModelList(models), name)
        return registry

    def add_plugin(self, plugin: Any, name: str) -> PluginRecord:
        """Register an already-imported plugin object or module (tests, notebooks)."""
        record = PluginRecord(name=name)
        self._guarded(record, lambda: self._register_plugin(plugin, record))
        return record

    def _guarded(self, record: PluginRecord, action: Callable[[], None]) -> None:
        if record.name in self.plugins:
            record.status = "broken"
            record.error = f"a plugin named '{record.name}' is already loaded"
            self.plugins[f"{record.name} ({record.distribution or 'duplicate'})"] = record
            return
        self.plugins[record.name] = record
        try:
            action()
        except Exception as exc:  # one plugin's failure must not break the host
            if self.strict:
                raise
            record.status = "broken"
            record.error = f"{type(exc).__name__}: {exc}"
            record.traceback = traceback.format_exc()
            self._forget(record)

    def _register_plugin(self, plugin: Any, record: PluginRecord) -> None:
        self.plugin_manager.register(plugin, name=record.name)
        staged: dict[str, Model] = {}

        def register(model: Model) -> None:
            self._validate(model, record.name, staged)
            staged[model.spec.id] = model

        for impl in self.plugin_manager.hook.register_models.get_hookimpls():
            if impl.plugin_name == record.name:
                impl.function(register=register)
        self._models.update(staged)  # all or nothing: only reached when every model was valid
        self._owner.update({model_id: record.name for model_id in staged})
        record.models = list(staged)

    def _validate(self, model: Any, plugin: str, staged: dict[str, Model]) -> None:
        if not isinstance(model, Model):
            raise SpecError(f"plugin '{plugin}': register() got {model!r}, not a ganhub Model")
        spec = getattr(model, "spec", None)
        if not isinstance(spec, ModelSpec):
            raise SpecError(f"plugin '{plugin}': {type(model).__name__}.spec is not a ModelSpec")
        if spec.id in staged or spec.id in self._models:
            owner = self._owner.get(spec.id, plugin)
            raise SpecError(
                f"plugin '{plugin}': model id '{spec.id}' is already registered by '{owner}'"
            )

    def _forget(self, record: PluginRecord) -> None:
        if self.plugin_manager.has_plugin(record.name):
            self.plugin_manager.unregister(name=record.name)
        record.models = []

    # -- queries ---------------------------------------------------------------------------
    def get(self, model_id: str) -> Model:
        """The model registered as ``model_id``."""
        try:
            return self._models[model_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(model_id, list(self._models), n=1, cutoff=0.6)
            known = ", ".join(sorted(self._models)) or "none installed"
            raise UnknownModelError(
                f"no model '{model_id}'" + ("" if close else f" (known: {known})"),
                fix=f"did you mean '{close[0]}'?" if close else "", action="" if close else "list-models",
            ) from None

    def models(self) -> list[Model]:
        """Every model, ordered by task (the known tasks first, then others by name), then id."""
        return sorted(self._models.values(), key=lambda m: (task_order(m.spec.task), m.spec.id))

    def plugin_of(self, model_id: str) -> str:
        """Name of the plugin that registered ``model_id``."""
        return self._owner[model_id]

    def broken(self) -> list[PluginRecord]:
        """Plugins that failed to import or register."""
        return [record for record in self.plugins.values() if record.status == "broken"]

    def call_hook(self, name: str, **kwargs: Any) -> None:
        """Call hook ``name`` on every healthy plugin, isolating failures like loading does."""
        for impl in getattr(self.plugin_manager.hook, name).get_hookimpls():
            record = self.plugins.get(impl.plugin_name)
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception as exc:
                if self.strict:
                    raise
                if record is not None:
                    record.status, record.error = "broken", f"{name}: {type(exc).__name__}: {exc}"
                    record.traceback = traceback.format_exc()

    def require_ok(self) -> None:
        """Raise if any plugin is broken (used by strict tooling and tests)."""
        if self.broken():
            raise PluginError("; ".join(f"{r.name}: {r.error}" for r in self.broken()))


def task_order(task: str) -> tuple[int, str]:
    """Sort key of a task: the known tasks in the app's order, then any other by name."""
    known = Task.KNOWN.index(task) if task in Task.KNOWN else len(Task.KNOWN)
    return known, "~" if task == Task.OTHER else task  # "other" goes last


class _ModelList:
    """A plugin object registering a fixed list of models (see Registry.from_models)."""

    def __init__(self, models: tuple[Model, ...]):
        self.models = models

    @hookspecs.hookimpl
    def register_models(self, register: Callable[[Model], None]) -> None:
        for model in self.models:
            register(model)
