"""Trust on first use for weights whose sha256 cannot be pinned in advance.

``ganhub lock <model>`` downloads a source without a pinned sha256 and records the resolved
commit, sha256 and size here; every later load verifies against that record. The file lives
in ``$GANHUB_HOME`` (default ``~/.cache/ganhub``) and is plain JSON a user can read.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.weights.faults import disk_full

try:
    import fcntl
except ImportError:  # Windows: msvcrt below
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class LockEntry:
    """What was downloaded the first time a URI was locked."""

    uri: str
    sha256: str
    size: int
    commit: str = ""


def ganhub_home() -> Path:
    """ganhub's own state folder (the lock file; weights stay in the Hub cache)."""
    return Path(os.environ.get("GANHUB_HOME") or Path.home() / ".cache" / "ganhub")


def lock_path() -> Path:
    return ganhub_home() / "weights.lock.json"


def read_lock() -> dict[str, LockEntry]:
    """Every locked URI; an absent file is an empty lock."""
    path = lock_path()
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {uri: LockEntry(**entry) for uri, entry in data.get("weights", {}).items()}


def write_entry(entry: LockEntry) -> Path:
    """Add or replace one entry; written atomically so a crash never truncates the lock.

    Read, change and write happen under an OS lock: two processes locking different models at
    once would otherwise each write back what they read, and one entry would be lost.
    """
    path = lock_path()
    with _exclusive(path.with_name(f".{path.name}.lock")):
        entries = read_lock()
        entries[entry.uri] = entry
        payload = {"version": 1, "weights": {uri: asdict(e) for uri, e in sorted(entries.items())}}
        try:
            return atomic.write_text(path, json.dumps(payload, indent=2))
        except GanhubError as exc:  # atomic left the old lock file whole; name the setting that moves it
            if exc.action != "free-space":
                raise
            raise disk_full(entry.uri, path.parent, "GANHUB_HOME") from None


@contextlib.contextmanager
def _exclusive(guard: Path) -> Iterator[None]:
    """Hold ``guard`` locked against other processes; the OS drops the lock if the holder dies."""
    guard.parent.mkdir(parents=True, exist_ok=True)
    with open(guard, "a+b") as handle:  # closing it releases the lock
        _lock(handle)
        yield


def _lock(handle: IO[bytes]) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return
    import msvcrt

    while True:  # LK_LOCK gives up after ~10 s of retries; another writer only needs milliseconds
        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
            return
