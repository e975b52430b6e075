"""What a model *is*, as frozen data: ModelSpec, Param, InputConstraints, WeightSource.

The UI, the API, the CLI and the docs of a model are generated from this data, so it is
validated when a plugin registers the model: a bad spec fails there, with a message naming
the model and the field, rather than later in a tab nobody can open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ganhub.errors import GanhubError, SpecError

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


_TASK = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Task:
    """Names of the tasks ganhub knows. A task is an open string: a plugin may declare any
    lowercase slug ("colorize", "denoise") and the app gives it a tab of its own."""

    FACE_GENERATION = "face-generation"
    PHOTO_TO_PAINTING = "photo-to-painting"
    WATERMARK_REMOVAL = "watermark-removal"
    SUPER_RESOLUTION = "super-resolution"
    OTHER = "other"
    KNOWN = (FACE_GENERATION, PHOTO_TO_PAINTING, WATERMARK_REMOVAL, SUPER_RESOLUTION)


class Kind(str, Enum):
    """How a model is called: what goes in and what comes out."""

    GENERATE = "generate"  # seed + params -> image(s)
    IMAGE_TO_IMAGE = "image-to-image"  # image + params -> image
    INPAINT = "inpaint"  # image + mask (1 = remove) + params -> image


PARAM_TYPES = ("int", "float", "bool", "choice", "str", "image")


def _loose(value: Any) -> str:
    """A value as a user might type it: lower case, no spaces, dashes or underscores."""
    return re.sub(r"[\s_-]+", "", str(value)).lower()


def _did_you_mean(value: str, options: list[str]) -> str:
    """"did you mean 'x'?" for the closest option, or "" when nothing is close."""
    import difflib

    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _fail(owner: str, name: str, problem: str) -> SpecError:
    return SpecError(f"{owner}: field '{name}' {problem}")


@dataclass(frozen=True)
class Param:
    """A typed, user-facing parameter of a model (a slider, checkbox, dropdown, …)."""

    name: str
    type: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        owner = f"param {self.name!r}"
        if not isinstance(self.name, str) or not _PARAM_NAME.match(self.name):
            raise _fail(owner, "name", "must be a lower_snake_case identifier")
        if self.type not in PARAM_TYPES:
            raise _fail(owner, "type", f"is {self.type!r}; use one of {', '.join(PARAM_TYPES)}")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.type == "choice" and not self.choices:
            raise _fail(owner, "choices", "must list the allowed values for a 'choice' param")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise _fail(owner, "minimum", f"{self.minimum} is above maximum {self.maximum}")
        if self.type != "image":
            try:
                self.coerce(self.default)
            except GanhubError as exc:
                raise _fail(owner, "default", f"is invalid: {exc}") from None

    def coerce(self, value: Any) -> Any:
        """Turn a CLI string or UI value into this param's type, or explain what is wrong."""
        if self.type == "image" or value is None and self.type == "str":
            return value
        try:
            value = self._convert(value)
        except (TypeError, ValueError):
            raise GanhubError(
                f"parameter '{self.name}' must be {self._describe()}, got {value!r}",
                fix=_did_you_mean(str(value), [str(c) for c in self.choices]),
            ) from None
        self._check_range(value)
        return value

    def _convert(self, value: Any) -> Any:
        if self.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if self.type == "float":
            return float(value)
        if self.type == "bool":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return lowered in ("true", "1", "yes")
            if not isinstance(value, (bool, int)):
                raise TypeError(value)
            return bool(value)
        if self.type == "choice":
            return self._match_choice(value)
        return str(value)

    def _match_choice(self, value: Any) -> Any:
        """The choice ``value`` names: exactly, ignoring case/spaces/dashes, or as the one
        choice whose last word it is (``7`` for ``"style 7"``). Never a guess between two."""
        for choice in self.choices:
            if value == choice or str(value) == str(choice):
                return choice
        key = _loose(value)
        for matches in ([c for c in self.choices if _loose(c) == key],
                        [c for c in self.choices if _loose(str(c).split()[-1] if str(c).split() else c) == key]):
            if len(matches) == 1:
                return matches[0]
        raise ValueError(value)

    def _check_range(self, value: Any) -> None:
        if self.type not in ("int", "float"):
            return
        if self.minimum is not None and value < self.minimum or (
            self.maximum is not None and value > self.maximum
        ):
            raise GanhubError(
                f"parameter '{self.name}' is {value}, outside {self.minimum}..{self.maximum}"
            )

    def _describe(self) -> str:
        if self.type == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        return {"int": "an integer", "float": "a number", "bool": "true or false"}.get(
            self.type, "a string"
        )


@dataclass(frozen=True)
class InputConstraints:
    """What an input image must satisfy; the host pads, tiles and refuses accordingly."""

    multiple_of: int = 1  # the network needs H and W divisible by this (host pads, crops back)
    min_side: int = 1  # smaller inputs are refused
    max_pixels: int = 16_000_000  # larger inputs are refused (tiling keeps memory bounded)
    scale: int = 1  # output side = input side * scale

    def __post_init__(self) -> None:
        for name in ("multiple_of", "min_side", "max_pixels", "scale"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _fail("constraints", name, f"must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class WeightSource:
    """One place weights may come from; a spec lists them in order, first that works wins.

    ``uri`` is ``hf://owner/repo/path@<40-hex commit>``, ``pkg://distribution/path`` or a
    local path. ``companions`` are files fetched from the same place beside the main one
    (an ncnn ``.bin`` next to its ``.param``).
    """

    uri: str
    sha256: str | None = None
    size: int | None = None
    companions: tuple[str, ...] = ()
    note: str = ""
    user_supplied: bool = False  # given by a user at run time: a branch is allowed (then locked)

    def __post_init__(self) -> None:
        owner = f"weights {self.uri!r}"
        if not isinstance(self.uri, str) or not self.uri.strip():
            raise _fail("weights", "uri", "must be a non-empty string")
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise _fail(owner, "sha256", "must be 64 lowercase hex characters")
        object.__setattr__(self, "companions", tuple(self.companions))
        if self.uri.startswith("hf://") and not self.user_supplied:
            _, _, revision = self.uri[5:].partition("@")
            if not _COMMIT.match(revision):
                raise _fail(
                    owner, "uri", "must pin a full 40-character commit (…@<commit>), not a branch"
                )


@dataclass(frozen=True)
class ModelSpec:
    """Everything the host needs to know about a model, as data."""

    id: str
    title: str
    task: str  # an open slug; Task names the known ones
    license: str
    description: str
    weights: tuple[WeightSource, ...] = ()
    params: tuple[Param, ...] = ()
    constraints: InputConstraints = field(default_factory=InputConstraints)
    tileable: bool = False
    onnx_exportable: bool = True
    onnx_note: str = ""  # why it is not exportable, or what to know about the export
    # Non-empty: this model never runs as an int8 graph, and why. For networks whose int8 error
    # parity cannot see (it passes 35 dB on whole images while costing quality where the model
    # works); ``auto`` then skips int8 and ``ganhub export --int8`` refuses, both with this reason.
    int8_note: str = ""
    accepts_user_weights: bool = False  # `--weights` may replace the sources (bring your own)
    license_url: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        owner = f"model {self.id!r}"
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise _fail(owner, "id", "must be 2-64 chars of a-z, 0-9, '.', '_', '-'")
        for name in ("title", "license", "description"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise _fail(owner, name, "must be a non-empty string")
        if not isinstance(self.task, str) or not _TASK.match(self.task):
            raise _fail(owner, "task", f"is {self.task!r}; use a lowercase slug such as "
                        f"'super-resolution' or 'colorize' (known: {', '.join(Task.KNOWN)})")
        self._check_tuple(owner, "weights", WeightSource)
        self._check_tuple(owner, "params", Param)
        object.__setattr__(self, "tags", tuple(self.tags))
        if not isinstance(self.constraints, InputConstraints):
            raise _fail(owner, "constraints", "must be an InputConstraints")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise _fail(owner, "params", f"has duplicate names: {names}")
        if not self.weights and not self.accepts_user_weights:
            raise _fail(owner, "weights", "lists no source (set accepts_user_weights for BYO)")
        if not self.onnx_exportable and not self.onnx_note.strip():
            raise _fail(owner, "onnx_note", "must say why the model is not ONNX-exportable")

    def _check_tuple(self, owner: str, name: str, item_type: type) -> None:
        items = getattr(self, name)
        if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
            raise _fail(owner, name, f"must be a sequence of {item_type.__name__}")
        items = tuple(items)
        for item in items:
            if not isinstance(item, item_type):
                raise _fail(owner, name, f"holds {item!r}, not a {item_type.__name__}")
        object.__setattr__(self, name, items)

    def param(self, name: str) -> Param:
        """The param called ``name`` (GanhubError listing the known ones otherwise)."""
        for param in self.params:
            if param.name == name:
                return param
        names = [p.name for p in self.params]
        raise GanhubError(f"model '{self.id}' has no parameter '{name}' (it has: {', '.join(names) or 'none'})",
                          fix=_did_you_mean(name, names))

    def resolve_params(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``given`` values, each coerced and range-checked."""
        values = {p.name: p.default for p in self.params}
        for name, value in (given or {}).items():
            values[name] = self.param(name).coerce(value)
        return values


TILE_PARAM, OVERLAP_PARAM = "tile", "tile_overlap"


def tiling_params(tile: int = 256, overlap: int = 16, max_tile: int = 2048) -> tuple[Param, Param]:
    """The standard tile-size and overlap params for a tileable model's spec."""
    return (
        Param(
            TILE_PARAM, "int", tile, 0, max_tile, 32,
            help="tile size in input pixels (0 = whole image at once; smaller uses less memory). Left out "
                 "of a CLI run or an Engine.run call: the largest that fits free memory, for architectures "
                 "ganhub has measured",
        ),
        Param(
            OVERLAP_PARAM, "int", overlap, 0, 128, 4,
            help="context each tile sees beyond a seam (neighbours share 2× this, feathered)",
        ),
    )
