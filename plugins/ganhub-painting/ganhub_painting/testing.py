"""Seeded random weights in the published checkpoints' layouts, for tests and benchmarks.

``seeded_state_dict`` is also the *recipe* the golden parity data was made with: the same
function, fed the reference network's key list (``tests/data/*_keys.json``), filled the
reference network outside this repository. So the test can regenerate those weights instead
of committing tens of MB of them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import torch

from ganhub_painting.networks import GENERATORS


def seeded_state_dict(shapes: Iterable[tuple[str, list[int]]], seed: int) -> dict[str, torch.Tensor]:
    """One normal draw per tensor, in the given order, scaled so activations stay O(1).

    Conv weights ~ N(0, 1/fan_in); 1-D scales ~ 1 + N(0, 0.1²); biases and shifts ~ N(0, 0.1²).
    Non-zero biases and non-unit scales make a wrong key mapping visible in the output.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in shapes:
        value = torch.randn(list(shape), generator=generator)
        if len(shape) >= 2:
            value = value / math.sqrt(math.prod(shape[1:]))
        elif name.endswith((".scale", ".weight")):  # GroupNorm weight / instance-norm scale
            value = 1.0 + 0.1 * value
        else:
            value = 0.1 * value
        state[name] = value
    return state


def random_state(arch: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """Seeded weights for one of ``networks.GENERATORS``, keyed as the published checkpoints."""
    network = GENERATORS[arch]()
    return seeded_state_dict(((k, list(v.shape)) for k, v in network.state_dict().items()), seed)


def save_random_checkpoint(path: Path, arch: str, seed: int = 0) -> Path:
    """A random checkpoint written as the published ones are (a plain ``torch.save``d state dict)."""
    torch.save(random_state(arch, seed), path)
    return path
