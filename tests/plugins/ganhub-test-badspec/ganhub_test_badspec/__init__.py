"""Test plugin whose spec names a task that does not exist."""

import ganhub


@ganhub.hookimpl
def register_models(register):
    register(ganhub.ModelSpec(
        id="test-badspec", title="Bad", task="colorization", kind="image-to-image",
        license="MIT", description="invalid task", weights=(ganhub.WeightSource("x.pth"),),
    ))
