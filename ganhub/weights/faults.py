"""What can go wrong with a weights cache, said so a user can act on it: a full disk, a cached
copy whose bytes no longer match, a download cut off part-way.

Each is its own ``WeightsError`` subclass so that ``resolve_weights`` can lead its summary
with the one that tells the user what to do (free space; go online to replace a corrupt copy)
instead of a generic "no source worked".
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from ganhub.errors import WeightsError

log = logging.getLogger("ganhub.weights")

# A full disk and an exhausted quota need the same fix.
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFull(WeightsError):
    """A weights file could not be saved: its cache folder's disk (or quota) is full."""


class CorruptCopy(WeightsError):
    """A cached file no longer has the sha256 it was verified with, and no fresh copy can be had now."""


class DownloadInterrupted(WeightsError):
    """The connection dropped part-way through a download, and retrying did not finish it."""


def is_no_space(exc: BaseException) -> bool:
    """Whether ``exc`` is the OS saying the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in _NO_SPACE


def disk_full(ref: object, folder: Path, setting: str) -> DiskFull:
    """The error for ``ref`` not fitting under ``folder``; ``setting`` is the env variable that moves it."""
    return DiskFull(
        f"no space left on the device holding {folder}", why=f"disk full while saving {ref}",
        fix=f"free some space there, or set {setting} to a folder on a disk with room, then try again",
        action="free-space", folder=str(folder),
    )


def corrupt_copy(ref: object, path: Path, digest: str, expected: str, cause: WeightsError) -> CorruptCopy:
    """The error for a corrupt cached ``path`` that cannot be downloaded again now (``cause`` says why)."""
    return CorruptCopy(
        f"the cached copy of {ref} is corrupt: {path} has sha256 {digest[:16]}…, expected {expected[:16]}…",
        why=cause.why or cause.message,
        fix="connect to the internet (unset HF_HUB_OFFLINE) and load it again, or run `ganhub download "
            "<model>`: a fresh download replaces the corrupt copy",
        action="go-online", path=str(path),
    )


def warn_corrupt(ref: object, path: Path, digest: str, expected: str) -> None:
    """Log that a cached copy is corrupt and is being downloaded again (the load itself goes on)."""
    log.warning("the cached copy of %s is corrupt: %s has sha256 %s…, expected %s…; downloading it again",
                ref, path, digest[:16], expected[:16])


def discard_hub_file(path: Path) -> bool:
    """Remove a Hub cache entry: the snapshot pointer and the blob it points to. True if anything went.

    A file that failed its sha256 must not stay under its final name, where the cache (and
    ``ganhub info``) would take it as downloaded.
    """
    blob = path.resolve()
    removed = False
    for each in {path, blob}:
        try:
            each.unlink()
            removed = True
        except FileNotFoundError:
            pass
        except OSError as exc:  # read-only cache: the sha256 check still refuses it on every load
            log.warning("could not remove %s: %s", each, exc)
    return removed
