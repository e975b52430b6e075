"""``ganhub convert-ncnn``: import an upscaler distributed as ncnn .param/.bin files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def convert_ncnn(
    param: Path = typer.Argument(..., help="the ncnn .param file"),
    bin_file: Path = typer.Argument(..., metavar="BIN", help="the ncnn .bin file"),
    output: Path = typer.Option(..., "-o", "--output", help="where to write .safetensors"),
    arch: Optional[str] = typer.Option(None, help="spandrel architecture (ESRGAN, Compact); default: infer"),
) -> None:
    """Convert ncnn super-resolution weights to safetensors that `--weights` can load."""
    from ganhub.weights import save_safetensors
    from ganhub_superres.from_ncnn import build_from_ncnn

    network = build_from_ncnn(param, bin_file, arch)
    save_safetensors(network.state_dict(), output, {"source": f"ncnn:{param.name}"})
    typer.echo(f"wrote {output} ({sum(t.numel() for t in network.state_dict().values())} values)")
