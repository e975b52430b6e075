"""A training run on disk: config, loop with progress bar, samples, checkpoints, loss curve, export.

Run folder layout::

    run_config.json          the resolved config (what `--resume` checks against)
    checkpoints/last.pt      networks, optimisers, scalers, EMA, RNG states, step, loss history
    samples/step-000100.png  the fixed sample grid every `sample_every` steps
    loss_curve.png           smoothed losses; history.json has every step's values
    generator.safetensors    the generator to publish (EMA weights when `ema` > 0)
    generator.json           its architecture, constructor arguments, kind and training config
"""

from __future__ import annotations

import dataclasses
import json
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.train.checkpoint import checkpoint_dir, load_checkpoint, save_checkpoint
from ganhub.train.config import RESUMABLE_KEYS, TrainConfig, config_from_dict
from ganhub.train.data import ImageBank
from ganhub.train.degrade import Degradation
from ganhub.train.external import is_external, resolve_trainer
from ganhub.train.plots import save_grid, save_loss_curve
from ganhub.train.trainer import Trainer
from ganhub.weights.formats import save_safetensors

EXPORT_WEIGHTS, EXPORT_INFO, RUN_CONFIG = "generator.safetensors", "generator.json", "run_config.json"


@dataclass
class TrainResult:
    """What a finished (or resumed-and-finished) run produced."""

    run: Path
    config: TrainConfig
    trainer: Trainer
    history: list[dict[str, float]]
    steps_done: int  # steps run by this call (after a resume: only the new ones)
    step_seconds: float  # time spent inside trainer.step()

    @property
    def steps_per_second(self) -> float:
        """Training speed, excluding sampling, checkpoints and start-up."""
        return self.steps_done / self.step_seconds if self.step_seconds else 0.0


def resolve_device(requested: str) -> str:
    """``auto`` → the best available; ``cuda`` when there is none is a clear error."""
    from ganhub.runtime.base import pick_device

    device = pick_device(None if requested == "auto" else requested)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GanhubError(f"device '{device}' asked for, but torch sees no CUDA GPU: use --device cpu")
    return device


def make_trainer(cfg: TrainConfig, device: str = "cpu", degradation: Degradation | None = None,
                 bank: ImageBank | None = None) -> Trainer:
    """The trainer for ``cfg.model`` on ``cfg.data`` (or ``bank``, e.g. built in memory)."""
    from ganhub.train.gan import DCGANTrainer, WGANGPTrainer
    from ganhub.train.pix2pix import Pix2PixTrainer

    external = resolve_trainer(cfg.model) if is_external(cfg.model) else None
    if bank is None and cfg.data:
        bank = ImageBank.from_folder(Path(cfg.data), cfg.image_size, cfg.load_size, cfg.flip)
    if bank is None and external is not None:
        bank = external.default_bank(cfg)
    if bank is None:
        raise GanhubError("config key 'data' is empty: set it to a folder of training images")
    if external is not None:
        return external(cfg, bank, device)
    if cfg.model == "pix2pix":
        return Pix2PixTrainer(cfg, bank, device, degradation)
    return (WGANGPTrainer if cfg.model == "wgan-gp" else DCGANTrainer)(cfg, bank, device)


def _start(cfg: TrainConfig | None, output: Path, resume: bool) -> tuple[TrainConfig, dict[str, Any] | None]:
    last = checkpoint_dir(output) / "last.pt"
    if not resume:
        if last.exists():
            raise GanhubError(f"'{output}' already holds a run: pass --resume, or choose another --output")
        if cfg is None:
            raise GanhubError("no config given: pass a config file (or --resume an existing run)")
        return cfg, None
    payload = load_checkpoint(last)
    saved = config_from_dict(payload["config"])
    if cfg is None:
        return saved, payload
    fixed = resolve_trainer(saved.model).fixed_on_resume if is_external(saved.model) else frozenset()
    changed = saved.trajectory_differences(cfg, fixed)
    if changed:
        raise GanhubError(
            f"cannot resume with different {', '.join(changed)}: these change the training "
            f"trajectory (only {', '.join(sorted(RESUMABLE_KEYS - fixed))} may change)"
        )
    return cfg, payload


def train(
    cfg: TrainConfig | None,
    output: Path,
    *,
    resume: bool = False,
    device: str | None = None,
    degradation: Degradation | None = None,
    bank: ImageBank | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``cfg`` into folder ``output`` (or continue it with ``resume``); see the module doc."""
    cfg, payload = _start(cfg, output, resume)
    if device is not None:  # a copy: the caller's config object stays as it was
        cfg = dataclasses.replace(cfg, device=device)
    if cfg.threads:  # process-wide: only when asked (a CLI run owns its process)
        torch.set_num_threads(cfg.threads)
    trainer = make_trainer(cfg, resolve_device(cfg.device), degradation, bank)
    history: list[dict[str, float]] = []
    start = 0
    if payload is not None:
        trainer.load_state_dict(payload["trainer"])
        history, start = list(payload["history"]), int(payload["step"])
    else:
        torch.manual_seed(cfg.seed)  # dropout's global RNG: part of the run's seeded stream
    output.mkdir(parents=True, exist_ok=True)
    atomic.write_text(output / RUN_CONFIG, json.dumps(cfg.to_dict(), indent=2))
    loop = _Loop(trainer, cfg, output, history)
    seconds = loop.run(start, progress)
    return TrainResult(output, cfg, trainer, history, cfg.steps - start, seconds)


class _Loop:
    """The step loop and what happens every N steps."""

    def __init__(self, trainer: Trainer, cfg: TrainConfig, output: Path, history: list[dict[str, float]]):
        self.trainer, self.cfg, self.output, self.history = trainer, cfg, output, history

    def run(self, start: int, progress: bool) -> float:
        seconds = 0.0
        with _progress_bar(progress) as bar:
            task = bar.add_task(self.cfg.model, total=self.cfg.steps, completed=start, losses="") if bar else None
            # No checkpoint on Ctrl-C: a step cut midway (D updated, G not) cannot resume exactly;
            # `--resume` continues from the last periodic checkpoint instead.
            for step in range(start + 1, self.cfg.steps + 1):
                began = time.perf_counter()
                logs = self.trainer.step()
                seconds += time.perf_counter() - began
                self.history.append({"step": step, **logs})
                self._every(step, logs, bar, task)
        if self.cfg.steps > start:
            self.finish(self.cfg.steps)
        return seconds

    def _every(self, step: int, logs: dict[str, float], bar: Any, task: Any) -> None:
        cfg = self.cfg
        if bar is not None and (step % cfg.log_every == 0 or step == cfg.steps):
            text = " ".join(f"{k} {v:.3f}" for k, v in logs.items())
            bar.update(task, completed=step, losses=text)
        if step % cfg.sample_every == 0:
            self.save_samples(step)
        if step % cfg.checkpoint_every == 0 and step != cfg.steps:
            self.checkpoint(step)

    def save_samples(self, step: int) -> Path:
        """The fixed sample grid at ``step``."""
        images = self.trainer.samples()
        columns = self.cfg.sample_count if self.trainer.kind == "image-to-image" else None
        upscale = max(1, 128 // self.cfg.image_size)
        return save_grid(images, self.output / "samples" / f"step-{step:06d}.png", columns, upscale)

    def checkpoint(self, step: int) -> None:
        """Checkpoint, export the generator and redraw the loss curve."""
        save_checkpoint(self.output, step, self.trainer.state_dict(), self.cfg.to_dict(), self.history)
        export_generator(self.trainer, self.output, step)
        if self.history:
            save_loss_curve(self.history, self.output / "loss_curve.png")
        atomic.write_text(self.output / "history.json", json.dumps(self.history))

    def finish(self, step: int) -> None:
        """Final checkpoint, export and sample grid (``samples.png``)."""
        self.checkpoint(step)
        images = self.trainer.samples()
        columns = self.cfg.sample_count if self.trainer.kind == "image-to-image" else None
        save_grid(images, self.output / "samples.png", columns, max(1, 128 // self.cfg.image_size))


def _progress_bar(enabled: bool) -> AbstractContextManager[Any]:
    if not enabled:
        return nullcontext(None)
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:.1f} steps/s" if task.speed else "")

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Speed(),
                    TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[losses]}"))


def export_generator(trainer: Trainer, output: Path, step: int) -> Path:
    """Write ``generator.safetensors`` + ``generator.json`` (what publishing and eval read)."""
    network = trainer.export_network()
    info = {"architecture": trainer.architecture, "kwargs": trainer.architecture_kwargs(),
            "kind": trainer.kind, "step": step, "ema": trainer.ema is not None,
            "config": trainer.cfg.to_dict()}
    path = save_safetensors(network.state_dict(), output / EXPORT_WEIGHTS, {"step": str(step)})
    atomic.write_text(output / EXPORT_INFO, json.dumps(info, indent=2))
    trainer.g.train()
    return path
