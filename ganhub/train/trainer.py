"""What every trainer shares: seeded randomness, AMP, optimiser steps, and exact state for resume.

One :meth:`Trainer.step` is one generator update (with ``n_critic`` discriminator updates
before it). All randomness a step uses — batches, crops, flips, latents, penalty mixes,
degradations — comes from ``self.rng``, one CPU ``torch.Generator`` seeded from the config;
dropout uses torch's global RNG. :meth:`state_dict` captures both, so a run restored from it
repeats the uninterrupted run's trajectory exactly.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

import torch
from torch import nn

from ganhub.train.data import ImageBank, to_signed
from ganhub.train.ema import EMA

if TYPE_CHECKING:  # annotations only: the config module imports trainers by name
    from ganhub.train.config import TrainConfig

SAMPLE_SEED_OFFSET = 7919  # fixed sample latents/batches come from their own generator


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Skip weight gradients of ``module`` (the discriminator during a generator update)."""
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in zip(module.parameters(), flags):
            parameter.requires_grad_(flag)


def adam(module: nn.Module, lr: float, cfg: TrainConfig) -> torch.optim.Adam:
    """Adam with the config's betas (β1 = 0.5 is the DCGAN trick against oscillation)."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=(cfg.beta1, cfg.beta2))


class Trainer:
    """Base of the trainers: subclasses build ``g``, ``d`` and implement :meth:`step`."""

    kind: ClassVar[str] = "generate"  # or "image-to-image": what the published model is
    architecture: ClassVar[str] = ""
    # A plugin trainer's config defaults (between the dataclass defaults and the config file).
    defaults: ClassVar[dict[str, Any]] = {}
    # Keys ganhub lets a resumed run change that this trainer's trajectory depends on anyway
    # (e.g. "steps" when it sets a learning-rate schedule): resuming with a new value is refused.
    fixed_on_resume: ClassVar[frozenset[str]] = frozenset()
    # Clip the generator's gradient norm to this before each step (None: no clipping).
    clip_grad_norm: ClassVar[float | None] = None

    def __init__(self, cfg: TrainConfig, bank: ImageBank, device: str = "cpu"):
        self.cfg, self.bank, self.device = cfg, bank, device
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.amp = bool(cfg.amp) and device.startswith("cuda")
        with torch.random.fork_rng(devices=[]):  # init from the seed without moving the global RNG
            torch.manual_seed(cfg.seed)
            self.g, self.d = self.build()
        if cfg.init:
            self._load_init(cfg.init)
        self.g.to(device)
        self.d.to(device)
        self.optimizers = {"g": adam(self.g, cfg.lr_g, cfg), "d": adam(self.d, cfg.lr_d, cfg)}
        self.scalers = {name: torch.amp.GradScaler("cuda", enabled=self.amp) for name in self.optimizers}
        self.ema = EMA(self.g, cfg.ema) if cfg.ema > 0 else None

    @classmethod
    def default_bank(cls, cfg: TrainConfig) -> ImageBank | None:
        """Training images when the config names no ``data`` folder (None: the folder is required)."""
        return None

    def _load_init(self, path: str) -> None:
        from ganhub.errors import GanhubError
        from ganhub.weights.formats import load_strict, read_state_dict

        if not Path(path).is_file():
            raise GanhubError(f"config key 'init' is {path!r}: no such file (give a .safetensors of this generator)")
        state = {k: v.float() for k, v in read_state_dict(Path(path)).items()}
        load_strict(self.g, state, f"{type(self).__name__} generator", Path(path).name)

    # -- to implement ----------------------------------------------------------------------
    def build(self) -> tuple[nn.Module, nn.Module]:
        """Create (generator, discriminator), initialised."""
        raise NotImplementedError

    def step(self) -> dict[str, float]:
        """One generator update; returns the losses to log."""
        raise NotImplementedError

    def samples(self) -> torch.Tensor:
        """A fixed set of images in [0, 1] showing progress (same inputs at every call)."""
        raise NotImplementedError

    def architecture_kwargs(self) -> dict[str, Any]:
        """Constructor arguments of the generator (written into a published config.json)."""
        raise NotImplementedError

    # -- shared helpers --------------------------------------------------------------------
    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """fp16 autocast on CUDA when ``amp`` is on; a no-op elsewhere."""
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.float16)

    def update(self, loss: torch.Tensor, name: str) -> None:
        """Backward and step optimiser ``name`` (through its GradScaler, a pass-through off CUDA)."""
        optimizer, scaler = self.optimizers[name], self.scalers[name]
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if name == "g" and self.clip_grad_norm is not None:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(self.g.parameters(), self.clip_grad_norm)
        scaler.step(optimizer)
        scaler.update()
        if name == "g" and self.ema is not None:
            self.ema.update(self.g)

    def real_batch(self) -> torch.Tensor:
        """Random training crops in [-1, 1] on the device."""
        return to_signed(self.bank.sample(self.cfg.batch_size, self.rng)).to(self.device)

    def sample_generator(self) -> torch.Generator:
        """A generator for fixed sample inputs, independent of the training stream."""
        return torch.Generator().manual_seed(self.cfg.seed + SAMPLE_SEED_OFFSET)

    def export_network(self) -> nn.Module:
        """The generator to publish: the weight average when EMA is on, in eval mode."""
        return (self.ema.shadow if self.ema is not None else self.g).eval()

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[nn.Module]:
        """The export network in eval mode under no_grad; the live one returns to train mode."""
        network = self.export_network()
        try:
            with torch.no_grad():
                yield network
        finally:
            self.g.train()

    # -- exact state -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Networks, optimisers, scalers, EMA and every RNG state: enough to resume exactly."""
        rng: dict[str, Any] = {"train": self.rng.get_state(), "torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "g": self.g.state_dict(), "d": self.d.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "scalers": {k: s.state_dict() for k, s in self.scalers.items()},
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (RNG states included)."""
        self.g.load_state_dict(state["g"])
        self.d.load_state_dict(state["d"])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scaler in self.scalers.items():
            scaler.load_state_dict(state["scalers"][name])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.rng.set_state(state["rng"]["train"])
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
