"""A training run's settings: one flat dataclass, loaded from YAML or TOML plus ``key=value`` overrides.

Flat on purpose: every setting is addressable as ``--set name=value`` without a path syntax,
and the whole config round-trips through JSON into checkpoints and published ``config.json``.
Precedence, lowest first: dataclass defaults < per-model defaults < config file < overrides.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganhub.errors import GanhubError
from ganhub.train.external import is_external

MODELS = ("dcgan", "wgan-gp", "pix2pix")
MODEL_FIX = f"use one of {', '.join(MODELS)}, or a plugin's trainer as 'package.module:TrainerClass'"

# Settings that differ by algorithm: WGAN-GP's critic must not use BatchNorm (the penalty is
# per sample) and its paper uses Adam(0.5, 0.9) at 1e-4 (with β1 = 0; 0.5 is the common, stable
# variant); pix2pix uses the 70×70 PatchGAN at full size and L1 weight 100.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "dcgan": {},
    "wgan-gp": {"lr_g": 1e-4, "lr_d": 1e-4, "beta2": 0.9, "d_norm": "none", "n_critic": 5},
    "pix2pix": {"d_norm": "batch", "l1_weight": 100.0},
}

# Keys each algorithm ignores (left out of model cards so they describe what was used).
UNUSED_KEYS: dict[str, frozenset[str]] = {
    "dcgan": frozenset({"unet_depth", "d_layers", "dropout", "residual", "l1_weight", "degradation", "gp_weight",
                        "adv_weight"}),
    "wgan-gp": frozenset({"unet_depth", "d_layers", "dropout", "residual", "l1_weight", "degradation",
                          "label_smoothing", "adv_weight"}),
    "pix2pix": frozenset({"latent_dim", "gp_weight"}),
}

# Keys that may change when a run is resumed: they do not alter the optimisation trajectory.
RESUMABLE_KEYS = frozenset(
    {"steps", "sample_every", "checkpoint_every", "log_every", "device", "threads", "title",
     "description", "license", "task", "val_data"}
)


@dataclass
class TrainConfig:
    """Every setting of a run; see the field comments (the model card lists them too)."""

    model: str = "dcgan"  # dcgan | wgan-gp | pix2pix | a plugin's "package.module:TrainerClass"
    data: str = ""  # folder of training images (read recursively)
    val_data: str = ""  # held-out folder for `ganhub eval` (default: data)
    image_size: int = 32  # training crop side (power of two for dcgan / wgan-gp)
    load_size: int = 0  # resize so the short side is this before cropping (0: keep size)
    flip: bool = True  # random horizontal flips
    batch_size: int = 16
    steps: int = 1000  # generator updates
    seed: int = 0
    # networks
    latent_dim: int = 64
    g_channels: int = 32  # width of the generator's last (widest-resolution) block
    d_channels: int = 32  # width of the discriminator's first block
    d_norm: str = "batch"  # batch | instance | none (WGAN-GP: none)
    unet_depth: int = 4  # pix2pix: number of down-sampling steps (input multiple of 2**depth)
    d_layers: int = 3  # pix2pix PatchGAN: stride-2 layers (3 = the paper's 70×70 patches)
    dropout: float = 0.0  # pix2pix decoder dropout (the paper's 0.5 as noise; 0 learns faster)
    residual: bool = True  # pix2pix: output = input + U-Net correction, starting as the identity
    # optimisation
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    label_smoothing: float = 0.0  # one-sided: real targets are 1 - this
    ema: float = 0.0  # decay of the generator's weight average (0: off; e.g. 0.999)
    n_critic: int = 1  # discriminator updates per generator update (WGAN-GP: 5)
    gp_weight: float = 10.0  # WGAN-GP gradient-penalty weight λ
    l1_weight: float = 100.0  # pix2pix L1 weight λ
    adv_weight: float = 1.0  # weight of the adversarial term in an image-to-image generator's loss
    degradation: str = "color-shift"  # pix2pix: built-in name or "package.module:callable"
    init: str = ""  # start the generator from these weights (.safetensors), e.g. an earlier stage's export
    # run management
    device: str = "cpu"  # cpu | cuda | cuda:N | auto
    amp: bool = True  # mixed precision, used on CUDA only
    threads: int = 0  # CPU intra-op threads (0: torch's default); 1 is fastest for small models on busy CPUs
    sample_every: int = 100
    checkpoint_every: int = 500
    log_every: int = 10  # progress-bar refresh
    sample_count: int = 16  # images in each sample grid
    # publishing
    title: str = ""
    description: str = ""
    license: str = "other"  # of the trained weights: the training data's terms apply
    task: str = "other"  # ganhub Task of the published model

    def validate(self) -> "TrainConfig":
        """Check values together; raises GanhubError naming the key and the fix."""
        if self.model not in MODELS and not is_external(self.model):
            raise _bad("model", self.model, MODEL_FIX)
        if self.threads < 0:
            raise _bad("threads", self.threads, "use 0 (torch's default) or a positive count")
        for name in ("image_size", "batch_size", "steps", "latent_dim", "g_channels", "d_channels",
                     "n_critic", "sample_every", "checkpoint_every", "log_every", "sample_count"):
            if getattr(self, name) < 1:
                raise _bad(name, getattr(self, name), "must be at least 1")
        self._check_size()
        if not 0.0 <= self.label_smoothing < 0.5:
            raise _bad("label_smoothing", self.label_smoothing, "use 0 (off) up to about 0.2")
        if not 0.0 <= self.ema < 1.0:
            raise _bad("ema", self.ema, "is a decay in [0, 1): 0 turns it off, 0.999 is typical")
        if self.d_norm not in ("batch", "instance", "none"):
            raise _bad("d_norm", self.d_norm, "use batch, instance or none")
        if self.model == "wgan-gp" and self.d_norm == "batch":
            raise _bad("d_norm", "batch", "breaks WGAN-GP's per-sample penalty: use none or instance")
        return self

    def _check_size(self) -> None:
        size = self.image_size
        if is_external(self.model):  # the plugin's trainer checks its own constraints
            if size < 16:
                raise _bad("image_size", size, "must be at least 16")
        elif self.model == "pix2pix":
            if size % 2**self.unet_depth or self.unet_depth < 1:
                raise _bad("image_size", size, f"must be a multiple of 2**unet_depth = {2**self.unet_depth}")
            if size // 2**self.d_layers < 3:  # the PatchGAN's two last 4×4 convs need 3 px left
                raise _bad("d_layers", self.d_layers, f"is too deep for {size} px crops: use at most "
                           f"{max(1, (size // 3).bit_length() - 1)}")
        elif size < 16 or size & (size - 1):
            raise _bad("image_size", size, "must be a power of two ≥ 16 for dcgan / wgan-gp")
        if self.load_size and self.load_size < size:
            raise _bad("load_size", self.load_size, f"must be 0 or at least image_size ({size})")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return dataclasses.asdict(self)

    def trajectory_differences(self, other: "TrainConfig", also: frozenset[str] = frozenset()) -> list[str]:
        """Keys whose values differ and that would change the training trajectory.

        ``also``: resumable keys that a (plugin) trainer's trajectory depends on all the same.
        """
        mine, theirs = self.to_dict(), other.to_dict()
        return [k for k in mine if (k not in RESUMABLE_KEYS or k in also) and mine[k] != theirs[k]]


def _bad(name: str, value: Any, fix: str) -> GanhubError:
    return GanhubError(f"config key '{name}' is {value!r}: {fix}")


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(TrainConfig)


def coerce_value(name: str, value: Any) -> Any:
    """``value`` (a file value or an override string) as the type of config key ``name``."""
    types_by_name = _field_types()
    if name not in types_by_name:
        close = difflib.get_close_matches(name, types_by_name, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise GanhubError(f"unknown config key '{name}'{hint}; known keys: {', '.join(types_by_name)}")
    kind = types_by_name[name]
    try:
        return _convert(kind, value)
    except (TypeError, ValueError):
        raise GanhubError(f"config key '{name}' must be {kind.__name__}, got {value!r}") from None


def _convert(kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(value)
            return lowered in ("true", "1", "yes", "on")
        if not isinstance(value, (bool, int)):
            raise TypeError(value)
        return bool(value)
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(float(value)) if isinstance(value, str) and "e" in value.lower() else int(value)
    if kind is float:
        return float(value)
    if isinstance(value, (dict, list)):
        raise TypeError(value)
    return str(value)


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in a ``.yaml``/``.yml``, ``.toml`` or ``.json`` file."""
    if not path.is_file():
        raise GanhubError(f"config file '{path}' does not exist")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        data: Any = tomllib.loads(text)
    elif suffix in (".yaml", ".yml"):
        data = _load_yaml(text, path)
    elif suffix == ".json":
        data = json.loads(text)
    else:
        raise GanhubError(f"config file '{path}': use .yaml, .yml, .toml or .json")
    if not isinstance(data, dict):
        raise GanhubError(f"config file '{path}' must hold a mapping of key: value")
    return data


def _load_yaml(text: str, path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise GanhubError(f"reading {path.name} needs PyYAML (pip install pyyaml), or use TOML") from None
    return yaml.safe_load(text) or {}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["lr_g=1e-4", "ema=0.999"]`` → a mapping (values coerced later, by key)."""
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise GanhubError(f"--set takes KEY=VALUE, got {pair!r}")
        parsed[name.strip()] = value.strip()
    return parsed


def make_config(values: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """A validated config from file values and overrides, with the model's defaults between."""
    layered = {**(values or {}), **(overrides or {})}
    model = str(layered.get("model", TrainConfig.model))
    if is_external(model):
        from ganhub.train.external import resolve_trainer

        defaults = dict(resolve_trainer(model).defaults)
    elif model in MODELS:
        defaults = MODEL_DEFAULTS[model]
    else:
        raise _bad("model", model, MODEL_FIX)
    merged: dict[str, Any] = dict(defaults)
    merged.update(layered)
    return TrainConfig(**{name: coerce_value(name, value) for name, value in merged.items()}).validate()


def load_config(path: Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read ``path`` (may be None: defaults only) and apply ``--set key=value`` overrides."""
    values = read_config_file(path) if path is not None else {}
    return make_config(values, parse_overrides(overrides or []))


def config_from_dict(values: dict[str, Any]) -> TrainConfig:
    """A config saved by :meth:`TrainConfig.to_dict` (unknown keys refused)."""
    return TrainConfig(**{name: coerce_value(name, value) for name, value in values.items()}).validate()


__all__ = ["UNUSED_KEYS", "TrainConfig", "load_config", "make_config", "config_from_dict", "parse_overrides",
           "read_config_file", "MODELS", "RESUMABLE_KEYS"]
