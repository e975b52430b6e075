"""Small models built in tests (no plugin needed), with real weights written to disk."""

from __future__ import annotations

from pathlib import Path

import ganhub


class ConvModel(ganhub.ImageToImageModel):
    """A seeded 3-layer conv net (+ optional ×2 upsample): spatially varying, cheap, real."""

    def __init__(self, spec: ganhub.ModelSpec, scale: int = 1):
        self.spec, self.scale = spec, scale

    def build(self, weights: Path | None):
        import torch

        torch.manual_seed(0)
        layers = [torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                  torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
                  torch.nn.Conv2d(8, 3, 3, padding=1), torch.nn.Sigmoid()]
        if self.scale > 1:
            layers.insert(0, torch.nn.Upsample(scale_factor=self.scale, mode="nearest"))
        net = torch.nn.Sequential(*layers)
        if weights is not None and weights.suffix == ".safetensors":
            from ganhub.weights import read_state_dict

            net.load_state_dict(read_state_dict(weights))
        return net


def identity_model(model_id: str, weights: str = "unused.safetensors", scale: int = 1, **spec) -> ConvModel:
    """A ConvModel with a spec pointing at ``weights`` (not read until the model runs)."""
    fields = dict(id=model_id, title=model_id, task="other", license="MIT",
                  description="test model", weights=(ganhub.WeightSource(weights),),
                  constraints=ganhub.InputConstraints(scale=scale), params=ganhub.tiling_params(64, 8),
                  tileable=True)
    return ConvModel(ganhub.ModelSpec(**{**fields, **spec}), scale)
