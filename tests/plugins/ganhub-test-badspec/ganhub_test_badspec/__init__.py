"""Test plugin whose spec names a task that is not a valid task name (a lowercase slug)."""

import ganhub


@ganhub.hookimpl
def register_models(register):
    register(ganhub.ModelSpec(
        id="test-badspec", title="Bad", task="Colour ization!",
        license="MIT", description="invalid task name", weights=(ganhub.WeightSource("x.pth"),),
    ))
