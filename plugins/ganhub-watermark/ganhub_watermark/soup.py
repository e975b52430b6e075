"""Average the weights of fine-tuned watermark networks into one (a "model soup").

    python -m ganhub_watermark.soup watermark_cgan_v3f.safetensors v2=0.4 v3c=0.3 v3e=0.3

Every v3 candidate was fine-tuned, step after step, from v2's shipped weights, so they all
lie in one basin of the loss: the weighted mean of their parameters is a working network
(Wortsman et al., 2022, "Model soups"), no training needed. It can beat every ingredient: v3e
gains more than v2 on the layered kinds and v2 more on plain and tiled marks; their mean with
v3c keeps both (model card). v2's single-layer head is widened first, exactly as when v3
fine-tuned from it (``WatermarkUNet._widen_v2_head``). The network has no batch statistics,
so nothing needs recomputing after averaging.

An ingredient is a name in this package's weights folder (``v2`` means
``weights/watermark_cgan_v2.safetensors``) or a path to a ``.safetensors`` file. The soup is
packaged like a training run (:func:`ganhub_watermark.ship.package`): fp16, a new name only,
the recipe (each ingredient's file, sha256 and share) in the metadata and the JSON beside it.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import torch

from ganhub import GanhubError
from ganhub_watermark.catalog import WEIGHTS_DIR
from ganhub_watermark.net import DEFAULT_WIDTH, WatermarkUNet, width_of


def ingredient_path(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """The file an ingredient names: ``v3e`` → ``weights_dir/watermark_cgan_v3e.safetensors``, else a path."""
    path = Path(name) if name.endswith(".safetensors") else weights_dir / f"watermark_cgan_{name}.safetensors"
    if not path.is_file():
        raise GanhubError(f"no weights file '{path}' for ingredient '{name}'",
                          fix=f"name a file in {weights_dir} (v2, v3c, ...) or give a path to a .safetensors file")
    return path


def parse_recipe(items: list[str]) -> dict[str, float]:
    """``["v2=0.4", "v3e=0.6"]`` → ``{"v2": 0.4, "v3e": 0.6}``; the shares (decimals or fractions
    such as ``1/3``) must be positive and sum to 1."""
    recipe: dict[str, Fraction] = {}
    for item in items:
        name, sep, share = item.partition("=")
        try:
            value = Fraction(share.strip())
        except (ValueError, ZeroDivisionError):
            value = Fraction(0)
        if not sep or not name or not value > 0:
            raise GanhubError(f"ingredient '{item}' is not NAME=SHARE with a share above 0", fix="write e.g. v2=0.4")
        if name in recipe:
            raise GanhubError(f"ingredient '{name}' is given twice", fix="give each ingredient once, with its whole share")
        recipe[name] = value
    if not recipe:
        raise GanhubError("a soup needs at least one ingredient", fix="write e.g. v2=0.4 v3c=0.3 v3e=0.3")
    total = sum(recipe.values())
    if total != 1:  # exact: fractions add up without rounding (1/3 + 1/3 + 1/3 is 1)
        # Not rescaled silently: shares that do not sum to 1 scale every weight of the network.
        raise GanhubError(f"the shares sum to {float(total):g}, not 1",
                          fix="give shares that sum to 1, e.g. v2=0.4 v3c=0.3 v3e=0.3 or v2=1/3 v3c=1/3 v3e=1/3")
    return {name: float(value) for name, value in recipe.items()}


def two_layer_state(path: Path) -> dict[str, torch.Tensor]:
    """A weights file as a two-layer network's fp32 state (a v2 file's head widened on load)."""
    from ganhub.weights import load_strict, read_state_dict

    state = {k: v.float() for k, v in read_state_dict(path).items()}
    if width_of(state) != DEFAULT_WIDTH:
        raise GanhubError(f"'{path.name}' is not a ganhub-watermark-cgan network of width {DEFAULT_WIDTH}",
                          fix="mix only this plugin's watermark weights (v2 or v3 layout)")
    network = WatermarkUNet(DEFAULT_WIDTH, layers=2)
    load_strict(network, state, "ganhub-watermark-cgan", path.name)
    return network.state_dict()


def mix(states: dict[str, dict[str, torch.Tensor]], recipe: dict[str, float]) -> dict[str, torch.Tensor]:
    """The share-weighted mean of each parameter over ``states`` (keyed like ``recipe``)."""
    keys = next(iter(states.values())).keys()
    return {key: sum(share * states[name][key] for name, share in recipe.items()).contiguous() for key in keys}


def soup(recipe: dict[str, float], weights_dir: Path = WEIGHTS_DIR) -> tuple[dict[str, torch.Tensor], dict]:
    """(fp32 state of the soup, facts for its metadata: each ingredient's file, sha256 and share)."""
    from ganhub.weights import sha256_of

    paths = {name: ingredient_path(name, weights_dir) for name in recipe}
    state = mix({name: two_layer_state(path) for name, path in paths.items()}, recipe)
    facts = {"architecture": "ganhub_watermark.net:WatermarkUNet", "kwargs": {"channels": DEFAULT_WIDTH, "layers": 2},
             "soup": [{"file": path.name, "sha256": sha256_of(path), "share": recipe[name]}
                      for name, path in paths.items()]}
    return state, facts


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m ganhub_watermark.soup NEW_WEIGHTS_FILE_NAME NAME=SHARE ...``."""
    from ganhub_watermark.ship import package

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        raise SystemExit("usage: python -m ganhub_watermark.soup NEW_WEIGHTS_FILE_NAME NAME=SHARE [NAME=SHARE ...]\n"
                         "  e.g. python -m ganhub_watermark.soup watermark_cgan_v3f.safetensors v2=0.4 v3c=0.3 v3e=0.3")
    try:
        state, facts = soup(parse_recipe(args[1:]))
        path, digest, size = package(state, facts, args[0])
    except GanhubError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"{path}\nWEIGHTS_SHA256 = \"{digest}\"\nWEIGHTS_SIZE = {size}")  # noqa: T201 (what to pin)


if __name__ == "__main__":
    main()
