"""A local stand-in for the Hugging Face Hub's file-resolve protocol, for tests.

huggingface_hub 2.4.0's ``hf_hub_download`` (without Xet) only ever sends ``HEAD`` then ``GET``
to ``{endpoint}/{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}``; it needs
``X-Repo-Commit`` and an ``ETag`` (else FileMetadataError) and checks the byte count against
``Content-Length``. 404s are told apart only by the ``X-Error-Code`` header.

Faults for tests: ``corrupt`` serves other bytes under the right ETag, ``cut`` drops the
connection part-way through a file, ``stall`` holds a download part-way until the test says go.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass
class _Fault:
    """How the next GETs of one file misbehave: the body stops at byte ``at`` of the file."""

    at: int
    times: int  # GETs still to misbehave
    go: threading.Event | None = None  # None: close the connection there; else wait for it, then finish


class LocalHub:
    """A tiny Hub on 127.0.0.1 serving files from memory through the resolve protocol."""

    def __init__(self) -> None:
        self._trees: dict[str, dict[str, dict[str, bytes]]] = {}  # repo -> commit -> path -> bytes
        self._branches: dict[str, dict[str, str]] = {}  # repo -> branch -> head commit
        self._corrupted: dict[tuple[str, str], bytes] = {}  # (repo, path) -> bytes served instead
        self._faults: dict[tuple[str, str], _Fault] = {}  # (repo, path) -> how its next GETs break
        self._lock = threading.Lock()  # handler threads read while the test thread may add files
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[tuple[str, str]] = []  # (method, raw path) of every request received
        self.ranges: list[tuple[str, str]] = []  # (raw path, Range header) of every GET that sent one
        self.endpoint = ""

    def add_file(
        self, repo_id: str, path: str, data: bytes, commit: str | None = None, branch: str = "main"
    ) -> str:
        """Commit ``data`` at ``path`` on ``branch`` and return the 40-hex commit id.

        Like git, a new commit starts from the branch head's tree, so earlier files stay visible;
        naming an existing ``commit`` adds the file to that commit instead (several files, one commit).
        """
        with self._lock:
            commits = self._trees.setdefault(repo_id, {})
            branches = self._branches.setdefault(repo_id, {})
            parent = branches.get(branch, "")
            if commit is None:  # deterministic, so tests can recompute or compare ids across runs
                seed = f"{repo_id}\0{parent}\0{path}\0{hashlib.sha256(data).hexdigest()}"
                commit = hashlib.sha1(seed.encode()).hexdigest()
            if not _COMMIT_RE.fullmatch(commit):
                raise ValueError(f"commit must be 40 lowercase hex digits, got {commit!r}")
            tree = commits.setdefault(commit, dict(commits.get(parent, {})))
            tree[path] = data
            branches[branch] = commit
        return commit

    def corrupt(self, repo_id: str, path: str, data: bytes | None = None) -> None:
        """Serve other bytes for ``path`` while still advertising the original ETag (sha256).

        The default flips every bit but keeps the length, so huggingface_hub's own size check
        passes and only a sha256 check can catch the damage.
        """
        with self._lock:
            original = next(t[path] for t in self._trees[repo_id].values() if path in t)
            flipped = bytes(b ^ 0xFF for b in original)
            self._corrupted[(repo_id, path)] = flipped if data is None else data

    def cut(self, repo_id: str, path: str, at: int, times: int = 1) -> None:
        """The next ``times`` GETs of ``path`` close the connection once byte ``at`` of the file is sent.

        The headers still promise the whole body, as when a network drops mid-download; a GET
        that resumes at or past ``at`` (a Range request) gets no body bytes at all.
        """
        with self._lock:
            self._faults[(repo_id, path)] = _Fault(at, times)

    def stall(self, repo_id: str, path: str, at: int) -> threading.Event:
        """The next GET of ``path`` sends the file up to byte ``at`` and waits; set the event to finish it.

        A stalled download is one a test can watch in flight (a second process queuing behind
        it, or a kill -9 in the middle); ``stop()`` sets every event so no handler is left waiting.
        """
        go = threading.Event()
        with self._lock:
            self._faults[(repo_id, path)] = _Fault(at, 1, go)
        return go

    def heal(self) -> None:
        """Serve every file whole and as committed again: drop corruption, cuts and stalls."""
        with self._lock:
            self._corrupted.clear()
        self._release_stalled()

    def _release_stalled(self) -> None:
        """Drop every cut and stall, letting stalled downloads finish."""
        with self._lock:
            stalled = [fault.go for fault in self._faults.values() if fault.go is not None]
            self._faults.clear()
        for go in stalled:
            go.set()

    def _take_fault(self, repo_id: str, path: str) -> _Fault | None:
        """The fault for this GET, counting it down."""
        with self._lock:
            fault = self._faults.get((repo_id, path))
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[(repo_id, path)]
            return fault

    def start(self) -> str:
        """Listen on a free port of 127.0.0.1 in a daemon thread; return the endpoint URL."""
        hub = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 (the default) closes each connection after one answer, so no keep-alive
            # connection in the client's pool can outlive stop() and keep getting answers.
            def do_HEAD(self) -> None:
                hub._answer(self, send_body=False)

            def do_GET(self) -> None:
                hub._answer(self, send_body=True)

            def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (which waits for the loop to notice) well under 0.1 s.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.endpoint

    def stop(self) -> None:
        """Close the listening socket, so later requests get 'connection refused'."""
        self._release_stalled()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = self._thread = None

    def _answer(self, req: BaseHTTPRequestHandler, send_body: bool) -> None:
        """Resolve ``/{repo_id}/resolve/{revision}/{path}`` and answer the way the Hub does."""
        self.requests.append((req.command, req.path))
        if req.headers.get("Range"):
            self.ranges.append((req.path, req.headers["Range"]))
        repo, found, rest = urlsplit(req.path).path.lstrip("/").partition("/resolve/")
        revision, _, path = (unquote(part) for part in rest.partition("/"))
        with self._lock:
            commits = self._trees.get(unquote(repo)) if found else None
            commit = None
            if commits is not None:
                commit = revision if revision in commits else self._branches[unquote(repo)].get(revision)
            tree = commits[commit] if commits is not None and commit is not None else {}
            data = tree.get(path)
            served = self._corrupted.get((unquote(repo), path), data)
        if commits is None:
            return _send(req, 404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found", send_body)
        if commit is None:
            return _send(req, 404, {"X-Error-Code": "RevisionNotFound"}, b"Invalid rev id", send_body)
        if data is None or served is None:
            # The real Hub names the commit even here; the client then caches the miss in .no_exist/.
            headers = {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}
            return _send(req, 404, headers, b"Entry not found", send_body)
        # ETag = quoted sha256 of the content, as the Hub sends for LFS files (weights always are):
        # the client names the cached blob after it, so blobs/<sha256> can be checked by a test.
        etag = f'"{hashlib.sha256(data).hexdigest()}"'
        headers = {"X-Repo-Commit": commit, "ETag": etag, "Accept-Ranges": "bytes"}
        status, total, start = 200, len(served), 0
        match = _RANGE_RE.fullmatch(req.headers.get("Range", "").strip())
        if match and match.group(1):  # "bytes=N-" or "bytes=N-M": what http_get sends to resume
            start, end = int(match.group(1)), min(int(match.group(2) or total - 1), total - 1)
            if start >= total or start > end:
                return _send(req, 416, {"Content-Range": f"bytes */{total}"}, b"", send_body)
            status, served = 206, served[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        _send(req, status, headers, served, send_body=False)  # the headers; the body below
        if not send_body:
            return
        fault = self._take_fault(unquote(repo), path)
        if fault is None:
            return _send_body(req, served)
        _send_faulty(req, served, max(fault.at - start, 0), fault.go)


def _send(
    req: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, send_body: bool
) -> None:
    """Write one response; a HEAD gets the same headers (Content-Length included) but no body."""
    req.send_response(status)
    for name, value in headers.items():
        req.send_header(name, value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    if send_body:
        _send_body(req, body)


def _send_body(req: BaseHTTPRequestHandler, body: bytes) -> None:
    """The body; a client that went away (killed, or it gave up) is no error of the server's."""
    with contextlib.suppress(OSError):
        req.wfile.write(body)


def _send_faulty(req: BaseHTTPRequestHandler, body: bytes, keep: int, go: threading.Event | None) -> None:
    """The first ``keep`` bytes, then either the connection closes (HTTP/1.0 closes after each
    answer, so returning short is the drop) or, once ``go`` is set, the rest."""
    _send_body(req, body[:keep])
    if go is not None:
        go.wait()
        _send_body(req, body[keep:])
