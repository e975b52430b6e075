"""What a call through the app's API costs over the same work in process.

    python benchmarks/app_overhead.py [--size 128] [--rounds 9] [--model realesr-animevideov3]

Starts ``python app.py`` (the super-resolution plugin only) on a loopback port, then times,
in interleaved rounds on one real photo crop:
  - app: ``gradio_client`` predict on the model's endpoint (upload, queue, run, the result
    files fetched by the client);
  - in process: ``Engine.run`` + writing the full-resolution PNG, as the endpoint does;
  - Gradio's floor: a bare Gradio app in this process whose endpoint takes the same upload and
    returns a copy of the same result file (no model): what any Gradio endpoint costs here.
Prints medians and their ratio (the issue's goal: ≤ 1.3×), the part of the app's cost that is
neither the work nor Gradio's floor (ganhub's own overhead), and the files one call returns.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def crop(size: int, path: Path) -> Path:
    from PIL import Image
    from skimage import data

    Image.fromarray(np.ascontiguousarray(data.astronaut()[60 : 60 + size, 150 : 150 + size])).save(path)
    return path


def files_in(value: object) -> list[str]:
    """Local paths of the files a predict() result holds (the client downloaded them)."""
    if isinstance(value, (list, tuple)):
        return [p for item in value for p in files_in(item)]
    if isinstance(value, dict):
        return [p for item in value.values() for p in files_in(item)]
    return [value] if isinstance(value, str) and os.path.isfile(value) else []


BARE_APP = """
import shutil, sys, tempfile
from pathlib import Path
import gradio as gr
result = Path(sys.argv[2])
def echo(path):
    copy = Path(tempfile.mkdtemp(prefix="ganhub-floor-")) / result.name
    shutil.copy(result, copy)
    return str(copy), "done"
with gr.Blocks() as demo:
    image, file, line, button = gr.Image(type="filepath"), gr.File(), gr.Markdown(), gr.Button()
    button.click(echo, image, [file, line], api_name="echo")
demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


def bare_gradio(result: Path) -> tuple["subprocess.Popen[bytes]", str]:
    """A bare Gradio app in its own process (as the app runs): an upload in, a copy of ``result`` out."""
    import subprocess
    import sys

    from ganhub.selfcheck.server import free_port, wait_until_up

    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port), str(result)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, process, 120)
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--model", default="realesr-animevideov3")
    parser.add_argument("--runtime", default="torch")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GANHUB_PLUGINS", "superres")
    from gradio_client import Client, handle_file

    from ganhub import imaging
    from ganhub.engine import Engine
    from ganhub.registry import Registry
    from ganhub.selfcheck.server import LocalServer, stop_process
    from ganhub.ui.names import api_name_for

    folder = Path(tempfile.mkdtemp(prefix="ganhub-overhead-"))
    source = crop(args.size, folder / "crop.png")
    engine = Engine(Registry.discover(), device="cpu")
    endpoint = "/" + api_name_for(args.model)

    def in_process() -> None:
        result = engine.run(args.model, image=imaging.read_image(source), runtime=args.runtime,
                            params={"tile": 256}, quantized=True)
        imaging.write_image(folder / "out.png", result.images[0], result.alphas[0], result.bit_depth)

    with LocalServer() as target:
        client = Client(target.url, verbose=False)

        def through_app() -> object:
            return client.predict(handle_file(str(source)), 4, 256, 16, args.runtime, api_name=endpoint)

        returned = files_in(through_app())  # warm both: load the model once on each side
        in_process()
        bare, floor_url = bare_gradio(folder / "out.png")
        floor_client = Client(floor_url, verbose=False)

        def through_bare_gradio() -> object:
            return floor_client.predict(handle_file(str(source)), api_name="/echo")

        through_bare_gradio()
        times: dict[str, list[float]] = {"app": [], "local": [], "floor": []}
        for _ in range(args.rounds):
            for name, run in (("app", through_app), ("local", in_process), ("floor", through_bare_gradio)):
                started = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - started) * 1000)
        stop_process(bare)
    app, local, floor = (statistics.median(times[name]) for name in ("app", "local", "floor"))
    print(f"{args.model} {args.size}² ({args.runtime}), medians of {args.rounds} interleaved rounds")
    print(f"  in process (run + write PNG): {local:8.1f} ms")
    print(f"  through the app's API:        {app:8.1f} ms   {app / local:.2f}× in process")
    print(f"  bare Gradio, same file in/out:{floor:8.1f} ms   (Gradio's floor for any endpoint)")
    print(f"  ganhub's own overhead:        {app - local - floor:8.1f} ms   (app − in process − floor)")
    print(f"  files one call returns: {len(returned)} ({sum(os.path.getsize(p) for p in returned) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
