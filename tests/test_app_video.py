"""The app's "Video / animation" path, through `python app.py` in a subprocess.

A tiny clip made here with PyAV (8 frames of 64×48 H.264 from a real photo, and an AAC tone)
goes to the test blur model's ``/test_good_blur_video`` endpoint with gradio_client: the
result must be a playable MP4 with every frame, the audio, and the provenance tag, which
``ganhub info --of`` then reads back. Image outputs keep their input's EXIF and carry the
record unless "Strip metadata" is ticked. Last, the tab in a real browser (Chromium, when
installed): upload, run, a video that plays; the screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_server import ROOT, AppServer, give_file, running_test_plugins_app
from PIL import Image

from ganhub.media import provenance

av = pytest.importorskip("av")
gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

FPS, FRAMES, WIDTH, HEIGHT = 12, 8, 64, 48
BLUR = "test_good_blur"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts"


# -- media made here ---------------------------------------------------------------------------
def photo_frames() -> list[np.ndarray]:
    """A slow pan across skimage's astronaut: real texture, every frame different."""
    import skimage.data

    photo = skimage.data.astronaut()
    return [np.ascontiguousarray(photo[60:60 + HEIGHT, 150 + 4 * i:150 + 4 * i + WIDTH]) for i in range(FRAMES)]


def make_clip(path: Path) -> Path:
    """FRAMES frames at FPS (H.264, yuv420p) and a 440 Hz mono AAC tone as long as the video."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        sound = container.add_stream("aac", rate=48_000)
        sound.layout = "mono"
        for index, pixels in enumerate(photo_frames()):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        _mux_tone(container, sound, FRAMES / FPS)
    return path


def _mux_tone(container: Any, stream: Any, seconds: float) -> None:
    t = np.arange(int(48_000 * seconds)) / 48_000
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48_000, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def streams(path: str | Path) -> dict[str, Any]:
    """Codec, container, frame count and audio of a video, decoded for real."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        return {"format": container.format.name, "codec": video.codec_context.name, "frames": len(frames),
                "size": (video.width, video.height), "audio": [s.codec_context.name for s in container.streams.audio]}


# -- the app -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_test_plugins_app(tmp_path_factory.getbasetemp()) as app:
        yield app


@pytest.fixture(scope="module")
def client(server: AppServer) -> Client:
    return Client(server.url, verbose=False)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "walk.mp4")


@pytest.fixture(scope="module")
def video_result(client: Client, clip: Path) -> tuple[Any, ...]:
    """One run of the video endpoint: crf 18, 2 frames a batch, metadata kept, 64 px tiles, torch."""
    return client.predict(handle_file(str(clip)), 18, 2, False, 64, 8, "torch", api_name=f"/{BLUR}_video")


def player_path(value: Any) -> str:
    """gradio_client gives a Video output as {"video": path, "subtitles": …}."""
    return value["video"] if isinstance(value, dict) else value


def test_the_video_endpoint_takes_the_video_and_its_options(client: Client) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    names = [p["parameter_name"] for p in endpoints[f"/{BLUR}_video"]["parameters"]]
    assert names == ["video", "crf", "batch_size", "strip_metadata", "tile", "tile_overlap", "runtime"]
    inpaint = [p["parameter_name"] for p in endpoints["/ganhub_watermark_cgan_video"]["parameters"]]
    assert inpaint[:5] == ["video", "mask", "crf", "static_mask", "strip_metadata"]


def test_a_clip_comes_back_as_a_playable_mp4_with_every_frame(video_result: tuple[Any, ...], clip: Path) -> None:
    player, animation, download, info = video_result
    assert animation is None
    assert Path(download).name == "walk_result.mp4"  # named after the input
    assert Path(player_path(player)).suffix == ".mp4"
    found = streams(download)
    assert found == {"format": "mov,mp4,m4a,3gp,3g2,mj2", "codec": "h264", "frames": FRAMES,
                     "size": (WIDTH, HEIGHT), "audio": ["aac"]}  # H.264 in MP4: what every browser plays
    assert f"Done: {FRAMES} frames" in info and "on cpu (torch)" in info
    # The blur really ran: each output frame is smoother than its input frame.
    with av.open(str(download)) as out, av.open(str(clip)) as source:
        after = [f.to_ndarray(format="rgb24").astype(float) for f in out.decode(video=0)]
        before = [f.to_ndarray(format="rgb24").astype(float) for f in source.decode(video=0)]
    roughness = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert all(roughness(a) < 0.8 * roughness(b) for a, b in zip(after, before))


def test_the_video_records_how_it_was_made(video_result: tuple[Any, ...]) -> None:
    record = provenance.read(video_result[2])
    assert record is not None and record.model == "test-good-blur"
    assert record.runtime == "torch" and record.device == "cpu"
    assert record.weights.startswith("pkg://ganhub-test-good/") and len(record.sha256) == 64
    assert record.params == {"tile": 64, "tile_overlap": 8}
    assert record.settings["crf"] == 18 and record.settings["batch_size"] == 2


def test_an_animated_gif_stays_an_animation(client: Client, tmp_path: Path) -> None:
    frames = [Image.fromarray(f) for f in photo_frames()[:4]]
    gif = tmp_path / "wave.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=[80, 120, 80, 120], loop=0)
    player, animation, download, _ = client.predict(handle_file(str(gif)), 18, 1, True, 64, 8, "torch",
                                                    api_name=f"/{BLUR}_video")
    assert player_path(player) is None and Path(animation).suffix == Path(download).suffix == ".gif"
    with Image.open(download) as out:
        assert out.n_frames == 4 and out.info["loop"] == 0
    assert provenance.read(download).model == "test-good-blur"


def test_not_a_video_is_refused_clearly(client: Client, tmp_path: Path) -> None:
    def run(path: Path) -> str:
        with pytest.raises(gradio_client.exceptions.AppError) as refused:
            client.predict(handle_file(str(path)), 18, 1, False, 64, 8, "torch", api_name=f"/{BLUR}_video")
        return str(refused.value)

    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    assert "Invalid file type" in run(text)  # Gradio refuses other suffixes itself
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"not a video at all" * 64)
    message = run(fake)
    assert "fake.mp4" in message and "Traceback" not in message and "failed unexpectedly" not in message
    assert client.predict(handle_file(str(make_clip(tmp_path / "again.mp4"))), 18, 1, False, 64, 8, "torch",
                          api_name=f"/{BLUR}_video")[2].endswith("again_result.mp4")  # the next run still works


def test_image_outputs_keep_exif_and_the_record_unless_stripped(client: Client, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    source = tmp_path / "cam.png"
    Image.fromarray(photo_frames()[0]).save(source, exif=exif.tobytes())
    kept = client.predict(handle_file(str(source)), 64, 8, "torch", False, api_name=f"/{BLUR}")[0]
    stripped = client.predict(handle_file(str(source)), 64, 8, "torch", True, api_name=f"/{BLUR}")[0]
    with Image.open(kept) as image:
        assert image.getexif().get(0x010F) == "TestCam"
    with Image.open(stripped) as image:
        assert image.getexif().get(0x010F) is None
    assert provenance.read(kept).model == provenance.read(stripped).model == "test-good-blur"


# -- ganhub info --of --------------------------------------------------------------------------
def ganhub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganhub", *args], capture_output=True, text=True, timeout=120)


def test_info_of_an_output_prints_its_record(video_result: tuple[Any, ...], tmp_path: Path) -> None:
    done = ganhub("info", "--of", video_result[2])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "model: test-good-blur"
    assert any(line.startswith("weights: pkg://ganhub-test-good/") for line in lines)
    assert "params: tile=64, tile_overlap=8" in lines and "ran on: cpu (torch)" in lines
    as_json = json.loads(ganhub("info", "--of", video_result[2], "--json").stdout)
    assert as_json["model"] == "test-good-blur" and as_json["settings"]["crf"] == 18
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    refused = ganhub("info", "--of", str(plain))
    assert refused.returncode != 0 and "'plain.png' has no ganhub record" in refused.stderr
    assert "Traceback" not in refused.stderr


# -- in a browser --------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_the_video_tab_in_a_browser(server: AppServer, clip: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "/")
            page.get_by_role("heading", name="ganhub").wait_for()
            run_in_page(page, clip)
        finally:
            browser.close()


def run_in_page(page: Any, clip: Path) -> None:
    for name in ("Other", "Test blur", "Video / animation"):
        page.get_by_role("tab", name=name, exact=True).click()
    # The sub-tab renders when first shown: give it the file once its run button is there.
    page.locator(f"#video-run-{BLUR}").wait_for()
    upload(page, clip)
    page.locator(f"#video-run-{BLUR}").click()
    video = page.locator(f"#video-output-{BLUR} video")
    video.wait_for(timeout=90_000)
    page.get_by_text(f"Done: {FRAMES} frames").wait_for()
    # The browser itself decodes it: metadata loaded, the clip's size and length.
    page.wait_for_function(f"() => document.querySelector('#video-output-{BLUR} video').readyState >= 1")
    width, seconds = video.evaluate("v => [v.videoWidth, v.duration]")
    assert width == WIDTH and abs(seconds - FRAMES / FPS) < 0.2
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "video-tab-test-blur.png"), full_page=True)
    download = page.locator(f"#video-file-{BLUR} a[download]").first
    assert download.get_attribute("href").endswith("walk_result.mp4")
    assert not page.locator(f"#animation-output-{BLUR}").is_visible()  # the image box is for animations


def upload(page: Any, clip: Path) -> None:
    """Give the clip to the video box; return once the upload succeeded and the box lists it.

    The box shows a finished upload as a row whose name cell is labelled with the file name
    (its text is split into stem and extension), so the row is found by that label. Waiting
    for the bare text "walk.mp4" only caught the brief upload-progress panel, which a fast
    upload can skip: it failed a fresh-clone CI run, and 4 of 6 runs here once it came after
    the upload's answer.
    """
    box = page.locator(f"#video-input-{BLUR}")
    give_file(page, box.locator("input[type=file]"), clip)
    box.get_by_label(clip.name, exact=True).wait_for(timeout=30_000)
