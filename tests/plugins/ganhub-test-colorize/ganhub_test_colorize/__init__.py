"""Test plugin for a new task, "colorize": grey in, sepia out (a 1×1 convolution).

Written only against ganhub's public API, as a third party would: it must get its own tab
("Colorize") and API endpoint with no change to ganhub.
"""

from pathlib import Path

import ganhub


class Sepia(ganhub.ImageToImageModel):
    spec = ganhub.ModelSpec(
        id="test-colorize-sepia", title="Sepia colouriser", task="colorize",
        license="MIT", description="Turns a grey photo sepia: luma times a warm tint.",
        weights=(ganhub.WeightSource("pkg://ganhub-test-colorize/ganhub_test_colorize/sepia.safetensors"),),
    )

    def build(self, weights: Path):
        import torch

        from ganhub.weights import read_state_dict

        net = torch.nn.Conv2d(3, 3, 1, bias=False)
        net.load_state_dict(read_state_dict(weights), strict=True)
        return net


@ganhub.hookimpl
def register_models(register):
    register(Sepia())
