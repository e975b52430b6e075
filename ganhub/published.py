"""Published models: a folder (or Hub repo) of ``config.json`` + safetensors that loads back as a
ganhub Model with no plugin code.

``config.json`` names a generator architecture of :mod:`ganhub.train.nets` and its constructor
arguments; the weights are verified against the sha256 it records. A DCGAN / WGAN-GP folder
becomes a :class:`ganhub.GenerateModel`, a pix2pix folder an :class:`ganhub.ImageToImageModel`,
ready for :class:`ganhub.engine.Engine`::

    model = published_model("hf://owner/name@<commit>")   # or a local folder
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ganhub.errors import GanhubError
from ganhub.model import GenerateModel, ImageToImageModel, Model
from ganhub.registry import Registry
from ganhub.spec import InputConstraints, Kind, ModelSpec, WeightSource, tiling_params

FORMAT = "ganhub-train/1"
CONFIG, WEIGHTS = "config.json", "model.safetensors"
REPO_PATTERN = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def model_id_for(name: str) -> str:
    """A valid ModelSpec id from a repo or folder name (``Owner/My GAN`` → ``my-gan``)."""
    base = name.rstrip("/").rsplit("/", 1)[-1].lower()
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-._")[:64]
    return cleaned if len(cleaned) >= 2 else f"gan-{cleaned or 'model'}"


def _build_network(config: dict[str, Any], weights: Path | None) -> Any:
    from ganhub.train.nets import UnitGenerator, UnitImageToImage, build_architecture
    from ganhub.weights import read_state_dict

    network = build_architecture(config["architecture"], config["architecture_kwargs"])
    if weights is not None:
        network.load_state_dict(read_state_dict(weights))
    wrapper = UnitImageToImage if config["kind"] == Kind.IMAGE_TO_IMAGE.value else UnitGenerator
    return wrapper(network).eval()


class PublishedGenerator(GenerateModel):
    """A published DCGAN / WGAN-GP generator: seed → standard-normal latents → images."""

    def __init__(self, spec: ModelSpec, config: dict[str, Any]):
        self.spec, self.config = spec, config
        self.latent_dim = int(config["architecture_kwargs"]["latent_dim"])

    def build(self, weights: Path | None) -> Any:
        return _build_network(self.config, weights)

    def latents(self, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((count, self.latent_dim), dtype=np.float32),)


class PublishedImageToImage(ImageToImageModel):
    """A published pix2pix U-Net: degraded image → restored image, same size."""

    def __init__(self, spec: ModelSpec, config: dict[str, Any]):
        self.spec, self.config = spec, config

    def build(self, weights: Path | None) -> Any:
        return _build_network(self.config, weights)


def model_from_config(config: dict[str, Any], weights: WeightSource, name: str) -> Model:
    """The Model a published ``config.json`` describes, loading its weights from ``weights``."""
    if config.get("format") != FORMAT:
        raise GanhubError(f"'{name}' is not a ganhub-trained model (config.json format {config.get('format')!r})")
    kind = Kind(config["kind"])
    common = dict(
        id=config.get("id") or model_id_for(name), title=config.get("title") or name,
        task=config.get("task", "other"), license=config.get("license") or "other",
        description=config.get("description") or f"{config['model']} trained with ganhub",
        weights=(weights,), tags=("ganhub-train", config["model"]),
    )
    if kind == Kind.GENERATE:
        return PublishedGenerator(ModelSpec(**common), config)
    depth = int(config["architecture_kwargs"]["depth"])
    spec = ModelSpec(**common, constraints=InputConstraints(multiple_of=2**depth, min_side=2**depth),
                     params=tiling_params(256, 32), tileable=True)
    return PublishedImageToImage(spec, config)


def _split_hub(ref: str) -> tuple[str, str]:
    body = ref[5:] if ref.startswith("hf://") else ref
    repo, _, revision = body.partition("@")
    if not REPO_PATTERN.match(repo):
        raise GanhubError(f"bad model reference {ref!r}: use hf://owner/name[@commit] or a local folder")
    return repo, revision or "main"


def _load_local(folder: Path) -> Model:
    config_path = folder / CONFIG
    if not config_path.is_file():
        raise GanhubError(f"'{folder}' has no {CONFIG}: not a published ganhub model folder")
    config = json.loads(config_path.read_text())
    source = WeightSource(str(folder / config["weights_file"]), sha256=config.get("weights_sha256"))
    return model_from_config(config, source, folder.resolve().name)


def _load_hub(ref: str) -> Model:
    from ganhub.weights import resolve_weights

    repo, revision = _split_hub(ref)
    pinned = bool(_COMMIT.match(revision))
    found = resolve_weights([WeightSource(f"hf://{repo}/{CONFIG}@{revision}", user_supplied=not pinned)])
    config = json.loads(found.path.read_text())
    # Pin the weights to the commit config.json came from, so the two always match.
    parts = found.path.parts
    commit = parts[parts.index("snapshots") + 1] if "snapshots" in parts else revision
    source = WeightSource(f"hf://{repo}/{config['weights_file']}@{commit}", sha256=config.get("weights_sha256"),
                          user_supplied=not _COMMIT.match(commit))
    return model_from_config(config, source, repo)


def load_published(ref: str | Path) -> Model:
    """A published model from a local folder or ``hf://owner/name[@revision]``."""
    if isinstance(ref, str) and ref.startswith("hf://"):
        return _load_hub(ref)
    return _load_local(Path(ref).expanduser())


def published_model(ref: str) -> Model:
    """Like :func:`load_published`, also taking a bare ``owner/name[@revision]`` Hub reference
    (a local folder of that name wins)."""
    if ref.startswith("hf://") or Path(ref).expanduser().is_dir():
        return load_published(ref)
    if REPO_PATTERN.match(ref.partition("@")[0]):
        return load_published("hf://" + ref)
    raise GanhubError(f"'{ref}' is neither a folder nor a Hub reference (owner/name[@commit])")


def published_registry(*refs: str) -> Registry:
    """A :class:`ganhub.registry.Registry` holding the published models ``refs`` (no plugin
    discovery), ready for ``Engine(registry).run(model_id, ...)``."""
    # strict: a clash of ids is an error here
    return Registry.from_models(*(published_model(ref) for ref in refs), name="published")
