"""AnimeGANv2 and CartoonGAN against their reference implementations (golden data, see data/README.md)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from painting_helpers import DATA
from ganhub_painting.gan_models import build_painter
from ganhub_painting.networks import GENERATORS, PAINTERS
from ganhub_painting.testing import seeded_state_dict

TOLERANCE = 1e-4
CASES = {"animegan2": 11, "cartoongan": 12}  # architecture → the seed the golden data used


def _reference_keys(arch: str) -> list[tuple[str, list[int]]]:
    keys = json.loads((DATA / f"{arch}_keys.json").read_text())["keys"]
    return [(name, list(shape)) for name, shape in keys]


@pytest.mark.parametrize("arch", CASES)
def test_key_names_and_shapes_equal_the_reference(arch):
    ours = [(name, list(value.shape)) for name, value in GENERATORS[arch]().state_dict().items()]
    assert sorted(ours) == sorted(_reference_keys(arch))


@pytest.mark.parametrize("arch", CASES)
def test_output_matches_the_reference(arch):
    golden = load_file(str(DATA / f"{arch}_golden.safetensors"))
    generator = GENERATORS[arch]().eval()
    result = generator.load_state_dict(seeded_state_dict(_reference_keys(arch), CASES[arch]), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = golden["input"]
    with torch.no_grad():
        raw = generator(x * 2 - 1)  # the bare network, [-1, 1] in and out
        app = PAINTERS[arch](generator)(x)  # ganhub's convention (CartoonGAN: BGR flip inside)
    raw_diff = (raw - golden["expected_raw"]).abs().max().item()
    app_diff = (app - golden["expected_app"]).abs().max().item()
    print(f"{arch} parity vs reference: raw {raw_diff:.2e}, [0,1] pipeline {app_diff:.2e}")
    assert raw_diff < TOLERANCE and app_diff < TOLERANCE
    assert golden["expected_app"].std() > 0.05  # the golden output is not a flat image


@pytest.mark.parametrize("arch", CASES)
def test_reference_state_dict_loads_through_build(arch, tmp_path):
    """A torch.save'd reference state dict (the published files' format) goes through build()."""
    golden = load_file(str(DATA / f"{arch}_golden.safetensors"))
    path = tmp_path / f"{arch}.pth"
    torch.save(seeded_state_dict(_reference_keys(arch), CASES[arch]), path)
    with torch.no_grad():
        app = build_painter(arch, path)(golden["input"])
    assert (app - golden["expected_app"]).abs().max().item() < TOLERANCE


def test_wrong_checkpoint_is_refused_with_a_short_message(tmp_path):
    import ganhub

    path = tmp_path / "wrong.pth"
    torch.save(GENERATORS["animegan2"]().state_dict(), path)
    with pytest.raises(ganhub.WeightsError, match="not a CartoonGAN generator checkpoint"):
        build_painter("cartoongan", path)
