"""Shared pytest fixtures for the ganhub test suite.

Add new fixtures as further sections at the end, each with its own ``# -- name --`` header.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_server import LocalHub

# `--runtime auto` (the CLI's and the app's default) exports a model to ONNX on its first run and
# caches the graph per machine; off here so every test runs the same runtime on every machine
# and no test pays an export it did not ask for. tests/test_runtime_auto.py turns it on.
os.environ.setdefault("GANHUB_AUTO_EXPORT", "0")

# -- local Hugging Face Hub ----------------------------------------------------------------
# `local_hub` serves files through the Hub's resolve protocol on 127.0.0.1 (tests/hub_server.py);
# `hf_env` points the real huggingface_hub client at it and at a fresh cache in tmp_path.


@pytest.fixture
def local_hub() -> Iterator[LocalHub]:
    """A started LocalHub, stopped (socket closed) at teardown."""
    hub = LocalHub()
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


class HubEnv:
    """What `hf_env` set up, plus switches a test may flip (all undone at teardown).

    huggingface_hub copies environment variables into `huggingface_hub.constants` at import time,
    so setting the variables alone does nothing once it is imported. Patched here, besides the env:
      - ENDPOINT and HUGGINGFACE_CO_URL_TEMPLATE: hf_hub_url() formats the template (built from
        ENDPOINT at import), and only swaps in an `endpoint=` argument when the URL starts with
        ENDPOINT, so the two must be patched together;
      - HF_HOME, HF_HUB_CACHE (default cache_dir), HF_XET_CACHE, HF_TOKEN_PATH,
        HF_STORED_TOKENS_PATH (so no real token is read and sent), and the `HF_HUB_CACHE` copy
        that utils/_cache_manager.py imported by name (scan_cache_dir's default);
      - HF_HUB_OFFLINE, read through constants.is_offline_mode() by the request hook that blocks
        every request (see `set_offline`);
      - HF_HUB_DISABLE_TELEMETRY: otherwise the first request of the process is preceded by
        `GET {ENDPOINT}/api/agent-harnesses` (user-agent agent detection, 3 s timeout), which
        would show up in `hub.requests` of whichever test happens to run first.
    """

    def __init__(self, hub: LocalHub, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hub = hub
        self.endpoint = hub.endpoint
        self.home = home
        self.cache_dir = home / "hub"
        self._mp = monkeypatch

    def _set(self, env: str, constant: str, env_value: str, value: object) -> None:
        """Set an env variable and its import-time copy in huggingface_hub.constants."""
        from huggingface_hub import constants

        self._mp.setenv(env, env_value)
        self._mp.setattr(constants, constant, value)

    def set_offline(self, offline: bool = True) -> None:
        """Toggle HF_HUB_OFFLINE: while on, the client raises OfflineModeIsEnabled before any request."""
        self._set("HF_HUB_OFFLINE", "HF_HUB_OFFLINE", "1" if offline else "0", offline)

    def set_retries(self, enabled: bool) -> None:
        """Turn on/off hf_hub_download's second, retrying metadata pass after a network error.

        When the Hub is unreachable and the file is not cached, huggingface_hub 2.4.0 retries the
        HEAD with backoff (1+2+4+8+8 s of sleeps) before raising LocalEntryNotFoundError. The final
        exception is the same without it, so `hf_env` disables it to keep tests fast.
        """
        from huggingface_hub import file_download
        from huggingface_hub.utils import _http

        retry_on = _http._DEFAULT_RETRY_ON_EXCEPTIONS if enabled else ()
        self._mp.setattr(file_download, "_DEFAULT_RETRY_ON_EXCEPTIONS", retry_on)


@pytest.fixture
def hf_env(
    local_hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubEnv]:
    """Point huggingface_hub at `local_hub` and a fresh HF_HOME, whatever the import order."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _cache_manager, _http

    env = HubEnv(local_hub, tmp_path / "hf_home", monkeypatch)
    env._set("HF_ENDPOINT", "ENDPOINT", env.endpoint, env.endpoint)
    template = env.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    env._set("HF_HOME", "HF_HOME", str(env.home), str(env.home))
    env._set("HF_HUB_CACHE", "HF_HUB_CACHE", str(env.cache_dir), str(env.cache_dir))
    env._set("HF_XET_CACHE", "HF_XET_CACHE", str(env.home / "xet"), str(env.home / "xet"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(env.home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(env.home / "stored_tokens"))
    monkeypatch.setattr(_cache_manager, "HF_HUB_CACHE", str(env.cache_dir))
    env._set("HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_TELEMETRY", "1", True)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # A proxy from the environment must not swallow requests to 127.0.0.1.
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [os.environ.get(name), "127.0.0.1", "localhost"]
        monkeypatch.setenv(name, ",".join(filter(None, hosts)))
    env.set_offline(False)
    env.set_retries(False)
    # The shared httpx2 client reads proxy settings when built and pools connections to old
    # servers: start from a fresh one, and drop it again so the next test does the same.
    _http.close_session()
    yield env
    _http.close_session()
