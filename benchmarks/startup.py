"""Startup time of `python app.py` against a bare Gradio hello-world, launched the same way.

Each run starts a fresh interpreter and times from process start to the first HTTP 200 on
"/". The two apps alternate (ganhub, hello, ganhub, hello, …) so a warming disk cache or a
busy machine affects both alike. Prints every run, the medians and their ratio:

    python benchmarks/startup.py [--repeats 3] [--plugins superres,...]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HELLO = '''\
import argparse

import gradio as gr

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=7860)
args = parser.parse_args()
demo = gr.Interface(lambda name: "Hello " + name, "text", "text")
demo.launch(server_name="127.0.0.1", server_port=args.port)
'''


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_first_200(script: Path, extra: list[str], env: dict[str, str], timeout: float = 120.0) -> float:
    """Seconds from launching ``python script --port N`` until "/" answers 200."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(script), "--port", str(port), *extra], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"{script.name} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.02)
        raise TimeoutError(f"{script.name} did not answer within {timeout:.0f} s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """Run the alternating measurements and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plugins", default="", help="allowlist passed to app.py (default: every plugin)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1"}
    extra = ["--plugins", args.plugins] if args.plugins else []
    with tempfile.TemporaryDirectory() as folder:
        hello = Path(folder) / "hello_app.py"
        hello.write_text(HELLO)
        timings: dict[str, list[float]] = {"ganhub app.py": [], "gradio hello": []}
        for repeat in range(args.repeats):
            for name, script, flags in (("ganhub app.py", ROOT / "app.py", extra), ("gradio hello", hello, [])):
                seconds = time_to_first_200(script, flags, env)
                timings[name].append(seconds)
                print(f"run {repeat + 1}: {name:14s} {seconds:6.2f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print()
    for name, median in medians.items():
        print(f"{name:14s} median {median:6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in timings[name])})")
    print(f"ratio ganhub / hello: {medians['ganhub app.py'] / medians['gradio hello']:.2f}")


if __name__ == "__main__":
    main()
