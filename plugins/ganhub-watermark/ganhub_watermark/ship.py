"""Package a ``ganhub train`` run's generator as this plugin's shipped weights.

    python -m ganhub_watermark.ship runs/watermark-stage2
    python -m ganhub_watermark.ship runs/watermark-v3 watermark_cgan_v3.safetensors

Writes ``weights/<WEIGHTS_FILE>`` as fp16 safetensors (half the size; the model runs in fp32
after loading) with the run's config in the metadata, and ``<WEIGHTS_FILE stem>.json`` beside
it; prints the sha256 and size to pin in :mod:`ganhub_watermark.catalog`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ganhub import GanhubError
from ganhub.weights import sha256_of
from ganhub_watermark.catalog import WEIGHTS_FILE
from ganhub_watermark.trainer import WatermarkTrainer

WEIGHTS_DIR = Path(__file__).parent / "weights"


def ship(run: Path, out_dir: Path = WEIGHTS_DIR, name: str = WEIGHTS_FILE) -> tuple[Path, str, int]:
    """(weights path, sha256, size) of the packaged generator of ``run``."""
    from safetensors.torch import load_file, save_file

    info_path = run / "generator.json"
    if not info_path.is_file():
        raise GanhubError(f"'{run}' has no generator.json: is it a `ganhub train` run folder?")
    info = json.loads(info_path.read_text())
    if info["architecture"] != WatermarkTrainer.architecture:
        raise GanhubError(f"'{run}' trained {info['architecture']}, not {WatermarkTrainer.architecture}")
    state = {k: v.half().contiguous() for k, v in load_file(str(run / "generator.safetensors")).items()}
    # A new version gets its own file name, so the pinned v2 file is never overwritten by accident.
    path = out_dir / name
    facts = {"step": info["step"], "architecture": info["architecture"], "kwargs": info["kwargs"],
             "config": info["config"]}
    save_file(state, str(path), metadata={"ganhub_run": json.dumps(facts)})
    path.with_suffix(".json").write_text(json.dumps(facts, indent=2) + "\n")
    return path, sha256_of(path), path.stat().st_size


def main() -> None:
    """CLI entry point: ``python -m ganhub_watermark.ship RUN``."""
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python -m ganhub_watermark.ship RUN_FOLDER [WEIGHTS_FILE_NAME]")
    path, digest, size = ship(Path(sys.argv[1]), name=sys.argv[2] if len(sys.argv) == 3 else WEIGHTS_FILE)
    print(f"{path}\nWEIGHTS_SHA256 = \"{digest}\"\nWEIGHTS_SIZE = {size}")


if __name__ == "__main__":
    main()
