"""What to send: the model endpoints read from the app's /config, good calls and bad ones.

A model endpoint is an event whose button has the elem_id ``run-<api_name>``; it can run
offline when its tab shows no banner (``banner-<api_name>``: needs download, bring your own
weights). Good calls use every widget's default with a small seeded picture (or seed);
bad calls break one input the way an API client can and a browser cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganhub.selfcheck import inputs
from ganhub.selfcheck.client import FILE_META, Upload

FILE_KINDS = ("image", "imageeditor")
NUMBER_KINDS = ("slider", "number")
CHOICE_KINDS = ("radio", "dropdown")
GENERIC = ("upstream Gradio app has raised an exception", "failed unexpectedly", "Traceback")


@dataclass(frozen=True)
class Widget:
    """One input of an endpoint, as /config describes its component."""

    kind: str
    label: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """A model's API endpoint: its name, queue index, inputs, and whether it runs offline."""

    name: str
    fn_index: int
    widgets: tuple[Widget, ...]
    ready: bool

    def first(self, kinds: tuple[str, ...]) -> int | None:
        """Index of the first widget of one of ``kinds``, or None."""
        return next((i for i, w in enumerate(self.widgets) if w.kind in kinds), None)


@dataclass(frozen=True)
class Call:
    """One request: where, what, and whether it is meant to succeed."""

    endpoint: Endpoint
    data: list[Any]
    good: bool
    label: str


def _widget(component: dict[str, Any]) -> Widget:
    props = component.get("props", {})
    choices = tuple(c[1] if isinstance(c, (list, tuple)) else c for c in props.get("choices") or ())
    return Widget(component.get("type", ""), str(props.get("label") or ""), props.get("value"),
                  props.get("minimum"), props.get("maximum"), choices)


def _elem_ids(config: dict[str, Any]) -> set[str]:
    return {str(c.get("props", {}).get("elem_id") or "") for c in config.get("components", [])}


# Endpoints with a run button that are not one model: the Compare tab runs the models a caller
# picks (its defaults may need downloads), so it is fuzzed and probed but not in the good mix.
NOT_ONE_MODEL = ("compare",)


def discover(config: dict[str, Any]) -> list[Endpoint]:
    """Every model endpoint of the app described by ``config`` (the JSON of /config).

    ``ready``: the endpoint runs one model that works offline (no banner on its tab).
    """
    components = {c["id"]: c for c in config.get("components", [])}
    elem_ids = _elem_ids(config)
    found = []
    for index, dep in enumerate(config.get("dependencies", [])):
        name = dep.get("api_name")
        if name and f"run-{name}" in elem_ids and dep.get("api_visibility", "public") == "public":
            widgets = tuple(_widget(components[i]) for i in dep.get("inputs", []))
            ready = f"banner-{name}" not in elem_ids and name not in NOT_ONE_MODEL
            found.append(Endpoint(name, dep.get("id", index), widgets, ready))
    return found


# -- good calls ----------------------------------------------------------------------------
def _editor(background: Any, layers: list[Any] | None = None) -> dict[str, Any]:
    return {"background": background, "layers": layers or [], "composite": None, "id": None}


def _good_value(widget: Widget, variant: int) -> Any:
    if widget.kind == "image":
        return Upload(f"photo{variant}.png", inputs.photo(variant))
    if widget.kind == "imageeditor":
        return _editor(Upload(f"photo{variant}.png", inputs.photo(variant)), [Upload("stroke.png", inputs.stroke())])
    if widget.kind == "number":
        value = (widget.default or 0) + variant
        return value if widget.maximum is None or value <= widget.maximum else widget.default
    return "" if widget.kind == "textbox" and widget.default is None else widget.default


def good_call(endpoint: Endpoint, variant: int) -> Call:
    """A request that must succeed: defaults, with picture (or seed) number ``variant``."""
    data = [_good_value(widget, variant) for widget in endpoint.widgets]
    return Call(endpoint, data, True, f"{endpoint.name} #{variant}")


# -- bad calls -----------------------------------------------------------------------------
def _replace(call: Call, index: int | None, value: Any, label: str) -> Call | None:
    if index is None:
        return None
    data = list(call.data)
    data[index] = _editor(value) if call.endpoint.widgets[index].kind == "imageeditor" else value
    return Call(call.endpoint, data, False, label)


def _file(make: Callable[[], Any], label: str) -> Callable[[Call], Call | None]:
    return lambda call: _replace(call, call.endpoint.first(FILE_KINDS), make(), label)


def _number(make: Callable[[Widget], Any], label: str) -> Callable[[Call], Call | None]:
    def bad(call: Call) -> Call | None:
        index = call.endpoint.first(NUMBER_KINDS)
        value = None if index is None else make(call.endpoint.widgets[index])
        return None if value is None else _replace(call, index, value, label)

    return bad


def _too_large(widget: Widget) -> Any:
    return None if widget.maximum is None else widget.maximum * 10 + 1


def _too_few(call: Call) -> Call:
    return Call(call.endpoint, call.data[:-1], False, "one input missing")


BAD_KINDS: tuple[Callable[[Call], Call | None], ...] = (
    _file(lambda: Upload("notes.png", inputs.corrupt()), "corrupt file"),
    _file(lambda: Upload("half.png", inputs.truncated()), "truncated PNG"),
    _file(lambda: Upload("huge.png", inputs.huge()), "12000×12000 image"),
    _file(lambda: {"path": "/etc/passwd", "meta": FILE_META}, "server path as file"),
    _file(lambda: 12, "number as file"),
    _file(lambda: None, "no image"),
    _number(lambda w: "abc", "word for a number"),
    _number(_too_large, "number over its maximum"),
    _number(lambda w: float("nan"), "NaN"),
    lambda call: _replace(call, call.endpoint.first(CHOICE_KINDS), "no-such-choice", "unknown choice"),
    _too_few,
)


def bad_calls(endpoint: Endpoint) -> list[Call]:
    """Every bad call that applies to ``endpoint``."""
    base = good_call(endpoint, 0)
    return [call for make in BAD_KINDS if (call := make(base)) is not None]


def clear_error(message: str | None) -> bool:
    """Whether an error message tells the caller something (not a bare or generic "Error")."""
    text = (message or "").strip()
    return len(text) >= 12 and not any(generic in text for generic in GENERIC)
