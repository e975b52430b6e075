"""The shape of a StyleGAN2 generator, as plain data (no torch: registration stays cheap)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Style-vector indices by the resolutions they control (Karras et al. 2019, §3.1):
# coarse = 4²–8² (pose, face shape), middle = 16²–32² (features, hair), fine = 64²+ (colour, detail).
CROSSOVER = {"coarse": (0, 4), "middle": (4, 8), "fine": (8, 10_000)}


@dataclass(frozen=True)
class StyleGAN2Config:
    """Shape of a generator; the defaults are FFHQ config-f (1024², 512-d, 8 mapping layers)."""

    size: int = 1024
    style_dim: int = 512
    n_mlp: int = 8
    channel_multiplier: int = 2
    channel_max: int = 512
    channel_base: int = 16384
    lr_mlp: float = 0.01

    def __post_init__(self) -> None:
        if self.size < 4 or self.size & (self.size - 1):
            raise ValueError(f"StyleGAN2 size must be a power of two ≥ 4, got {self.size}")

    def channels(self, resolution: int) -> int:
        """Feature maps at ``resolution`` (512 up to 32², then halving: the paper's schedule)."""
        return min(self.channel_max, self.channel_base * self.channel_multiplier // resolution)

    @property
    def log_size(self) -> int:
        return int(math.log2(self.size))

    @property
    def n_latent(self) -> int:
        """How many style vectors the synthesis network reads (18 at 1024²)."""
        return self.log_size * 2 - 2

    @property
    def noise_resolutions(self) -> tuple[int, ...]:
        """Side of each noise map, in layer order: 4, then two per resolution 8…size."""
        return (4,) + tuple(2**res for res in range(3, self.log_size + 1) for _ in range(2))

    @property
    def noise_size(self) -> int:
        """Numbers in all noise maps of one image together (for a packed noise input)."""
        return sum(side * side for side in self.noise_resolutions)
