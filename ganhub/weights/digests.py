"""sha256 of weights files, computed once per version of a file rather than on every run.

Every load verifies its weights against a pinned or recorded sha256; reading a 200 MB file for
that on each ``ganhub run`` cost more than the network's compute on a small image. The digest
is remembered in ``$GANHUB_HOME/digests.json`` together with what the OS says identifies that
version of the file: device, inode, size, and modification and change times in nanoseconds.
Any write to a file or its replacement changes its change time, which no user call can set
back, so a remembered digest is never used for different bytes that arrived through the file
system. (A disk that corrupts bytes underneath the file system is not noticed until the file
changes; ``GANHUB_REHASH=1`` rehashes on every load.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from ganhub import atomic
from ganhub.errors import GanhubError
from ganhub.weights.lock import ganhub_home

REHASH_ENV = "GANHUB_REHASH"
MAX_ENTRIES = 256  # files remembered; the oldest are forgotten first


def sha256_of(path: Path) -> str:
    """Hex sha256 of ``path``: remembered for this version of the file, else read in chunks."""
    key, version = str(Path(path).resolve()), _version(path)
    known = _read().get(key)
    if known is not None and known[:-1] == version and os.environ.get(REHASH_ENV, "") in ("", "0"):
        return str(known[-1])
    digest = _hash_file(path)
    if _version(path) == version:  # unchanged while it was read: safe to remember
        _remember(key, [*version, digest])
    return digest


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _version(path: Path) -> list[int]:
    info = os.stat(path)
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _store() -> Path:
    return ganhub_home() / "digests.json"


def _read() -> dict[str, list]:
    """The remembered digests; an absent or unreadable store is empty (digests are recomputed)."""
    try:
        data = json.loads(_store().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remember(key: str, entry: list) -> None:
    """Add one digest. Two processes writing at once may drop each other's new entry, which only
    costs a rehash later; the store itself is replaced atomically, never torn."""
    entries = {k: v for k, v in _read().items() if k != key}
    entries[key] = entry
    kept = dict(list(entries.items())[-MAX_ENTRIES:])
    with contextlib.suppress(OSError, GanhubError):  # a read-only or full home still verifies, every time
        atomic.write_bytes(_store(), json.dumps(kept).encode())
