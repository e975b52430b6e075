"""The local Hub (tests/hub_server.py) against the real huggingface_hub client.

These pin down how huggingface_hub 2.4.0 behaves for each failure ganhub must explain, so a
client upgrade that changes an exception class or the offline fallback shows up here first.
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import constants, errors, hf_hub_download
from hub_server import LocalHub

REPO = "ganhub-test/tiny-gan"
WEIGHTS = b"\x00\x01fake safetensors payload\xff" * 64


def _download(hf_env, path: str, revision: str, repo: str = REPO) -> Path:
    """hf_hub_download into the fixture's cache, as ganhub calls it."""
    return Path(hf_hub_download(repo, path, revision=revision, cache_dir=hf_env.cache_dir))


def test_pinned_commit_lands_in_cache_named_by_sha256(hf_env, local_hub: LocalHub) -> None:
    commit = local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    path = _download(hf_env, "G.safetensors", commit)
    assert path.read_bytes() == WEIGHTS
    assert path.is_relative_to(hf_env.cache_dir)
    assert path.parent.name == commit and path.parent.parent.name == "snapshots"
    # The ETag (sha256 of the content) becomes the blob's file name.
    assert path.resolve().name == hashlib.sha256(WEIGHTS).hexdigest()
    assert [method for method, _ in local_hub.requests] == ["HEAD", "GET"]
    # Once cached, a pinned commit is answered from disk without asking the server.
    assert _download(hf_env, "G.safetensors", commit) == path
    assert len(local_hub.requests) == 2


def test_branch_resolves_to_latest_commit_and_old_commits_stay_pinned(
    hf_env, local_hub: LocalHub
) -> None:
    first = local_hub.add_file(REPO, "G.safetensors", b"v1")
    second = local_hub.add_file(REPO, "nested/dir/D v2.onnx", b"v2")  # quoting: '/' kept, ' ' -> %20
    third = local_hub.add_file(REPO, "G.safetensors", b"v3")
    assert len({first, second, third}) == 3
    path = _download(hf_env, "G.safetensors", "main")
    assert path.read_bytes() == b"v3" and path.parent.name == third
    assert (hf_env.cache_dir / "models--ganhub-test--tiny-gan" / "refs" / "main").read_text() == third
    # A new commit keeps the branch's earlier files, like git.
    assert _download(hf_env, "nested/dir/D v2.onnx", "main").read_bytes() == b"v2"
    assert _download(hf_env, "G.safetensors", first).read_bytes() == b"v1"
    # Naming an existing commit adds to it instead of making a new one.
    assert local_hub.add_file(REPO, "extra.txt", b"x", commit=first) == first
    assert _download(hf_env, "extra.txt", first).read_bytes() == b"x"


def test_endpoint_argument_works_without_patching_constants(
    local_hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No hf_env here: constants.ENDPOINT is whatever was imported; `endpoint=` alone redirects the
    # download. Telemetry is off only because agent detection would still ask constants.ENDPOINT.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    commit = local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    path = hf_hub_download(
        REPO, "G.safetensors", revision=commit, cache_dir=tmp_path, endpoint=local_hub.endpoint
    )
    assert Path(path).read_bytes() == WEIGHTS


@pytest.mark.parametrize(
    ("repo", "path", "revision", "error"),
    [
        ("nobody/missing", "G.safetensors", "main", errors.RepositoryNotFoundError),
        (REPO, "missing.safetensors", "main", errors.RemoteEntryNotFoundError),
        (REPO, "G.safetensors", "no-such-branch", errors.RevisionNotFoundError),
        (REPO, "G.safetensors", "f" * 40, errors.RevisionNotFoundError),
    ],
)
def test_404s_raise_the_specific_error(hf_env, local_hub: LocalHub, repo, path, revision, error) -> None:
    local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    with pytest.raises(error) as info:
        _download(hf_env, path, revision, repo=repo)
    # A missing file on a reachable Hub must not look like "not cached while offline".
    assert not isinstance(info.value, errors.LocalEntryNotFoundError)


def test_server_down_serves_cached_files_without_offline_mode(hf_env, local_hub: LocalHub) -> None:
    commit = local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    pinned = _download(hf_env, "G.safetensors", commit)
    by_branch = _download(hf_env, "G.safetensors", "main")
    local_hub.stop()
    seen = len(local_hub.requests)
    assert _download(hf_env, "G.safetensors", commit) == pinned  # no network at all
    assert _download(hf_env, "G.safetensors", "main") == by_branch  # HEAD refused -> refs/main
    assert len(local_hub.requests) == seen


def test_server_down_and_not_cached_raises_local_entry_not_found(hf_env, local_hub: LocalHub) -> None:
    commit = local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    local_hub.stop()
    started = time.monotonic()
    with pytest.raises(errors.LocalEntryNotFoundError) as info:
        _download(hf_env, "G.safetensors", commit)
    assert isinstance(info.value.__cause__, httpx2.ConnectError)
    assert time.monotonic() - started < 2  # hf_env turned the client's backoff retries off


def test_offline_mode_blocks_requests_and_uses_the_cache(hf_env, local_hub: LocalHub) -> None:
    local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    cached = _download(hf_env, "G.safetensors", "main")
    seen = len(local_hub.requests)
    hf_env.set_offline(True)
    assert _download(hf_env, "G.safetensors", "main") == cached
    with pytest.raises(errors.LocalEntryNotFoundError) as info:
        _download(hf_env, "other.safetensors", "main")
    assert isinstance(info.value.__cause__, errors.OfflineModeIsEnabled)
    assert len(local_hub.requests) == seen  # the server is up, yet nothing was asked
    hf_env.set_offline(False)
    with pytest.raises(errors.RemoteEntryNotFoundError):
        _download(hf_env, "other.safetensors", "main")


def test_corrupt_serves_other_bytes_under_the_original_etag(hf_env, local_hub: LocalHub) -> None:
    commit = local_hub.add_file(REPO, "G.safetensors", WEIGHTS)
    local_hub.corrupt(REPO, "G.safetensors")
    path = _download(hf_env, "G.safetensors", commit)
    data = path.read_bytes()
    assert data != WEIGHTS and len(data) == len(WEIGHTS)
    # The cache still files it under the advertised sha256: only a content check can tell.
    assert path.resolve().name == hashlib.sha256(WEIGHTS).hexdigest() != hashlib.sha256(data).hexdigest()


def test_range_requests_and_unknown_paths(local_hub: LocalHub) -> None:
    commit = local_hub.add_file(REPO, "G.safetensors", b"0123456789")
    url = f"{local_hub.endpoint}/{REPO}/resolve/{commit}/G.safetensors"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=4-"})) as response:
        assert response.status == 206 and response.read() == b"456789"
        assert response.headers["Content-Range"] == "bytes 4-9/10"
        assert response.headers["X-Repo-Commit"] == commit
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-"}))
    assert info.value.code == 416
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{local_hub.endpoint}/api/models/{REPO}")
    assert info.value.code == 404


def test_cut_drops_the_connection_part_way_and_counts_down(local_hub: LocalHub) -> None:
    data = bytes(range(256)) * 40
    commit = local_hub.add_file(REPO, "G.safetensors", data)
    url = f"{local_hub.endpoint}/{REPO}/resolve/{commit}/G.safetensors"
    local_hub.cut(REPO, "G.safetensors", at=1000, times=2)
    with urllib.request.urlopen(url, timeout=10) as response:  # the headers still promise the whole file
        assert response.headers["Content-Length"] == str(len(data))
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
    assert info.value.partial == data[:1000]
    resume = urllib.request.Request(url, headers={"Range": "bytes=600-"})  # the cut is at file byte 1000
    with urllib.request.urlopen(resume, timeout=10) as response:
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
    assert info.value.partial == data[600:1000] and local_hub.ranges[-1][1] == "bytes=600-"
    with urllib.request.urlopen(url, timeout=10) as response:  # both faulty GETs are spent
        assert response.read() == data


def test_stall_holds_a_download_until_released(local_hub: LocalHub) -> None:
    data = b"x" * 5000
    commit = local_hub.add_file(REPO, "G.safetensors", data)
    go = local_hub.stall(REPO, "G.safetensors", at=1000)
    url = f"{local_hub.endpoint}/{REPO}/resolve/{commit}/G.safetensors"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read(1000) == data[:1000]  # sent before the stall
        go.set()
        assert response.read() == data[1000:]
