"""Trust on first use for weights whose sha256 cannot be pinned in advance.

``ganhub lock <model>`` downloads a source without a pinned sha256 and records the resolved
commit, sha256 and size here; every later load verifies against that record. The file lives
in ``$GANHUB_HOME`` (default ``~/.cache/ganhub``) and is plain JSON a user can read.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ganhub import atomic


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
    """Add or replace one entry; written atomically so a crash never truncates the lock."""
    entries = read_lock()
    entries[entry.uri] = entry
    payload = {"version": 1, "weights": {uri: asdict(e) for uri, e in sorted(entries.items())}}
    return atomic.write_text(lock_path(), json.dumps(payload, indent=2))
