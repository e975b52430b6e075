"""``ganhub train | eval | publish``, registered through the ``register_commands`` hook.
torch and the training code are imported inside the commands, so importing this module stays
cheap for the rest of the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ganhub.cli.console import out
from ganhub.hookspecs import hookimpl



def train(
    config: Optional[Path] = typer.Argument(None, help="YAML / TOML config file (optional with --resume)"),
    overrides: list[str] = typer.Option([], "--set", help="KEY=VALUE config override, repeatable"),
    output: Path = typer.Option(..., "-o", "--output", help="run folder (checkpoints, samples, export)"),
    device: Optional[str] = typer.Option(None, help="cpu | cuda | cuda:N | auto (default: the config's)"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --output from its last checkpoint"),
) -> None:
    """Train a DCGAN, WGAN-GP or pix2pix model; seeded, resumable, with samples and a loss curve."""
    from ganhub.train.checkpoint import load_checkpoint
    from ganhub.train.config import make_config, parse_overrides, read_config_file
    from ganhub.train.run import train as run_training

    sets = parse_overrides(overrides)
    if config is not None:
        cfg = make_config(read_config_file(config), sets)
    elif resume:  # the saved config, with the overrides that may change on resume
        cfg = make_config(load_checkpoint(output)["config"], sets)
    else:
        raise typer.BadParameter("give a config file, or --resume an existing run", param_hint="CONFIG")
    result = run_training(cfg, output, resume=resume, device=device)
    last = result.history[-1] if result.history else {}
    out.print(f"trained {result.config.model} to step {result.config.steps} in {output} "
              f"({result.steps_per_second:.1f} steps/s on {result.config.device})")
    out.print("last losses: " + ", ".join(f"{k} {v:.4f}" for k, v in last.items() if k != "step"))


def evaluate(
    run: Path = typer.Argument(..., help="run folder written by `ganhub train`"),
    data: Optional[Path] = typer.Option(None, help="real / held-out images (default: the run's val_data, else data)"),
    samples: int = typer.Option(256, min=2, help="images generated and compared"),
    features: str = typer.Option("random-conv", help="random-conv | inception | package.module:factory"),
    device: str = typer.Option("cpu", help="cpu | cuda | cuda:N"),
    seed: int = typer.Option(0, help="seed of the crops, latents and degradations"),
    report: Optional[Path] = typer.Option(None, help="JSON report path (default: RUN/eval.json)"),
) -> None:
    """Score a run: FID / KID (+ IS with Inception) for GANs; PSNR / SSIM vs input for pix2pix."""
    from ganhub.train.evaluate import evaluate_run

    result = evaluate_run(run, data=data, samples=samples, features=features, device=device, seed=seed,
                          report=report)
    for name, value in result["metrics"].items():
        out.print(f"{name:>20} {value:.5g}")
    out.print(f"report: {report or run / 'eval.json'} ({result['samples']} samples, {result['features']})")


def publish(
    run: Path = typer.Argument(..., help="run folder written by `ganhub train`"),
    repo: str = typer.Option(..., "--repo", help="Hub repo id, owner/name"),
    dry_run: bool = typer.Option(False, "--dry-run", help="build the folder only, do not upload"),
    folder: Optional[Path] = typer.Option(None, help="where to build the folder (default: RUN/publish)"),
) -> None:
    """Build a Hub-ready folder (safetensors, config.json, model card) and upload it."""
    from ganhub.train.publish import publish as publish_run

    result = publish_run(run, repo, dry_run=dry_run, folder=folder)
    out.print(f"folder: {result.folder}")
    out.print(f"uploaded: {result.url}" if result.url else "dry run: nothing uploaded")


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """train, eval, publish (``evaluate`` is named "eval")."""
    cli.command("train")(train)
    cli.command("eval")(evaluate)
    cli.command("publish")(publish)
