"""StyleGAN2 against rosinality/stylegan2-pytorch's own Generator (golden data, see data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from ganhub_faces._arch.stylegan2 import StyleGAN2Generator
from ganhub_faces._arch.stylegan2_config import StyleGAN2Config
from ganhub_faces.models import StyleGAN2FaceModel
from ganhub_faces.networks import StyleGAN2Faces

GOLDEN = Path(__file__).parent / "data" / "stylegan2_rosinality_golden.safetensors"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def golden() -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    with safe_open(str(GOLDEN), "pt") as handle:
        metadata = handle.metadata()
    return load_file(str(GOLDEN)), metadata


@pytest.fixture(scope="module")
def generator(golden) -> StyleGAN2Generator:
    tensors, metadata = golden
    network = StyleGAN2Generator(StyleGAN2Config(**json.loads(metadata["config"]))).eval()
    state = {name[len("state."):]: value for name, value in tensors.items() if name.startswith("state.")}
    result = network.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return network


def _noise(tensors: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    return [tensors[f"noise.{i}"] for i in range(sum(name.startswith("noise.") for name in tensors))]


def test_mapping_and_const_noise_match_the_reference(golden, generator):
    tensors, _ = golden
    with torch.no_grad():
        w = generator.mapping(tensors["z"])
        image = generator(tensors["z"])
    w_diff = (w - tensors["expected_w"]).abs().max().item()
    image_diff = (image - tensors["expected_const"]).abs().max().item()
    print(f"parity vs rosinality: w {w_diff:.2e}, image (const noise) {image_diff:.2e}")
    assert w_diff < TOLERANCE and image_diff < TOLERANCE


def test_truncation_mixing_and_explicit_noise_match_through_the_wrapper(golden, generator):
    """The ganhub input convention (psi, 0/1 mix mask, packed noise) reproduces the reference call."""
    tensors, metadata = golden
    config = generator.config
    inject, psi = int(metadata["inject_index"]), float(metadata["truncation"])
    generator.w_avg.copy_(tensors["w_avg"])
    batch = tensors["z"].shape[0]
    mix = torch.zeros(batch, config.n_latent)
    mix[:, inject:] = 1.0
    noise = torch.cat([n.reshape(batch, -1) for n in _noise(tensors)], dim=1)
    with torch.no_grad():
        image = StyleGAN2Faces(generator)(
            tensors["z"], tensors["z2"], torch.full((batch, 1), psi), mix, torch.ones(batch, 1), noise)
    expected = ((tensors["expected_mixed"] + 1) / 2).clamp(0, 1)
    diff = (image - expected).abs().max().item()
    raw_scale = tensors["expected_mixed"].abs().max().item()
    print(f"parity vs rosinality (ψ={psi}, mixing at {inject}, explicit noise): {diff:.2e} in [0,1] "
          f"(raw outputs up to ±{raw_scale:.1f})")
    assert diff < TOLERANCE


def test_golden_state_dict_loads_through_build_as_a_rosinality_file(golden, tmp_path):
    """A {"g_ema": …, "latent_avg": …} file written with torch.save goes through build()."""
    tensors, metadata = golden
    config = StyleGAN2Config(**json.loads(metadata["config"]))
    state = {name[len("state."):]: value for name, value in tensors.items() if name.startswith("state.")}
    path = tmp_path / "golden.pt"
    torch.save({"g_ema": state, "latent_avg": torch.zeros(config.style_dim)}, path)
    from ganhub_faces.catalog import stylegan2_spec

    network = StyleGAN2FaceModel(stylegan2_spec(), config).build(path)
    with torch.no_grad():
        image = network.generator(tensors["z"])
    assert (image - tensors["expected_const"]).abs().max().item() < TOLERANCE
    assert np.isfinite(network.generator.w_avg.numpy()).all() and network.generator.w_avg.abs().sum() > 0
