"""Fixtures: the shipped watermark model loaded like the app does, and LaMa with random weights."""

from __future__ import annotations

import pytest

from ganhub import Engine, Loaded
from ganhub import Registry
from ganhub import TorchSession
from ganhub_watermark.catalog import LaMa


@pytest.fixture(scope="session")
def registry() -> Registry:
    """A fresh registry holding only this plugin (found through its entry point)."""
    registry = Registry.discover(allow=["watermark"])
    registry.require_ok()
    return registry


@pytest.fixture(scope="session")
def cgan(registry: Registry) -> Loaded:
    """ganhub-watermark-cgan with its packaged weights (pkg://, sha256-checked) on the CPU."""
    return Engine(registry, runtime="torch").load("ganhub-watermark-cgan", device="cpu")


@pytest.fixture(scope="session")
def lama() -> Loaded:
    """LaMa with seeded random weights: the real architecture, no real weights needed."""
    model = LaMa()
    session = TorchSession(model.build(None), "cpu", "fp32")
    return Loaded(model, session, None, 0.0, model.constraints_for(session.network))
