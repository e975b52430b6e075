"""Writing files so that nothing a user had is ever lost: every output appears whole or not
at all.

Each file is written to a hidden temporary beside its final name (same folder, so the rename
cannot cross file systems), flushed to disk, then moved into place with ``os.replace``, and
the folder entry itself is flushed. A process killed at any moment leaves either the old file
or the complete new one under the final name, never a torn one; the temporary is removed on
any error (a kill -9 can leave a hidden ``.*.partial`` file, never a visible broken output).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from ganhub.errors import GanhubError

PARTIAL = ".partial"


def temporary_beside(path: Path) -> Path:
    """A hidden, unique temporary in ``path``'s folder, keeping the suffix (PIL picks the format by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL}{path.suffix}")


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's) contents to disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    The folder is created if needed. A full disk is reported as such (and the old file, if
    any, is untouched); on any error the temporary is removed.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(final)
    try:
        yield temporary
        fsync_path(temporary)
        os.replace(temporary, final)
        with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
            fsync_path(final.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
            raise GanhubError(f"no space left on the device holding {final.parent}", why="disk full",
                              fix="free some space or write elsewhere", action="free-space",
                              folder=str(final.parent)) from None
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """``data`` to ``path``, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """``text`` (UTF-8) to ``path``, atomically."""
    return write_bytes(path, text.encode("utf-8"))
