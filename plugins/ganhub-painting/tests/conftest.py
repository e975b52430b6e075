"""Fixtures for the ganhub-painting tests: a fresh registry, the engine, small real photos."""

from __future__ import annotations


import pytest




@pytest.fixture(scope="session")
def registry():
    from ganhub.registry import Registry

    import ganhub_painting

    registry = Registry(allow=set())
    registry.add_plugin(ganhub_painting, "painting")
    assert registry.plugins["painting"].status == "ok", registry.plugins["painting"].error
    return registry


@pytest.fixture(scope="session")
def engine(registry, tmp_path_factory):
    # Hub sources are tried for the GANs; offline mode makes that fail fast and locally.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hub")))
        from ganhub.engine import Engine

        yield Engine(registry, device="cpu")
