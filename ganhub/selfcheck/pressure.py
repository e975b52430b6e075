"""Pressure beyond a fair load: a queue filled past its size, and clients that trickle bytes.

- Queue full: more calls join at once than the queue holds. Those beyond its size must be
  refused straight away with Gradio's 503 "Queue is full" (a clear "come back later", not a
  fault, so it is kept out of the 5xx count), every accepted call must still complete with
  the sequential run's output, and the next call must run.
- Slow clients: connections that send their headers or an upload's body a byte at a time
  (slowloris) must not stop others being served; an upload abandoned half-way must leave no
  file behind in the server's temp folder.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from ganhub.selfcheck.abuse import files_under
from ganhub.selfcheck.client import ApiClient, Reply, StatusLog
from ganhub.selfcheck.load import Reference, digest, execute
from ganhub.selfcheck.report import Row
from ganhub.selfcheck.server import Target

QUEUE_EXTRA = 8  # joins beyond the queue's size: enough to overflow it while it drains
JOIN_THREADS = 8  # joins sent in parallel, so the queue fills faster than a slow model drains it
SLOW_CLIENTS = 16  # half trickle their headers, half an upload's body
SLOW_HOLD_SECONDS = 3.0
TRICKLE_INTERVAL = 0.25  # seconds between two bytes of a slow client
LEFTOVER_WAIT_SECONDS = 5.0  # time the server may take to delete an abandoned upload


# -- queue full ----------------------------------------------------------------------------
def _join_timed(client: ApiClient, fn_index: int, data: list, session: str) -> tuple[Reply | None, float]:
    """One join; (its refusal or None when accepted, seconds it took)."""
    started = time.perf_counter()
    _, joined = client.join(fn_index, data, session)
    return (joined if isinstance(joined, Reply) else None), time.perf_counter() - started


def queue_full_row(target: Target, ref: Reference, queue_size: int, timeout: float) -> Row:
    """Joins past the queue's size are refused with 503 "Queue is full"; the accepted ones finish."""
    check = "queue full"
    expected = (f"joins past the queue's {queue_size} refused at once (503 'Queue is full'); "
                "accepted calls finish with the sequential output; the next call runs")
    if not ref.calls:
        return Row(check, expected, "no model ran in the warm-up", False)
    slow = max(ref.calls, key=lambda call: ref.seconds[call.label])  # fills the queue soonest
    own = StatusLog()  # the 503s are this check's expected answer, not server faults
    client = ApiClient(target.url, own, timeout)
    session = uuid.uuid4().hex
    try:
        data = client.resolve(slow.data)  # upload once; every join sends the same files
        with ThreadPoolExecutor(JOIN_THREADS) as pool:
            joins = list(pool.map(lambda _: _join_timed(client, slow.endpoint.fn_index, data, session),
                                  range(queue_size + QUEUE_EXTRA)))
        accepted = sum(reply is None for reply, _ in joins)
        replies = client.results(session, accepted) if accepted else []
        finished = [r for r in replies if r.ok and digest(client, r) == ref.digests[slow.label]]
        after = execute(client, ref.calls[0])
    finally:
        client.close()
    after_ok = after.reply.ok and after.digest == ref.digests[after.call.label]
    return _queue_verdict(check, expected, joins, accepted, len(finished), after_ok, own)


def _queue_verdict(check: str, expected: str, joins: list[tuple[Reply | None, float]], accepted: int,
                   finished: int, after_ok: bool, own: StatusLog) -> Row:
    refusals = [reply for reply, _ in joins if reply is not None]
    full = [r for r in refusals if r.status == 503 and "queue is full" in str(r.error).lower()]
    slowest_refusal = max((seconds for reply, seconds in joins if reply is not None), default=0.0)
    faults = [s for s in own.statuses if s >= 500 and s != 503]
    observed = (f"{len(joins)} joins: {accepted} accepted, {len(refusals)} refused "
                f"({len(full)} with 503 'Queue is full', slowest refusal {slowest_refusal * 1000:.0f} ms); "
                f"{finished} of {accepted} accepted finished with the sequential output; "
                f"next call {'ok' if after_ok else 'FAILED'}")
    if not refusals:
        observed += "; the queue never filled (is the server's queue larger? pass --queue-size)"
    odd = next((r for r in refusals if r not in full), None)
    if odd is not None:
        observed += f"; other refusal: [{odd.status}] {odd.error}"
    if faults:
        observed += f"; HTTP {sorted(set(faults))}"
    passed = bool(full) and len(full) == len(refusals) and finished == accepted and after_ok and not faults
    return Row(check, expected, observed, passed)


# -- slow clients --------------------------------------------------------------------------
@dataclass
class Tricklers:
    """Raw connections that each send a little, then one byte every ``TRICKLE_INTERVAL``."""

    url: str
    sockets: list[socket.socket] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    dropped: int = 0  # connections the server closed on them

    def open(self, count: int) -> None:
        """Open ``count`` connections: half trickle headers, half an upload's body."""
        parts = urlsplit(self.url)
        for index in range(count):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            sock.sendall(self._upload_start() if index % 2 else b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)

    @staticmethod
    def _upload_start(size: int = 256 * 1024) -> bytes:
        """Headers of an upload of ``size`` bytes, then its first KiB (the server starts storing it)."""
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"slow.png\"\r\n"
                "Content-Type: image/png\r\n\r\n").encode()
        return (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(head) + size}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode() + head + b"\0" * 1024

    def trickle(self) -> None:
        """Send one more byte on every open connection until :attr:`stop` is set."""
        while not self.stop.wait(TRICKLE_INTERVAL):
            for sock in list(self.sockets):
                try:
                    sock.sendall(b"X")
                except OSError:  # the server hung up on a slow client: allowed
                    self.sockets.remove(sock)
                    self.dropped += 1

    def close(self) -> None:
        """Stop trickling and hang up every connection (abandoning the uploads)."""
        self.stop.set()
        for sock in self.sockets:
            sock.close()


def slow_clients_row(target: Target, ref: Reference, log: StatusLog, timeout: float) -> Row:
    """Good calls run while slow clients hold connections; abandoned uploads leave no file."""
    check = "slow clients (slowloris, trickled uploads)"
    expected = (f"{SLOW_CLIENTS} connections trickling for {SLOW_HOLD_SECONDS:.0f} s: good calls meanwhile "
                "succeed within 5 s; abandoned uploads leave no file")
    if not ref.calls:
        return Row(check, expected, "no model ran in the warm-up", False)
    before = files_under(target.tmp)
    slow = Tricklers(target.url)
    sender = threading.Thread(target=slow.trickle, daemon=True)
    client = ApiClient(target.url, log, timeout)
    try:
        slow.open(SLOW_CLIENTS)
        sender.start()
        outcomes, deadline = [], time.monotonic() + SLOW_HOLD_SECONDS
        while time.monotonic() < deadline or not outcomes:
            outcomes.append(execute(client, ref.calls[0]))
    finally:
        client.close()
        slow.close()
        sender.join(timeout=5)
    left = _leftovers(target.tmp, before)
    good = [o for o in outcomes if o.reply.ok and o.digest == ref.digests[o.call.label]]
    slowest = max(o.reply.seconds for o in outcomes)
    stored = "not checked (server temp folder unknown)" if target.tmp is None else f"{len(left)} file(s) left"
    observed = (f"{SLOW_CLIENTS} slow connections ({slow.dropped} dropped by the server); meanwhile "
                f"{len(good)} of {len(outcomes)} good calls ok, slowest {slowest:.2f} s; abandoned uploads: {stored}")
    if left:
        observed += f" ({', '.join(sorted(p.name for p in left)[:3])})"
    return Row(check, expected, observed, len(good) == len(outcomes) and slowest <= 5.0 and not left)


def _leftovers(folder: Path | None, before: set[Path]) -> set[Path]:
    """Files new in ``folder`` that are not outputs of the good calls, once the server had time to clean."""
    deadline = time.monotonic() + LEFTOVER_WAIT_SECONDS
    while True:
        left = {p for p in files_under(folder) - before if not _an_output(p)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _an_output(path: Path) -> bool:
    """Whether ``path`` is a whole image (a good call's input or output), not a half-stored upload.

    The trickled uploads are zeros, which no image format reads.
    """
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception:
        return False
    return True
