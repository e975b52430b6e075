"""Test plugin that registers an id the good test plugin already owns."""

import ganhub

from ganhub_test_good import Blur


@ganhub.hookimpl
def register_models(register):
    register(Blur())
