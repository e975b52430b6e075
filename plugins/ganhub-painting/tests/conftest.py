"""Fixtures for the ganhub-painting tests: a fresh registry and an offline CPU engine."""

from __future__ import annotations

import pytest

from ganhub.testing import offline_engine, plugin_registry


@pytest.fixture(scope="session")
def registry():
    import ganhub_painting

    return plugin_registry(ganhub_painting, "painting")


@pytest.fixture(scope="session")
def engine(registry, tmp_path_factory):
    with offline_engine(registry, tmp_path_factory.mktemp("hub")) as engine:
        yield engine
