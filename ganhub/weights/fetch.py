"""Resolve a spec's ordered weight sources to one verified local file.

Sources are tried in order and the first that works wins; every attempt is recorded, so
when none works the error lists each source and why it failed. A file is used only after
its sha256 matched: the spec's pinned value, pip's RECORD for package files, or the lock
file (trust on first use). A file with none of these is used but marked unverified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from ganhub.errors import WeightsError, WeightsUnavailable
from ganhub.spec import WeightSource
from ganhub.weights import lock
from ganhub.weights.sources import (
    HubRef,
    HubUnreachable,
    PackageRef,
    Ref,
    cached_hub_path,
    fetch_hub,
    fetch_local,
    fetch_package,
    parse_uri,
    sha256_of,
)


@dataclass(frozen=True)
class ResolvedWeights:
    """A verified local weights file and where it came from."""

    path: Path
    uri: str
    sha256: str
    trust: str  # pinned | package-record | locked | unverified
    companions: dict[str, Path] = field(default_factory=dict)
    attempts: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return self.trust != "unverified"


def resolve_weights(sources: Sequence[WeightSource]) -> ResolvedWeights:
    """The first source that yields a verified file; WeightsError listing all otherwise."""
    attempts: list[str] = []
    offline = False
    for source in sources:
        try:
            resolved = fetch_source(source)
        except WeightsError as exc:
            offline = offline or isinstance(exc, HubUnreachable)
            attempts.append(f"{source.uri}: {exc}")
            continue
        return ResolvedWeights(**{**resolved.__dict__, "attempts": tuple(attempts)})
    if not attempts:
        raise WeightsUnavailable("this model lists no weight source", action="supply-weights",
                                 fix="give your own weights file or hf:// URI")
    raise _unavailable(attempts, offline)


def _unavailable(attempts: list[str], offline: bool) -> WeightsUnavailable:
    """One short sentence (what is missing, why, what to do); the sources tried as details."""
    if offline:
        return WeightsUnavailable(
            "the weights are not downloaded yet", why="the Hugging Face Hub cannot be reached",
            fix="download them once from a machine that can reach the Hub", action="download-weights",
            details=attempts,
        )
    return WeightsUnavailable("no weights source worked", fix="see the sources tried", details=attempts)


def fetch_source(source: WeightSource) -> ResolvedWeights:
    """Fetch one source and its companions, verifying each file."""
    ref = parse_uri(source.uri)
    path, trust, digest = _fetch_verified(ref, source.sha256)
    companions = {}
    for name in source.companions:
        companion_path, companion_trust, _ = _fetch_verified(ref.sibling(name), None)
        companions[name] = companion_path
        if companion_trust == "unverified":
            trust = "unverified"
    return ResolvedWeights(path, source.uri, digest, trust, companions)


def _fetch_verified(ref: Ref, pinned: str | None) -> tuple[Path, str, str]:
    if isinstance(ref, HubRef):
        path, recorded = fetch_hub(ref), None
    elif isinstance(ref, PackageRef):
        path, recorded = fetch_package(ref)
    else:
        path, recorded = fetch_local(ref), None
    digest = sha256_of(path)
    expected, trust = _expected_sha256(ref, pinned, recorded)
    if expected is not None and digest != expected:
        raise WeightsError(
            f"sha256 mismatch for {ref}: file {path} has {digest[:16]}…, expected "
            f"{expected[:16]}… ({trust}); the file was not used. Delete it and download again"
        )
    return path, trust, digest


def _expected_sha256(ref: Ref, pinned: str | None, recorded: str | None) -> tuple[str | None, str]:
    if pinned:
        return pinned, "pinned"
    if recorded:
        return recorded, "package-record"
    entry = lock.read_lock().get(str(ref))
    if entry is not None:
        return entry.sha256, "locked"
    return None, "unverified"


def lock_source(source: WeightSource) -> list[lock.LockEntry]:
    """Download ``source`` and record what was fetched (trust on first use)."""
    ref = parse_uri(source.uri)
    entries = []
    for each in [ref, *(ref.sibling(name) for name in source.companions)]:
        path, _, digest = _fetch_verified(each, source.sha256 if each is ref else None)
        commit = _resolved_commit(path) if isinstance(each, HubRef) else ""
        entry = lock.LockEntry(str(each), digest, path.stat().st_size, commit)
        lock.write_entry(entry)
        entries.append(entry)
    return entries


def _resolved_commit(path: Path) -> str:
    # The Hub cache lays files out as .../snapshots/<commit>/<path>.
    parts = path.parts
    return parts[parts.index("snapshots") + 1] if "snapshots" in parts else ""


def source_status(source: WeightSource, locked: Mapping[str, lock.LockEntry] | None = None) -> str:
    """Without network: 'cached', 'in package', 'local', 'missing' (+ ', unverified').

    ``locked`` is the lock file's entries when the caller has read them already.
    """
    try:
        ref = parse_uri(source.uri)
    except WeightsError:
        return "invalid uri"
    if not source.sha256 and locked is None:
        locked = lock.read_lock()
    unverified = not source.sha256 and str(ref) not in (locked or {})
    if isinstance(ref, HubRef):
        state = "cached" if cached_hub_path(ref) else "not downloaded"
    elif isinstance(ref, PackageRef):
        try:
            fetch_package(ref)
            state, unverified = "in package", False
        except WeightsError:
            state = "package not installed"
    else:
        state = "local" if ref.path.is_file() else "missing"
    return state + (", unverified" if unverified else "")


def best_status(sources: Sequence[WeightSource]) -> str:
    """The status a user cares about: the first source usable right now, else the first's."""
    locked = lock.read_lock()  # once for all sources (the Models tab asks for every model)
    statuses = [source_status(source, locked) for source in sources]
    for status in statuses:
        if status.split(",")[0] in ("cached", "in package", "local"):
            return status
    return statuses[0] if statuses else "user-supplied"


def cached_size(source: WeightSource) -> int | None:
    """Bytes on disk for a source's main file, when present locally."""
    try:
        ref = parse_uri(source.uri)
        if isinstance(ref, HubRef):
            path = cached_hub_path(ref)
        elif isinstance(ref, PackageRef):
            path = fetch_package(ref)[0]
        else:
            path = ref.path if ref.path.is_file() else None
    except WeightsError:
        return None
    return path.stat().st_size if path else None
