"""Start `python app.py` as a real server process on 127.0.0.1 for API and browser tests.

The app runs exactly as a user or a Space runs it (a subprocess, its own interpreter), so
the tests see the real startup, the real queue and the real file routes. Its output goes
to a log file that :meth:`AppServer.log` returns when something needs explaining.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from ganhub.selfcheck.server import stop_process

ROOT = Path(__file__).resolve().parent.parent
TEST_PLUGINS = "superres,watermark,test_good,test_import_error,test_colorize"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until ``url`` answers 200; raises if the process dies or time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")


class AppServer:
    """`python app.py --port <free> ...` in a subprocess; a context manager that stops it."""

    def __init__(
        self,
        *args: str,
        pythonpath: Path | None = None,
        env: dict[str, str] | None = None,
        workdir: Path | None = None,
    ) -> None:
        self.args = list(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="ganhub-app-"))
        self.log_path = self.workdir / "server.log"
        self.env = self._environment(pythonpath, env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    def _environment(self, pythonpath: Path | None, extra: dict[str, str]) -> dict[str, str]:
        env = dict(os.environ)
        if pythonpath is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
        env.update({
            "GANHUB_HOME": str(self.workdir / "ganhub-home"),  # lock file + example cache
            "HF_HOME": str(self.workdir / "hf-home"),  # an empty Hub cache
            "HF_HUB_OFFLINE": "1",  # never reach for the network
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GRADIO_TEMP_DIR": str(self.workdir / "gradio-tmp"),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        })
        env.pop("GANHUB_PLUGINS", None)
        env.update(extra)
        return env

    def start(self, timeout: float = 90.0) -> "AppServer":
        """Launch and wait until the page answers HTTP 200."""
        command = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=self.workdir, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        try:
            self.startup_seconds = wait_for_http(self.url + "/", self.process, timeout)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n--- server log ---\n{self.log()}") from None
        return self

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 10 s)."""
        stop_process(self.process)

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()


def installed_plugins_dir(base: Path) -> Path:
    """The test plugins pip-installed once under ``base`` (reused by later callers)."""
    from installed_plugins import install

    target = base / "ganhub-test-plugins"
    marker = target / ".installed"
    if not marker.exists():
        install(target)
        marker.touch()
    return target


@contextmanager
def running_test_plugins_app(basetemp: Path) -> Iterator[AppServer]:
    """The app with the test plugins (TEST_PLUGINS), installed once under pytest's ``basetemp``."""
    with AppServer("--plugins", TEST_PLUGINS, pythonpath=installed_plugins_dir(basetemp)) as app:
        yield app


def give_file(page: Any, file_input: Any, path: Path) -> None:
    """Give ``path`` to a Gradio file box's ``input[type=file]`` in a Playwright page; return once
    the server answered its upload with OK (a Run clicked before then runs without the file)."""
    def is_upload(response: Any) -> bool:
        return response.request.method == "POST" and "/gradio_api/upload" in response.url

    with page.expect_response(is_upload, timeout=30_000) as sent:
        file_input.set_input_files(str(path))
    assert sent.value.ok, f"the upload of {path.name} was answered {sent.value.status}"
