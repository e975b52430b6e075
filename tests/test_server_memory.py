"""The app server's memory under many API calls: what one call leaves behind must not add up.

Gradio keeps a SessionState per session_hash (a copy of every block's config) and, by default,
forgets one only past 10000 sessions, so a client that takes a new session per call (a new
gradio_client.Client, the self-check's raw /queue/join) grew the server by the whole app's
config per call: about 1.4 MB with every plugin installed, and never plateaued. Here an
in-process app with one cheap model answers a few hundred calls, half on a new session each,
half on one reused session, and the Python objects the garbage collector tracks must not grow
with the number of calls once the server has reached its working set.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ganhub

httpx = pytest.importorskip("httpx")
pytest.importorskip("gradio")

WARM_CALLS = 80  # each on a new session: past the app's bound (64), so the session store is full
MEASURED_CALLS = 200
MAX_OBJECTS_PER_CALL = 30  # what is left: Gradio's own bounded per-event and per-session records


class TinyGenerator(ganhub.GenerateModel):
    """An 8-d latent → 8×8 image map: a real model run that costs next to nothing."""

    def __init__(self, weights: Path) -> None:
        self.spec = ganhub.ModelSpec(id="tiny-gen", title="Tiny generator", task="other", license="MIT",
                                     description="A linear map from a latent to an 8×8 image.",
                                     weights=(ganhub.WeightSource(str(weights)),))

    def build(self, weights: Path | None) -> Any:
        import torch

        torch.manual_seed(0)
        linear = torch.nn.Linear(8, 3 * 8 * 8)
        return torch.nn.Sequential(linear, torch.nn.Sigmoid(), torch.nn.Unflatten(1, (3, 8, 8)))

    def latents(self, seed: int, count: int, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
        return (np.random.default_rng(seed).standard_normal((count, 8)).astype(np.float32),)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from app_server import free_port

    from ganhub.engine import Engine
    from ganhub.registry import Registry
    from ganhub.ui.app import build_app, configure_queue, launch_kwargs

    weights = tmp_path_factory.mktemp("tiny") / "tiny.bin"
    weights.write_bytes(b"not read: the network is seeded")
    registry = Registry.from_models(TinyGenerator(weights))
    demo = configure_queue(build_app(registry, Engine(registry, device="cpu")))
    port = free_port()
    demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs("127.0.0.1", port, False, False))
    yield demo, f"http://127.0.0.1:{port}/gradio_api"
    demo.close()


class Caller:
    """Calls one endpoint over Gradio's queue protocol, on a new session or on a fixed one."""

    def __init__(self, demo: Any, url: str, api_name: str) -> None:
        self.fn_index, fn = next((i, f) for i, f in demo.fns.items() if f.api_name == api_name)
        self.data = [getattr(block, "value", None) for block in fn.inputs]  # each widget's default
        self.http = httpx.Client(base_url=url, timeout=60, trust_env=False)
        self.session = uuid.uuid4().hex

    def call(self, new_session: bool) -> None:
        session = uuid.uuid4().hex if new_session else self.session
        body = {"data": self.data, "fn_index": self.fn_index, "session_hash": session, "event_data": None,
                "trigger_id": None}
        self.http.post("/queue/join", json=body).raise_for_status()
        with self.http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    assert message.get("success"), message.get("output")
                    return
        raise AssertionError("the event stream ended without a result")

    def calls(self, count: int, every_new: int) -> None:
        """``count`` calls, each ``every_new``-th on a new session, the others on the fixed one."""
        for index in range(count):
            self.call(new_session=index % every_new == 0)


def tracked_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_python_objects_do_not_grow_with_api_calls(app: tuple[Any, str]) -> None:
    demo, url = app
    caller = Caller(demo, url, "tiny_gen")
    try:
        caller.calls(WARM_CALLS, every_new=1)
        before = tracked_objects()
        caller.calls(MEASURED_CALLS, every_new=2)
        after = tracked_objects()
    finally:
        caller.http.close()
    per_call = (after - before) / MEASURED_CALLS
    sessions = len(demo.state_holder.session_data)
    assert per_call < MAX_OBJECTS_PER_CALL, (
        f"{per_call:.0f} more Python objects per API call ({before} → {after} over {MEASURED_CALLS} calls); "
        f"Gradio holds the state of {sessions} sessions")
    from ganhub.ui.app import STATE_SESSIONS

    assert sessions <= STATE_SESSIONS
