"""Package a ``ganhub train`` run's generator as this plugin's shipped weights.

    python -m ganhub_watermark.ship runs/watermark-v3c-keep watermark_cgan_v4.safetensors

Writes ``weights/<NAME>`` as fp16 safetensors (half the size; the model runs in fp32 after
loading) with the run's config in the metadata, and ``<NAME stem>.json`` beside it; prints
the sha256 and size to pin in :mod:`ganhub_watermark.catalog`. It never writes over a file
that is there: each version gets its own name, so a pinned file cannot change under its pin.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ganhub import GanhubError
from ganhub.weights import sha256_of
from ganhub_watermark.catalog import WEIGHTS_DIR
from ganhub_watermark.trainer import WatermarkTrainer


def ship(run: Path, name: str, out_dir: Path = WEIGHTS_DIR) -> tuple[Path, str, int]:
    """(weights path, sha256, size) of the packaged generator of ``run``, written as ``out_dir/name``."""
    from safetensors.torch import load_file, save_file

    path = out_dir / name
    if path.exists() or path.with_suffix(".json").exists():
        raise GanhubError(f"'{path}' exists (it may be pinned): ship under a new name, e.g. watermark_cgan_vN.safetensors")

    info_path = run / "generator.json"
    if not info_path.is_file():
        raise GanhubError(f"'{run}' has no generator.json: is it a `ganhub train` run folder?")
    info = json.loads(info_path.read_text())
    if info["architecture"] != WatermarkTrainer.architecture:
        raise GanhubError(f"'{run}' trained {info['architecture']}, not {WatermarkTrainer.architecture}")
    state = {k: v.half().contiguous() for k, v in load_file(str(run / "generator.safetensors")).items()}
    facts = {"step": info["step"], "architecture": info["architecture"], "kwargs": info["kwargs"],
             "config": info["config"]}
    # Written beside, then renamed: a crash leaves no half-written file under either name.
    partial, info_partial = path.with_name(path.name + ".partial"), path.with_name(path.stem + ".json.partial")
    save_file(state, str(partial), metadata={"ganhub_run": json.dumps(facts)})
    info_partial.write_text(json.dumps(facts, indent=2) + "\n")
    os.replace(info_partial, path.with_suffix(".json"))
    os.replace(partial, path)
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
