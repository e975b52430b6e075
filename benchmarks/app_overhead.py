"""What a call through the app's API costs over the same work in process.

    python benchmarks/app_overhead.py [--size 128] [--rounds 9] [--model realesr-animevideov3]

Starts ``python app.py`` (the super-resolution plugin only) on a loopback port, then times,
in interleaved rounds on one real photo crop:
  - app: ``gradio_client`` predict on the model's endpoint (upload, queue, run, the result
    files fetched by the client);
  - in process: ``Engine.run`` + writing the full-resolution PNG, as the endpoint does.
Prints medians and their ratio (the issue's goal: ≤ 1.3×), plus the files one call returns.
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
    from ganhub.selfcheck.server import LocalServer
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
        app_ms, local_ms = [], []
        for _ in range(args.rounds):
            for run, times in ((through_app, app_ms), (in_process, local_ms)):
                started = time.perf_counter()
                run()
                times.append((time.perf_counter() - started) * 1000)
    app, local = statistics.median(app_ms), statistics.median(local_ms)
    print(f"{args.model} {args.size}² ({args.runtime}), medians of {args.rounds} interleaved rounds")
    print(f"  in process (run + write PNG): {local:8.1f} ms")
    print(f"  through the app's API:        {app:8.1f} ms   {app / local:.2f}× in process")
    print(f"  files one call returns: {len(returned)} ({sum(os.path.getsize(p) for p in returned) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
