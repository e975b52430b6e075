"""Test plugin: a 3×3 blur (image-to-image) and a tiny generator, weights shipped in-package."""

from pathlib import Path

import numpy as np

import ganhub

PKG = "pkg://ganhub-test-good/ganhub_test_good"


class Blur(ganhub.ImageToImageModel):
    spec = ganhub.ModelSpec(
        id="test-good-blur", title="Test blur", task="other",
        license="MIT", description="A fixed 3×3 box blur, for tests.",
        weights=(ganhub.WeightSource(f"{PKG}/blur.safetensors"),),
        params=ganhub.tiling_params(64, 8), tileable=True,
    )

    def build(self, weights: Path):
        import torch

        from ganhub.weights import read_state_dict

        net = torch.nn.Conv2d(3, 3, 3, padding=1, padding_mode="replicate", bias=False)
        net.load_state_dict(read_state_dict(weights), strict=True)
        return net


class Dots(ganhub.GenerateModel):
    spec = ganhub.ModelSpec(
        id="test-good-dots", title="Test dots", task="other",
        license="MIT", description="A linear map from an 8-d latent to a 16×16 image.",
        weights=(ganhub.WeightSource(f"{PKG}/dots.safetensors"),),
        params=(ganhub.Param("gain", "float", 1.0, 0.0, 4.0, help="latent scale"),),
    )

    def build(self, weights: Path):
        import torch

        from ganhub.weights import read_state_dict

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(8, 3 * 16 * 16)

            def forward(self, z):
                return torch.sigmoid(self.fc(z)).view(-1, 3, 16, 16)

        net = Net()
        net.load_state_dict(read_state_dict(weights), strict=True)
        return net

    def latents(self, seed, count, params):
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((count, 8)).astype(np.float32) * params["gain"],)


@ganhub.hookimpl
def register_models(register):
    register(Blur())
    register(Dots())
