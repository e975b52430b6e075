"""The hf:// path with the real huggingface_hub client against a local resolve server."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
import torch
from safetensors.torch import save

from ganhub.errors import WeightsError
from ganhub.spec import WeightSource
from ganhub.weights import lock_source, resolve_weights
from ganhub.weights.fetch import source_status
from ganhub.weights.lock import read_lock

REPO, FILE = "ganhub-tests/conv", "weights/conv.safetensors"


def _weights_bytes() -> bytes:
    torch.manual_seed(1)
    return save({"0.weight": torch.randn(8, 3, 3, 3), "0.bias": torch.zeros(8)})


@pytest.fixture
def served(hf_env, monkeypatch, tmp_path):
    """A file on the local Hub; returns (env, data, commit, pinned source)."""
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    data = _weights_bytes()
    commit = hf_env.hub.add_file(REPO, FILE, data)
    source = WeightSource(f"hf://{REPO}/{FILE}@{commit}", sha256=hashlib.sha256(data).hexdigest())
    return hf_env, data, commit, source


def test_download_pinned_commit_and_verify(served):
    env, data, commit, source = served
    resolved = resolve_weights([source])
    assert resolved.trust == "pinned" and resolved.path.read_bytes() == data
    assert commit in str(resolved.path) and str(env.cache_dir) in str(resolved.path)
    assert source_status(source) == "cached"


def test_sha256_mismatch_is_refused(served):
    env, data, _, source = served
    env.hub.corrupt(REPO, FILE)
    with pytest.raises(WeightsError, match="sha256 mismatch .* the file was not used"):
        resolve_weights([source])


def test_missing_file_and_repo_name_what_is_missing(served):
    env, _, commit, _ = served
    with pytest.raises(WeightsError, match=f"file 'nope.pth' not found in '{REPO}'"):
        resolve_weights([WeightSource(f"hf://{REPO}/nope.pth@{commit}")])
    with pytest.raises(WeightsError, match="Hub repo 'nobody/nothing' not found"):
        resolve_weights([WeightSource(f"hf://nobody/nothing/x.pth@{commit}")])


def test_cached_file_works_with_the_server_stopped(served):
    env, data, _, source = served
    resolve_weights([source])
    env.hub.stop()
    before = len(env.hub.requests)
    assert resolve_weights([source]).path.read_bytes() == data
    assert len(env.hub.requests) == before  # a pinned, cached commit needs no network at all


def test_nothing_cached_and_server_stopped_lists_every_source(served, tmp_path):
    env, _, commit, source = served
    env.hub.stop()
    other = WeightSource(str(tmp_path / "missing.safetensors"))
    with pytest.raises(WeightsError) as info:
        resolve_weights([source, other])
    text = str(info.value)
    assert "the weights are not downloaded yet (the Hugging Face Hub cannot be reached)" in text
    assert len(info.value.details) == 2 and info.value.action == "download-weights"
    assert f"hf://{REPO}/{FILE}@{commit}" in text and "cannot be reached" in text
    assert "missing.safetensors' does not exist" in text


def test_offline_mode_uses_cache_and_says_so_when_missing(served):
    env, _, commit, source = served
    env.set_offline(True)
    with pytest.raises(WeightsError, match="HF_HUB_OFFLINE is set"):
        resolve_weights([source])
    assert env.hub.requests == []
    env.set_offline(False)
    resolve_weights([source])
    env.set_offline(True)
    assert resolve_weights([source]).trust == "pinned"


def test_corrupted_cached_file_is_detected_and_replaced(served):
    env, data, _, source = served
    path = resolve_weights([source]).path
    blob = path.resolve()
    blob.write_bytes(b"\x00" * blob.stat().st_size)
    assert resolve_weights([source]).path.read_bytes() == data  # downloaded again, verified
    # when the Hub's copy is wrong as well, nothing is used and nothing stays in the cache
    blob.write_bytes(b"\x00" * blob.stat().st_size)
    env.hub.corrupt(REPO, FILE)
    with pytest.raises(WeightsError, match="sha256 mismatch .* removed from the cache"):
        resolve_weights([source])
    assert not blob.exists() and source_status(source) == "not downloaded"


def test_first_source_failing_falls_through_to_the_next(served, tmp_path):
    env, data, commit, source = served
    bad = WeightSource(f"hf://{REPO}/absent.safetensors@{commit}")
    resolved = resolve_weights([bad, source])
    assert resolved.uri == source.uri
    assert len(resolved.attempts) == 1 and "absent.safetensors" in resolved.attempts[0]


def test_lock_records_first_download_and_later_loads_verify(served):
    env, data, commit, _ = served
    unpinned = WeightSource(f"hf://{REPO}/{FILE}@main", user_supplied=True)
    assert resolve_weights([unpinned]).trust == "unverified"
    (entry,) = lock_source(unpinned)
    assert entry.sha256 == hashlib.sha256(data).hexdigest() and entry.commit == commit
    assert read_lock()[unpinned.uri].size == len(data)
    assert resolve_weights([unpinned]).trust == "locked"
    # the branch moves on to different bytes: the lock refuses them
    env.hub.add_file(REPO, FILE, b"new weights, not what was locked")
    with pytest.raises(WeightsError, match="sha256 mismatch .*locked"):
        resolve_weights([unpinned])


def test_engine_runs_a_model_from_the_local_hub(served):
    from ganhub.engine import Engine
    from ganhub.imaging import read_image
    from ganhub.registry import Registry
    from ganhub_test_models import identity_model

    env, data, commit, source = served
    env.hub.add_file(REPO, "full.safetensors", _full_conv_weights(), commit=commit)
    model = identity_model("hub-conv", weights=f"hf://{REPO}/full.safetensors@{commit}")

    engine = Engine(Registry.from_models(model, name="hubtest"), device="cpu")
    image = read_image(np.random.default_rng(0).random((20, 24, 3)).astype(np.float32))
    result = engine.run("hub-conv", image=image)
    assert result.images[0].shape == (20, 24, 3)
    assert engine.load("hub-conv").weights.trust == "unverified"  # no sha256 pinned for it


def _full_conv_weights() -> bytes:
    from ganhub_test_models import ConvModel, identity_model

    network = ConvModel.build(identity_model("tmp"), None)
    buffer = io.BytesIO(save(network.state_dict()))
    return buffer.getvalue()
