"""Package a ``ganhub train`` run's generator as this plugin's shipped weights.

    python -m ganhub_watermark.ship runs/watermark-v3c-keep watermark_cgan_v4.safetensors

Writes ``weights/<NAME>`` as fp16 safetensors (half the size; the model runs in fp32 after
loading) with the run's config in the metadata, and ``<NAME stem>.json`` beside it; prints
the sha256 and size to pin in :mod:`ganhub_watermark.catalog`. :func:`package` is that
step alone, for weights made otherwise (:mod:`ganhub_watermark.soup`). It never writes over a file
that is there: each version gets its own name, so a pinned file cannot change under its pin.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ganhub import GanhubError
from ganhub.weights import sha256_of
from ganhub_watermark.catalog import WEIGHTS_DIR
from ganhub_watermark.trainer import WatermarkTrainer

if TYPE_CHECKING:
    import torch


def ship(run: Path, name: str, out_dir: Path = WEIGHTS_DIR) -> tuple[Path, str, int]:
    """(weights path, sha256, size) of the packaged generator of ``run``, written as ``out_dir/name``."""
    from safetensors.torch import load_file

    info_path = run / "generator.json"
    if not info_path.is_file():
        raise GanhubError(f"'{run}' has no generator.json: is it a `ganhub train` run folder?")
    info = json.loads(info_path.read_text())
    if info["architecture"] != WatermarkTrainer.architecture:
        raise GanhubError(f"'{run}' trained {info['architecture']}, not {WatermarkTrainer.architecture}")
    facts = {"step": info["step"], "architecture": info["architecture"], "kwargs": info["kwargs"],
             "config": info["config"]}
    return package(load_file(str(run / "generator.safetensors")), facts, name, out_dir)


def _refuse_existing(path: Path) -> None:
    if path.exists() or path.with_suffix(".json").exists():
        raise GanhubError(f"'{path}' exists (it may be pinned): ship under a new name, e.g. watermark_cgan_vN.safetensors")


def package(state: dict[str, "torch.Tensor"], facts: dict, name: str, out_dir: Path = WEIGHTS_DIR) -> tuple[Path, str, int]:
    """(path, sha256, size) of ``state`` written as fp16 ``out_dir/name`` with ``facts`` in its
    metadata and in ``<name stem>.json`` beside it (a training run's or a soup's recipe)."""
    from ganhub.weights import save_safetensors

    path = out_dir / name
    if path.suffix != ".safetensors":
        raise GanhubError(f"'{name}' does not end in .safetensors", fix="name it e.g. watermark_cgan_vN.safetensors")
    _refuse_existing(path)
    half = {k: v.half().contiguous() for k, v in state.items()}
    # Each file is written beside and renamed (save_safetensors is atomic): a crash leaves no
    # half-written file under either name. The JSON goes first, so weights never lack their facts.
    info_partial = path.with_name(path.stem + ".json.partial")
    info_partial.write_text(json.dumps(facts, indent=2) + "\n")
    os.replace(info_partial, path.with_suffix(".json"))
    save_safetensors(half, path, metadata={"ganhub_run": json.dumps(facts)})
    return path, sha256_of(path), path.stat().st_size


def main() -> None:
    """CLI entry point: ``python -m ganhub_watermark.ship RUN``."""
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m ganhub_watermark.ship RUN_FOLDER NEW_WEIGHTS_FILE_NAME")
    try:
        path, digest, size = ship(Path(sys.argv[1]), sys.argv[2])
    except GanhubError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"{path}\nWEIGHTS_SHA256 = \"{digest}\"\nWEIGHTS_SIZE = {size}")


if __name__ == "__main__":
    main()
