"""Weights digests are computed once per version of a file (ganhub.weights.digests)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from ganhub.weights import digests


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(digests.REHASH_ENV, raising=False)
    return tmp_path / "home"


def weights(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_a_digest_is_remembered_for_that_version_of_the_file(home: Path, tmp_path: Path) -> None:
    path = weights(tmp_path / "model.safetensors", os.urandom(3 << 20))
    assert digests.sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    store = json.loads((home / "digests.json").read_text())
    entry = store[str(path.resolve())]
    assert entry[-1] == hashlib.sha256(path.read_bytes()).hexdigest() and entry[2] == 3 << 20
    # The remembered digest is what a second call returns: shown by planting a marker there.
    store[str(path.resolve())][-1] = "remembered"
    (home / "digests.json").write_text(json.dumps(store))
    assert digests.sha256_of(path) == "remembered"


def test_any_change_to_the_file_is_hashed_again(home: Path, tmp_path: Path) -> None:
    path = weights(tmp_path / "model.pth", b"a" * 4096)
    first = digests.sha256_of(path)
    stamp = path.stat()
    with open(path, "r+b") as handle:  # same size, then the modification time set back
        handle.write(b"b")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert digests.sha256_of(path) == hashlib.sha256(b"b" + b"a" * 4095).hexdigest() != first
    replaced = weights(tmp_path / "other.pth", b"c" * 4096)
    os.replace(replaced, path)  # a new file under the old name
    assert digests.sha256_of(path) == hashlib.sha256(b"c" * 4096).hexdigest()


def test_rehash_on_request_and_an_unusable_store(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = weights(tmp_path / "model.onnx", b"graph")
    digests.sha256_of(path)
    store = json.loads((home / "digests.json").read_text())
    store[str(path.resolve())][-1] = "stale"
    (home / "digests.json").write_text(json.dumps(store))
    monkeypatch.setenv(digests.REHASH_ENV, "1")
    assert digests.sha256_of(path) == hashlib.sha256(b"graph").hexdigest()
    (home / "digests.json").write_text("{ not json")  # a torn or foreign file: recomputed, then rewritten
    monkeypatch.delenv(digests.REHASH_ENV)
    assert digests.sha256_of(path) == hashlib.sha256(b"graph").hexdigest()
    assert str(path.resolve()) in json.loads((home / "digests.json").read_text())
