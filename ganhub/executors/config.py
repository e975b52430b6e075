"""The Ray Serve settings of ``ganhub serve --ray --config serve.yaml``: a YAML file.

YAML, like Ray's own Serve config files and KubeRay's manifests (PyYAML comes with Ray).
Every key is optional; the defaults suit one machine. ``defaults`` applies to every model's
deployment, ``models.<model id>`` overrides it for one model, ``ingress`` sizes the UI
replica and ``local`` the Ray instance ganhub starts when no ``--address`` is given::

    defaults:
      min_replicas: 1             # autoscaling lower bound (0 frees an idle model)
      max_replicas: 1             # autoscaling upper bound
      target_ongoing_requests: 2  # requests per replica the autoscaler aims for
      max_ongoing_requests: 8     # requests one replica takes at once (≥ max_batch_size)
      num_cpus: 0.5               # logical CPUs reserved per replica
      num_gpus: auto              # a fraction shares one GPU; auto: 0.25 where the cluster has GPUs
      max_batch_size: 8           # @serve.batch: network calls merged into one (1 = off)
      batch_wait_timeout_s: 0.01  # how long a batch waits to fill
      request_timeout_s: 300      # a request with no answer by then fails with a message
      deploy_timeout_s: 120       # how long the first request waits for a replica to start
    models:
      realesr-animevideov3: {max_replicas: 2, num_gpus: 0.5}
    ingress:
      num_cpus: 0                 # the UI replica mostly waits on model replicas
      max_ongoing_requests: 1000  # open HTTP connections (Gradio's event streams) it holds
      max_concurrent_runs: 16     # model runs the UI has in flight at once
    local:
      num_cpus: null              # CPUs of the local Ray instance (null: all of them)
      num_gpus: null
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ganhub.errors import GanhubError

AUTO = "auto"
AUTO_GPU_FRACTION = 0.25


@dataclass(frozen=True)
class DeploymentConfig:
    """How one model is deployed: replicas, resources, batching, time limits."""

    min_replicas: int = 1
    max_replicas: int = 1
    target_ongoing_requests: float = 2.0
    max_ongoing_requests: int = 8
    num_cpus: float = 0.5
    num_gpus: float | str = AUTO
    max_batch_size: int = 8
    batch_wait_timeout_s: float = 0.01
    request_timeout_s: float = 300.0
    deploy_timeout_s: float = 120.0

    def autoscaling_config(self) -> dict[str, Any]:
        """Ray Serve's ``autoscaling_config`` (used with ``num_replicas="auto"``)."""
        return {"min_replicas": self.min_replicas, "max_replicas": self.max_replicas,
                "initial_replicas": max(self.min_replicas, 1),
                "target_ongoing_requests": self.target_ongoing_requests}

    def ray_actor_options(self, cluster_gpus: float) -> dict[str, Any]:
        """Ray's ``ray_actor_options``, with ``num_gpus: auto`` resolved for this cluster."""
        gpus = self.num_gpus
        if gpus == AUTO:
            gpus = AUTO_GPU_FRACTION if cluster_gpus > 0 else 0.0
        return {"num_cpus": self.num_cpus, "num_gpus": gpus}


@dataclass(frozen=True)
class IngressConfig:
    """The UI replica: the Gradio app mounted on FastAPI, one replica (Gradio's queue is per process)."""

    num_cpus: float = 0.0
    max_ongoing_requests: int = 1000
    max_concurrent_runs: int = 16


@dataclass(frozen=True)
class LocalConfig:
    """The Ray instance ganhub starts itself when no ``--address`` is given."""

    num_cpus: int | None = None
    num_gpus: int | None = None


@dataclass(frozen=True)
class ServeConfig:
    """All of the file: model defaults, per-model overrides, ingress and local instance."""

    defaults: DeploymentConfig = field(default_factory=DeploymentConfig)
    models: dict[str, DeploymentConfig] = field(default_factory=dict)
    ingress: IngressConfig = field(default_factory=IngressConfig)
    local: LocalConfig = field(default_factory=LocalConfig)
    source: str = "defaults"

    def for_model(self, model_id: str) -> DeploymentConfig:
        """The deployment settings of ``model_id`` (its override, else the defaults)."""
        return self.models.get(model_id, self.defaults)


def load_config(path: str | Path | None) -> ServeConfig:
    """Read and check ``path`` (None: the defaults); every mistake is a GanhubError with the fix."""
    if path is None:
        return ServeConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GanhubError(f"cannot read the Ray Serve config {path} ({exc.strerror})",
                          fix="pass an existing YAML file with --config") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "config") -> ServeConfig:
    """The ServeConfig that YAML ``text`` describes (``source`` names it in errors)."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise GanhubError(f"{source} is not valid YAML{where}",
                          why=str(getattr(exc, "problem", "") or exc),
                          fix="fix the YAML syntax (indent with spaces, `key: value`)") from None
    _expect_mapping(data, source, "the file")
    _check_keys(data, {"defaults", "models", "ingress", "local"}, source, "the top level")
    defaults = _section(DeploymentConfig(), data.get("defaults"), source, "defaults")
    models = _model_sections(defaults, data.get("models"), source)
    config = ServeConfig(defaults, models, _section(IngressConfig(), data.get("ingress"), source, "ingress"),
                         _section(LocalConfig(), data.get("local"), source, "local"), source)
    for name, deployment in [("defaults", defaults), *((f"models.{k}", v) for k, v in models.items())]:
        _check_deployment(deployment, source, name)
    return config


def _model_sections(defaults: DeploymentConfig, data: Any, source: str) -> dict[str, DeploymentConfig]:
    if data is None:
        return {}
    _expect_mapping(data, source, "models")
    return {str(model_id): _section(defaults, value, source, f"models.{model_id}")
            for model_id, value in data.items()}


def _expect_mapping(data: Any, source: str, where: str) -> None:
    if not isinstance(data, dict):
        raise GanhubError(f"{where} in {source} must be a mapping of keys to values",
                          fix="write `key: value` lines (see the README's Ray Serve section)")


def _check_keys(data: dict[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise GanhubError(f"unknown key '{unknown[0]}' in {where} of {source}",
                          fix=f"use one of: {', '.join(sorted(allowed))}")


def _section(base: Any, data: Any, source: str, where: str) -> Any:
    """``base`` with the values of mapping ``data`` (checked against the field types)."""
    if data is None:
        return base
    _expect_mapping(data, source, where)
    kinds = {f.name: f.type for f in fields(base)}
    _check_keys(data, set(kinds), source, where)
    return replace(base, **{key: _value(value, kinds[key], source, f"{where}.{key}")
                            for key, value in data.items()})


def _value(value: Any, kind: str, source: str, where: str) -> Any:
    """``value`` converted to the field's type (``kind``: its annotation, as text)."""
    if value is None and "None" in kind:
        return None
    if value == AUTO and "str" in kind:
        return AUTO
    number = float if kind.startswith("float") else int
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (number is int and value != int(value)):
        expected = "a whole number" if number is int else "a number"
        raise GanhubError(f"{where} in {source} is {value!r}; it must be {expected}"
                          + (" or auto" if "str" in kind else ""), fix=f"set {where} to {expected}")
    if value < 0:
        raise GanhubError(f"{where} in {source} is {value}; it must not be negative", fix=f"set {where} to 0 or more")
    return number(value)


def _check_deployment(config: DeploymentConfig, source: str, where: str) -> None:
    if config.min_replicas > config.max_replicas:
        raise GanhubError(f"{where} in {source}: min_replicas ({config.min_replicas}) is above "
                          f"max_replicas ({config.max_replicas})", fix="make min_replicas ≤ max_replicas")
    if config.max_replicas < 1 or config.max_batch_size < 1 or config.max_ongoing_requests < 1:
        raise GanhubError(f"{where} in {source}: max_replicas, max_batch_size and max_ongoing_requests "
                          "must be at least 1", fix="set them to 1 or more (max_batch_size: 1 turns batching off)")
    if config.max_ongoing_requests < config.max_batch_size:
        raise GanhubError(f"{where} in {source}: max_ongoing_requests ({config.max_ongoing_requests}) is "
                          f"below max_batch_size ({config.max_batch_size}), so a batch could never fill",
                          fix="make max_ongoing_requests ≥ max_batch_size")
