"""A small raw client for the app's Gradio API, so every HTTP status is seen.

``gradio_client`` hides HTTP statuses and refuses to send NaN, so the battery speaks the
protocol itself: upload files (``POST /gradio_api/upload``), join the queue
(``POST /gradio_api/queue/join``), then read the server-sent events of that session
(``GET /gradio_api/queue/data``) until the event completes. Every response status is
recorded, so a 500 anywhere is counted.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

FILE_META = {"_type": "gradio.FileData"}


@dataclass(frozen=True)
class Upload:
    """A file the client uploads just before the call; replaced by its server path."""

    name: str
    content: bytes


@dataclass
class Reply:
    """How one call ended: its output data, or the error message the server gave."""

    ok: bool
    data: Any = None
    error: str | None = None
    status: int = 200
    seconds: float = 0.0


@dataclass
class StatusLog:
    """Every HTTP status seen, shared by the clients of one battery (thread-safe)."""

    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response) -> None:
        """An httpx response hook."""
        with self.lock:
            self.statuses.append(response.status_code)

    def server_errors(self) -> list[int]:
        """The 5xx statuses seen so far."""
        with self.lock:
            return [code for code in self.statuses if code >= 500]


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The JSON messages of a server-sent event stream."""
    for line in response.iter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    return str(body.get("detail", body) if isinstance(body, dict) else body)[:300]


class ApiClient:
    """One user of the API: its own connection pool, sharing a :class:`StatusLog`."""

    def __init__(self, url: str, log: StatusLog, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url + "/gradio_api", timeout=timeout, trust_env=False,
                                 event_hooks={"response": [log.record]})

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def upload(self, upload: Upload) -> dict[str, Any]:
        """Upload one file; its FileData for a call (raises on a refused upload)."""
        response = self.http.post("/upload", files={"files": (upload.name, upload.content)})
        response.raise_for_status()
        return {"path": response.json()[0], "orig_name": upload.name, "meta": FILE_META}

    def resolve(self, value: Any) -> Any:
        """``value`` with every :class:`Upload` inside uploaded and replaced by its FileData."""
        if isinstance(value, Upload):
            return self.upload(value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def call(self, fn_index: int, data: list[Any]) -> Reply:
        """Upload, join the queue, wait for the result; never raises for a refused call."""
        started = time.perf_counter()
        try:
            reply = self._call(fn_index, self.resolve(data))
        except httpx.HTTPStatusError as exc:
            reply = Reply(False, error=_detail(exc.response), status=exc.response.status_code)
        except httpx.HTTPError as exc:
            reply = Reply(False, error=f"{type(exc).__name__}: {exc}", status=0)
        reply.seconds = time.perf_counter() - started
        return reply

    def join(self, fn_index: int, data: list[Any], session: str | None = None) -> tuple[str, httpx.Response | Reply]:
        """Join the queue: (session, the join response), or a refusal as a Reply.

        Calls joined under one ``session`` share one event stream (see :meth:`results`).
        """
        session = session or uuid.uuid4().hex
        body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                "trigger_id": None}
        response = self.http.post("/queue/join", content=json.dumps(body),
                                  headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            return session, Reply(False, error=_detail(response), status=response.status_code)
        return session, response

    def _call(self, fn_index: int, data: list[Any]) -> Reply:
        session, joined = self.join(fn_index, data)
        if isinstance(joined, Reply):
            return joined
        with self.http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            stream.raise_for_status()
            for message in _events(stream):
                reply = _completed(message)
                if reply is not None:
                    return reply
        return Reply(False, error="the event stream ended without a result", status=0)

    def results(self, session: str, count: int) -> list[Reply]:
        """The replies of ``count`` calls joined under ``session``, in the order they complete."""
        replies: list[Reply] = []
        with self.http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            stream.raise_for_status()
            for message in _events(stream):
                reply = _completed(message)
                if reply is not None:
                    replies.append(reply)
                if len(replies) == count or message.get("msg") == "close_stream":
                    break
        return replies

    def hang_up(self, fn_index: int, data: list[Any], at: tuple[str, ...]) -> str | None:
        """Join, then close the connection at the first message of a kind in ``at``; that kind."""
        session, joined = self.join(fn_index, self.resolve(data))
        if isinstance(joined, Reply):
            return f"refused: {joined.error}"
        with self.http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            for message in _events(stream):
                kind = message.get("msg")
                if kind in at:
                    return kind  # leaving the block closes the connection mid-request
                if kind == "process_completed":
                    return "completed before hanging up"
        return None


def _completed(message: dict[str, Any]) -> Reply | None:
    """The Reply a final message means, or None for a progress message."""
    kind = message.get("msg")
    if kind == "process_completed":
        output = message.get("output") or {}
        if message.get("success"):
            return Reply(True, data=output.get("data"))
        return Reply(False, error=output.get("error"))
    if kind in ("unexpected_error", "server_stopped"):
        return Reply(False, error=str(message.get("message") or kind), status=0)
    return None
