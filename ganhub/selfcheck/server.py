"""The server under test: started here (`python app.py --host 127.0.0.1 --port N ...`) or given by URL.

A started server runs in the deployer's own environment with one change: its temp folder
(``TMPDIR``) is a fresh folder of the battery's, so the checks can see every file the server
stores there (uploads, outputs, a refused upload's leftovers) and plant files it must not serve.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Target:
    """Where the server listens; its pid and temp folder when known (a server started here)."""

    url: str
    pid: int | None = None
    tmp: Path | None = None
    log_path: Path | None = None

    def rss_mb(self) -> float | None:
        """The server's resident memory now (VmRSS), in MiB; None when it cannot be read."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), None)
        return None if line is None else int(line.split()[1]) / 1024

    def alive(self) -> bool:
        """Whether the server still answers its page."""
        try:
            return httpx.get(self.url + "/", timeout=10, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server printed (a started server only)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_command(port: int, args: list[str]) -> list[str]:
    """`python app.py ...` from a source checkout, else `python -m ganhub serve ...`."""
    entry = [str(ROOT / "app.py")] if (ROOT / "app.py").exists() else ["-m", "ganhub", "serve"]
    return [sys.executable, *entry, "--host", "127.0.0.1", "--port", str(port), *args]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once ``url`` answers 200; raise if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before answering")
        try:
            if httpx.get(url + "/", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class LocalServer:
    """The app in a subprocess on a free loopback port; a context manager that stops it."""

    args: list[str] = field(default_factory=list)
    startup_timeout: float = 180.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ganhub-selfcheck-")))
    process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """The caller's environment, with a private temp folder and no telemetry."""
        tmp = self.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(tmp), "GRADIO_ANALYTICS_ENABLED": "False",
               "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1,localhost"}
        env.pop("GRADIO_TEMP_DIR", None)  # the app picks its own, as it would when deployed
        return env

    def start(self) -> Target:
        """Launch the app and wait until its page answers."""
        port = free_port()
        log_path = self.workdir / "server.log"
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(app_command(port, self.args), cwd=self.workdir, env=self.environment(),
                                            stdout=log, stderr=subprocess.STDOUT)
        target = Target(f"http://127.0.0.1:{port}", self.process.pid, self.workdir / "tmp", log_path)
        try:
            wait_until_up(target.url, self.process, self.startup_timeout)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n--- server log ---\n{target.log_tail()}") from None
        return target

    def stop(self) -> None:
        """Terminate the server (kill it after 10 s) and remove its folder."""
        stop_process(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def stop_process(process: "subprocess.Popen[bytes] | None") -> None:
    """Terminate ``process`` if it still runs; kill it if it has not stopped within 10 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
