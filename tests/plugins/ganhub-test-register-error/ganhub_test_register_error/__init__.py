"""Test plugin that registers one valid model, then raises: none of its models may stay."""

import ganhub

from ganhub_test_good import Blur


class Sharpen(Blur):
    spec = ganhub.ModelSpec(**{**Blur.spec.__dict__, "id": "test-register-error-first"})


@ganhub.hookimpl
def register_models(register):
    register(Sharpen())
    raise RuntimeError("registration blew up after the first model")
