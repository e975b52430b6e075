"""An exponential moving average of generator weights (Polyak averaging of the iterates).

GAN generators oscillate around an equilibrium; averaging their weights gives smoother,
usually better samples at no training cost. The average is a full copy of the module, so it
can be run and published like the generator itself.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """Keeps ``shadow`` = the decayed average of ``model``'s parameters; buffers are copied."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        self.shadow.requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Blend ``model`` in; early updates use a smaller decay so the average is not stuck at init."""
        self.updates += 1
        decay = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for weight, live_weight in zip(self.shadow.parameters(), model.parameters()):
            weight.lerp_(live_weight.detach(), 1.0 - decay)
        # BatchNorm statistics are not trained weights: take the live ones as they are.
        for average, live in zip(self.shadow.buffers(), model.buffers()):
            average.copy_(live)

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights and the update count (for exact resume)."""
        return {"shadow": self.shadow.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.shadow.load_state_dict(state["shadow"])
        self.updates = int(state["updates"])
