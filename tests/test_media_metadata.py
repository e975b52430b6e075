"""Outputs keep the input's ICC profile, EXIF (orientation reset, sizes updated) and XMP, lose them
with --strip-metadata, and always record how they were made (ganhub.media.provenance).

Inputs are real files written here (skimage's astronaut with a Pillow-made sRGB profile, EXIF
with GPS, an XMP packet, H.264 clips with container tags); outputs go through the CLI's own
``run_command`` and through ``run_media``, and are read back with Pillow and PyAV."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from ganhub_test_models import identity_model
from PIL import Image, ImageCms

import ganhub
from ganhub import imaging
from ganhub.cli.run import OutputGuard, run_command
from ganhub.engine import Engine
from ganhub.media import MediaOptions, provenance, run_media
from ganhub.media import metadata as media_metadata
from ganhub.registry import Registry

skimage_data = pytest.importorskip("skimage.data")

ORIENTATION, MAKE, EXIF_IFD, GPS_IFD = 0x0112, 0x010F, 0x8769, 0x8825
PIXEL_X, PIXEL_Y, USER_COMMENT = 0xA002, 0xA003, 0x9286
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Ada"/></rdf:RDF></x:xmpmeta>')


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "w.bin"
    path.write_bytes(b"ganhub test weights")  # the conv models ignore a non-safetensors file
    return path


@pytest.fixture(scope="module")
def engine(weights: Path) -> Engine:
    models = (identity_model("conv-x2", weights=str(weights), scale=2),)
    return Engine(Registry.from_models(*models, name="metadata-test"), device="cpu")


@pytest.fixture(scope="module")
def icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif() -> Image.Exif:
    """What a phone writes: make, orientation 6 (rotate 90° clockwise), pixel sizes, GPS."""
    exif = Image.Exif()
    exif[MAKE], exif[ORIENTATION] = "Ganhub Camera", 6
    exif.get_ifd(EXIF_IFD).update({PIXEL_X: 40, PIXEL_Y: 32})
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    return exif


@pytest.fixture
def photo(tmp_path: Path, icc: bytes) -> Path:
    """A 40×32 JPEG stored sideways (orientation 6) with ICC, EXIF + GPS and XMP."""
    pixels = skimage_data.astronaut()[100:132, 180:220]
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, quality=95, icc_profile=icc, exif=camera_exif(), xmp=XMP)
    return path


def cli_run(engine: Engine, source: Path, target: Path, **media: object) -> Path:
    """``ganhub run conv-x2 SOURCE -o TARGET [--strip-metadata]`` through the CLI's own function."""
    request = dict(params={}, runtime="torch", weights=None)
    failed = run_command(engine, "conv-x2", [source], target, request, seed=0, count=1, mask=None,
                         guard=OutputGuard([source], False), media=dict(media))
    assert failed == 0
    return target


def facts(path: Path) -> dict[str, object]:
    """What a viewer sees of an image's metadata."""
    with Image.open(path) as image:
        exif = image.getexif()
        return {
            "size": image.size,
            "icc": image.info.get("icc_profile"),
            "xmp": image.info.get("xmp") or image.info.get("XML:com.adobe.xmp"),
            "orientation": exif.get(ORIENTATION),
            "make": exif.get(MAKE),
            "gps": dict(exif.get_ifd(GPS_IFD)),
            "pixel_size": (exif.get_ifd(EXIF_IFD).get(PIXEL_X), exif.get_ifd(EXIF_IFD).get(PIXEL_Y)),
        }


def _xmp_text(value: object) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]


# -- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_outputs_keep_icc_exif_and_xmp(engine, photo, icc, tmp_path, suffix):
    out = facts(cli_run(engine, photo, tmp_path / f"out{suffix}"))
    assert out["size"] == (64, 80)  # upright (32×40) then ×2
    assert out["icc"] == icc  # byte for byte: the profile still describes the pixels
    assert out["orientation"] == 1  # the pixels are upright already
    assert out["pixel_size"] == (64, 80)  # the output's, not the camera's 40×32
    assert out["make"] == "Ganhub Camera" and out["gps"][1] == "N" and out["gps"][2] == (48.0, 51.0, 29.0)
    xmp = _xmp_text(out["xmp"])
    assert b'tiff:Orientation="1"' in xmp and b'dc:creator="Ada"' in xmp


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_strip_metadata_removes_them_but_keeps_the_record(engine, photo, tmp_path, suffix):
    out = facts(cli_run(engine, photo, tmp_path / f"out{suffix}", strip_metadata=True))
    assert (out["icc"], out["xmp"], out["make"], out["orientation"], out["gps"]) == (None, None, None, None, {})
    assert provenance.read(tmp_path / f"out{suffix}").model == "conv-x2"


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_every_output_records_how_it_was_made(engine, photo, weights, tmp_path, suffix):
    path = cli_run(engine, photo, tmp_path / f"out{suffix}", strip_metadata=True)
    record = provenance.read(path)
    assert record == provenance.Provenance(
        model="conv-x2", runtime="torch", device="cpu", weights="w.bin",  # a local file: its name, not its folder
        sha256=hashlib.sha256(weights.read_bytes()).hexdigest(), params={"tile": 64, "tile_overlap": 8},
        ganhub=ganhub.__version__)
    with Image.open(path) as image:  # where each format keeps it
        if suffix == ".png":
            assert provenance.Provenance.from_json(image.text["ganhub"]) == record
        comment = image.getexif().get_ifd(EXIF_IFD)[USER_COMMENT]
        assert comment.startswith(b"ASCII\x00\x00\x00") and provenance.from_user_comment(comment)


def test_a_ganhub_output_run_again_carries_only_the_new_record(engine, photo, tmp_path):
    first = cli_run(engine, photo, tmp_path / "first.jpg")
    second = cli_run(engine, first, tmp_path / "second.jpg")
    assert facts(second)["size"] == (128, 160) and facts(second)["pixel_size"] == (128, 160)
    assert provenance.read(second).model == "conv-x2"
    with Image.open(second) as image:
        assert len(image.getexif().get_ifd(EXIF_IFD)[USER_COMMENT]) == len(
            Image.open(first).getexif().get_ifd(EXIF_IFD)[USER_COMMENT])  # replaced, not appended


def test_sixteen_bit_png_keeps_icc_and_record(icc, tmp_path):
    rgb = np.linspace(0, 1, 16 * 12 * 3, dtype=np.float32).reshape(12, 16, 3)
    record = provenance.Provenance(model="m", runtime="torch", sha256="ab" * 32).to_json()
    metadata = media_metadata.with_record(media_metadata.ImageMetadata(icc=icc, xmp=XMP), record)
    path = imaging.write_image(tmp_path / "deep.png", rgb, bit_depth=16, metadata=metadata)
    decoded = imaging.read_image(path)
    assert decoded.bit_depth == 16 and decoded.metadata.icc == icc
    assert b'tiff:Orientation="1"' in decoded.metadata.xmp
    assert provenance.read(path).sha256 == "ab" * 32


def test_cmyk_profiles_are_not_carried_to_rgb_outputs(tmp_path):
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[16:20] = b"CMYK"  # a CMYK profile would describe pixels ganhub never writes
    Image.new("RGB", (8, 8)).save(tmp_path / "in.png", icc_profile=bytes(profile))
    assert imaging.read_image(tmp_path / "in.png").metadata is None


def test_read_returns_none_for_files_ganhub_did_not_make(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[USER_COMMENT] = b"ASCII\x00\x00\x00holiday"
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", exif=exif)
    (tmp_path / "comment.jpg").write_bytes(buffer.getvalue())
    assert provenance.read(tmp_path / "plain.png") is None and provenance.read(tmp_path / "comment.jpg") is None


# -- animations and video ------------------------------------------------------------------------


def _frames(count: int = 4) -> list[Image.Image]:
    photo = skimage_data.astronaut()
    return [Image.fromarray(photo[100 + 2 * i: 124 + 2 * i, 200:232]) for i in range(count)]


@pytest.mark.parametrize("suffix, keeps_icc", [(".png", True), (".webp", True), (".gif", False)])
def test_animations_keep_icc_and_record(engine, icc, tmp_path, suffix, keeps_icc):
    frames = _frames()
    frames[0].save(tmp_path / f"in{suffix}", save_all=True, append_images=frames[1:], duration=80, loop=0,
                   icc_profile=icc)
    # Lossless: libwebp merges frames that encode identically (durations summed), and this toy
    # model's outputs differ by less than a level from frame to frame.
    result = run_media(engine, "conv-x2", tmp_path / f"in{suffix}", tmp_path / f"out{suffix}",
                       options=MediaOptions(lossless=True))
    with Image.open(result.path) as image:
        assert image.n_frames == 4 and image.size == (64, 48)
        assert (image.info.get("icc_profile") == icc) is keeps_icc  # Pillow writes no ICC into GIF
    record = provenance.read(result.path)
    assert record.model == "conv-x2" and record.settings["mask_mode"] == "per-frame"


def make_tagged_clip(path: Path, tags: dict[str, str]) -> Path:
    import av

    with av.open(str(path), "w", options={"movflags": "+use_metadata_tags"} if path.suffix == ".mp4" else {}) as out:
        out.metadata.update(tags)
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
        for index, frame in enumerate(_frames(5)):
            picture = av.VideoFrame.from_ndarray(np.asarray(frame)[:24], format="rgb24")
            picture.pts = index
            out.mux(stream.encode(picture))
        out.mux(stream.encode(None))
    return path


def _tags(path: Path) -> dict[str, str]:
    import av

    with av.open(str(path)) as container:
        return {key.lower(): value for key, value in container.metadata.items()}


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_video_keeps_tags_and_records_how_it_was_made(engine, tmp_path, suffix):
    pytest.importorskip("av")
    source = make_tagged_clip(tmp_path / f"in{suffix}", {"title": "Holiday", "location": "+48.8500+002.2900/"})
    kept = run_media(engine, "conv-x2", source, tmp_path / f"kept{suffix}", options=MediaOptions(crf=30))
    tags = _tags(kept.path)
    assert tags["title"] == "Holiday" and tags["location"] == "+48.8500+002.2900/"
    record = provenance.read(kept.path)
    assert record.model == "conv-x2" and record.runtime == "torch" and record.settings["crf"] == 30
    assert record.ganhub == ganhub.__version__ and len(record.sha256) == 64
    stripped = run_media(engine, "conv-x2", source, tmp_path / f"stripped{suffix}",
                         options=MediaOptions(strip_metadata=True))
    tags = _tags(stripped.path)
    assert "title" not in tags and "location" not in tags and provenance.read(stripped.path) == record.__class__(
        **{**record.__dict__, "settings": {**record.settings, "crf": 18}})
