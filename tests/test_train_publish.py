"""publish → load_published → Engine gives the trained generator's images; Hub download; upload."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganhub import imaging
from ganhub.engine import Engine
from ganhub.errors import GanhubError, WeightsError
from ganhub.model import GenerateModel, ImageToImageModel
from ganhub.train.config import make_config
from ganhub.train.data import ImageBank
from ganhub.train.evaluate import evaluate_run
from ganhub.train.nets import UnitGenerator, UnitImageToImage
from ganhub.train.publish import build_folder, publish
from ganhub.published import load_published, published_model, published_registry
from ganhub.train.run import train
from test_train_support import random_crops, registry_with, write_folder, one_thread  # noqa: F401 (autouse fixture)

SMALL = {"batch_size": 8, "g_channels": 8, "d_channels": 8, "sample_every": 10, "checkpoint_every": 100}


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A DCGAN trained 10 steps with EMA (so the published weights are the average)."""
    root = tmp_path_factory.mktemp("gan")
    data = write_folder(root / "data", random_crops(16, 24))
    cfg = make_config({**SMALL, "model": "dcgan", "data": str(data), "image_size": 16, "latent_dim": 16,
                       "steps": 10, "ema": 0.9, "license": "mit", "title": "Tiny crops DCGAN"})
    return train(cfg, root / "run", progress=False)


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("p2p")
    cfg = make_config({**SMALL, "model": "pix2pix", "image_size": 16, "unet_depth": 2, "d_layers": 2,
                       "steps": 10, "task": "watermark-removal"})
    return train(cfg, root / "run", bank=ImageBank(random_crops(8, 24), 16), progress=False)


def _expected_generate(result, model: GenerateModel, seed: int, count: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    (latents,) = model.latents(seed, count, {})
    with torch.no_grad():
        images = UnitGenerator(result.trainer.export_network())(torch.from_numpy(latents))
    return np.clip(images.numpy().transpose(0, 2, 3, 1), 0, 1)


def _run_generate(model: GenerateModel, seed: int = 3, count: int = 4) -> np.ndarray:
    engine = Engine(registry_with(model), device="cpu")
    return np.stack(engine.run(model.spec.id, seed=seed, count=count).images)


def test_dry_run_folder_loads_back_and_engine_reproduces_the_generator(gan_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = publish(gan_run.run, "someone/tiny-crops", dry_run=True, folder=tmp_path / "pub")
    assert result.url is None
    assert {p.name for p in result.folder.iterdir()} >= {"model.safetensors", "config.json", "README.md", "samples.png"}
    model = load_published(result.folder)
    assert isinstance(model, GenerateModel) and model.spec.id == "tiny-crops" and model.spec.license == "mit"
    images = _run_generate(model)
    assert images.shape == (4, 16, 16, 3)
    assert np.abs(images - _expected_generate(gan_run, model, 3, 4)).max() < 1e-6
    registry = published_registry(str(result.folder))  # the model card's Python recipe
    again = Engine(registry, device="cpu").run("tiny-crops", seed=3, count=4).images
    assert np.abs(np.stack(again) - images).max() < 1e-6
    config = json.loads((result.folder / "config.json").read_text())
    assert config["ema"] is True and config["architecture"] == "dcgan-generator"
    assert "data" not in config["training"]  # local paths stay private


def test_pix2pix_folder_loads_as_image_to_image(pix2pix_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = build_folder(pix2pix_run.run, "someone/tiny-restore", tmp_path / "pub")
    model = load_published(folder)
    assert isinstance(model, ImageToImageModel) and model.spec.task == "watermark-removal"
    assert model.spec.constraints.multiple_of == 4
    pixels = random_crops(1, 48, seed=7)[0][:, :40]
    image = imaging.read_image(pixels)
    output = Engine(registry_with(model), device="cpu").run(model.spec.id, image=image, params={"tile": 0}).images[0]
    with torch.no_grad():
        source = torch.from_numpy(image.rgb.transpose(2, 0, 1)[None].copy())
        expected = UnitImageToImage(pix2pix_run.trainer.export_network())(source)[0].numpy().transpose(1, 2, 0)
    assert output.shape == (48, 40, 3) and np.abs(output - expected).max() < 1e-6


def test_tampered_weights_are_refused(gan_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = build_folder(gan_run.run, "someone/tampered", tmp_path / "pub")
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256 mismatch"):
        _run_generate(load_published(folder))


def test_model_card_lists_metrics_samples_licence_and_usage(gan_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    evaluate_run(gan_run.run, samples=16, report=gan_run.run / "eval.json")
    try:
        card = (build_folder(gan_run.run, "someone/tiny-crops", tmp_path / "pub") / "README.md").read_text()
    finally:
        (gan_run.run / "eval.json").unlink()
    assert card.startswith("---\nlicense: mit\nlibrary_name: ganhub\npipeline_tag: unconditional-image-generation")
    assert "| fid |" in card and "| kid |" in card and "![samples](samples.png)" in card
    assert "ganhub run hf://someone/tiny-crops" in card and "| ema | 0.9 |" in card
    assert 'Engine(registry).run("tiny-crops", seed=0, count=4)' in card
    assert "| unet_depth |" not in card and "| data |" not in card  # unused and private keys


def test_published_model_downloads_from_the_hub(gan_run, hf_env, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    folder = build_folder(gan_run.run, "someone/hub-gan", tmp_path / "pub")
    repo = "someone/hub-gan"
    commit = hf_env.hub.add_file(repo, "config.json", (folder / "config.json").read_bytes())
    hf_env.hub.add_file(repo, "model.safetensors", (folder / "model.safetensors").read_bytes(), commit=commit)
    pinned = published_model(f"hf://{repo}@{commit}")
    assert pinned.spec.weights[0].uri == f"hf://{repo}/model.safetensors@{commit}"
    images = _run_generate(pinned)
    assert np.abs(images - _expected_generate(gan_run, pinned, 3, 4)).max() < 1e-6
    assert any("model.safetensors" in path for _, path in hf_env.hub.requests)
    # A bare owner/name follows the branch, and pins the weights to the commit it resolved.
    assert published_model(repo).spec.weights[0].uri.endswith(f"@{commit}")


def test_push_uploads_the_folder(gan_run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import huggingface_hub

    calls = []

    class FakeApi:
        def create_repo(self, repo_id, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(("create", repo_id, kwargs))

        def upload_folder(self, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(("upload", kwargs["repo_id"], sorted(p.name for p in Path(kwargs["folder_path"]).iterdir())))
            return type("Info", (), {"commit_url": "https://hub/someone/x/commit/abc"})()

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    result = publish(gan_run.run, "someone/x", folder=tmp_path / "pub")
    assert result.url == "https://hub/someone/x/commit/abc"
    assert calls[0][:2] == ("create", "someone/x") and calls[0][2]["exist_ok"] is True
    assert "model.safetensors" in calls[1][2] and "README.md" in calls[1][2]


def test_bad_references_are_explained(tmp_path: Path) -> None:
    with pytest.raises(GanhubError, match="no config.json"):
        load_published(tmp_path)
    with pytest.raises(GanhubError, match="neither a folder nor a Hub reference"):
        published_model("not a/valid/ref")
    with pytest.raises(GanhubError, match="owner/name"):
        build_folder(tmp_path, "no-slash")


def test_eval_of_a_pix2pix_run_reports_psnr_ssim_against_the_input(pix2pix_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = write_folder(tmp_path / "held-out", random_crops(4, 40, names=("rocket",)))
    report = evaluate_run(pix2pix_run.run, data=data, samples=12, report=tmp_path / "eval.json")
    assert {"psnr", "ssim", "psnr_input", "ssim_input", "fid", "kid"} <= set(report["metrics"])
    assert json.loads((tmp_path / "eval.json").read_text())["model"] == "pix2pix"
    # residual U-Net after 10 steps: still close to the identity, so close to the input's scores
    assert abs(report["metrics"]["psnr"] - report["metrics"]["psnr_input"]) < 10
