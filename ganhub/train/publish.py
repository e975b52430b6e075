"""``ganhub publish``: turn a run into a Hub-ready folder and (unless dry run) upload it.

The folder holds ``model.safetensors`` (the exported generator), ``config.json`` (architecture,
constructor arguments, weights sha256, training hyper-parameters, metrics), ``README.md`` (the
model card), ``samples.png`` and ``loss_curve.png``. :func:`ganhub.published.load_published`
loads it back with no plugin code.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.train.external import refuse_external
from ganhub.published import REPO_PATTERN, CONFIG, FORMAT, WEIGHTS, model_id_for
from ganhub.weights.digests import sha256_of

PIPELINE_TAGS = {"generate": "unconditional-image-generation", "image-to-image": "image-to-image"}
# Paths and run-management keys say nothing about the model; they stay out of the card.
PRIVATE_KEYS = ("data", "val_data", "device", "threads", "sample_every", "checkpoint_every", "log_every",
                "sample_count", "title", "description", "license", "task")


@dataclass(frozen=True)
class PublishResult:
    """Where the folder is and, after an upload, the commit URL on the Hub."""

    folder: Path
    repo: str
    url: str | None = None


def published_config(info: dict[str, Any], repo: str, sha256: str, evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The ``config.json`` of a published model (see :mod:`ganhub.published`)."""
    from ganhub.train.config import UNUSED_KEYS

    cfg = info["config"]
    skip = set(PRIVATE_KEYS) | UNUSED_KEYS[cfg["model"]]
    training = {k: v for k, v in cfg.items() if k not in skip}
    return {
        "format": FORMAT, "id": model_id_for(repo), "model": cfg["model"], "kind": info["kind"],
        "architecture": info["architecture"], "architecture_kwargs": info["kwargs"],
        "weights_file": WEIGHTS, "weights_sha256": sha256, "ema": info["ema"], "step": info["step"],
        "title": cfg.get("title") or repo.split("/")[-1], "description": cfg.get("description", ""),
        "license": cfg.get("license") or "other", "task": cfg.get("task") or "other",
        "value_range": "generator works in [-1, 1] (tanh); ganhub wraps it to [0, 1]",
        "training": training, "metrics": (evaluation or {}).get("metrics", {}),
        "evaluation": {k: v for k, v in (evaluation or {}).items() if k not in ("metrics", "run", "data")},
    }


def build_folder(run: Path, repo: str, folder: Path | None = None) -> Path:
    """Write the Hub-ready folder for ``run`` (default ``run/publish``); returns it."""
    from ganhub.train.run import EXPORT_INFO, EXPORT_WEIGHTS

    if not REPO_PATTERN.match(repo):
        raise GanhubError(f"--repo must be owner/name, got {repo!r}")
    if not (run / EXPORT_INFO).is_file():
        raise GanhubError(f"'{run}' has no exported generator ({EXPORT_INFO}): train it first")
    folder = folder or run / "publish"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run / EXPORT_WEIGHTS, folder / WEIGHTS)
    for picture in ("samples.png", "loss_curve.png"):
        if (run / picture).is_file():
            shutil.copyfile(run / picture, folder / picture)
    evaluation = json.loads((run / "eval.json").read_text()) if (run / "eval.json").is_file() else None
    info = json.loads((run / EXPORT_INFO).read_text())
    refuse_external(info["config"]["model"], "publish")
    config = published_config(info, repo, sha256_of(folder / WEIGHTS), evaluation)
    atomic.write_text(folder / CONFIG, json.dumps(config, indent=2))
    atomic.write_text(folder / "README.md", model_card(config, repo, folder))
    return folder


def model_card(config: dict[str, Any], repo: str, folder: Path) -> str:
    """The README.md: Hub metadata, samples, metrics, how to run it in ganhub, training, licence."""
    lines = ["---", f"license: {config['license']}", "library_name: ganhub",
             f"pipeline_tag: {PIPELINE_TAGS[config['kind']]}", "tags:", "- ganhub", "- gan",
             f"- {config['model']}", "---", "", f"# {config['title']}", ""]
    lines += [config["description"] or f"A {config['model']} model trained with ganhub.", ""]
    if (folder / "samples.png").is_file():
        lines += ["## Samples", "", "![samples](samples.png)", ""]
    lines += _metrics_section(config) + _usage_section(config, repo) + _training_section(config, folder)
    lines += ["## Licence", "",
              f"Weights: `{config['license']}`. The terms of the training images also apply to the "
              "weights and to what they generate.", ""]
    return "\n".join(lines)


def _metrics_section(config: dict[str, Any]) -> list[str]:
    if not config["metrics"]:
        return ["## Metrics", "", "Not evaluated yet (run `ganhub eval RUN` before publishing).", ""]
    evaluation = config["evaluation"]
    lines = ["## Metrics", "", f"{evaluation.get('samples')} samples, features: `{evaluation.get('features')}`"
             " (distances with `random-conv` features compare only with each other).", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value:.4g} |" for name, value in config["metrics"].items()]
    return lines + [""]


def _usage_section(config: dict[str, Any], repo: str) -> list[str]:
    run = ("ganhub run hf://{repo} --seed 0 --count 4 -o samples.png" if config["kind"] == "generate"
           else "ganhub run hf://{repo} input.png -o restored.png").format(repo=repo)
    call = "seed=0, count=4" if config["kind"] == "generate" else "image=read_image('input.png')"
    imports = ["from ganhub.engine import Engine", "from ganhub.published import published_registry"]
    if config["kind"] != "generate":
        imports.insert(0, "from ganhub.imaging import read_image")
    return ["## Use it with ganhub", "", "No plugin code is needed: the architecture is in `config.json`.", "",
            "```bash", "pip install 'ganhub[torch]'", run, "```", "", "```python", *imports,
            f'registry = published_registry("hf://{repo}")  # pin a commit with @<sha> to reproduce',
            f'result = Engine(registry).run("{config["id"]}", {call})',
            "```", ""]


def _training_section(config: dict[str, Any], folder: Path) -> list[str]:
    lines = ["## Training", "", f"{config['step']} generator steps"
             + (" (published weights: EMA average)." if config["ema"] else "."), ""]
    if (folder / "loss_curve.png").is_file():
        lines += ["![loss curve](loss_curve.png)", ""]
    lines += ["| hyper-parameter | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in config["training"].items()]
    return lines + [""]


def push_folder(folder: Path, repo: str, *, private: bool = False, message: str = "Upload ganhub model") -> str:
    """Create ``repo`` if needed and upload ``folder``; returns the commit URL."""
    from huggingface_hub import HfApi
    from huggingface_hub import errors as hf_errors

    api = HfApi()
    try:
        api.create_repo(repo, private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo, folder_path=str(folder), commit_message=message)
    except hf_errors.HfHubHTTPError as exc:
        raise GanhubError(f"upload to '{repo}' failed: {exc}; log in with `hf auth login` "
                          "(a token with write access) and check the repo name") from None
    return str(getattr(info, "commit_url", info))


def publish(run: Path, repo: str, *, dry_run: bool = False, folder: Path | None = None) -> PublishResult:
    """Build the folder and, unless ``dry_run``, push it to ``repo`` on the Hub."""
    built = build_folder(run, repo, folder)
    return PublishResult(built, repo, None if dry_run else push_folder(built, repo))
