"""The app under load and abuse: `python -m ganhub.selfcheck` at a reduced size, every row must pass.

The battery starts `python app.py` with the test plugins (small, fast, offline models) and a
queue of 8, runs 4 clients × 6 mixed calls against a sequential reference, clients hanging
up, 16 calls joining the queue of 8 at once, 16 slow (slowloris) connections, 25 Hypothesis
examples, file-route probes and an oversized upload. Then: a failing check must show as
FAIL with exit code 1 (so the table can fail), and what the battery led to: the input
checks, serve's options, and the sweep of uploads abandoned mid-way.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_server import free_port, installed_plugins_dir

pytest.importorskip("gradio")
pytest.importorskip("hypothesis")

from ganhub.selfcheck.battery import run  # noqa: E402
from ganhub.selfcheck.cli import main, options_from  # noqa: E402
from ganhub.selfcheck.report import Row, exit_code, guarded, table  # noqa: E402

FAST_PLUGINS = "test_good,test_colorize,watermark,test_import_error"
REDUCED = ["--plugins", FAST_PLUGINS, "--clients", "4", "--requests", "6", "--bad-share", "0.35",
           "--fuzz-examples", "25", "--max-file-size", "2mb", "--queue-size", "8", "--timeout", "60"]
CHECKS = ["warm-up", "load: good requests", "load: bad requests", "load: latency", "load: HTTP 5xx",
          "server memory", "client hangs up", "queue full", "slow clients", "API params fuzzed", "file route", "upload over", "other checks",
          "server still up"]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Row]]:
    plugins = installed_plugins_dir(tmp_path_factory.getbasetemp())
    home = tmp_path_factory.mktemp("selfcheck")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", str(plugins))
        env.setenv("GANHUB_HOME", str(home / "ganhub-home"))
        env.setenv("HF_HOME", str(home / "hf-home"))
        env.setenv("HF_HUB_OFFLINE", "1")
        env.delenv("GANHUB_PLUGINS", raising=False)
        yield run(options_from(REDUCED))


def text(rows: list[Row]) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table(rows))
    return console.export_text()


def test_every_check_of_the_reduced_battery_passes(rows: list[Row]) -> None:
    assert [row for row in rows if not row.passed] == [], text(rows)
    assert exit_code(rows) == 0
    for name in CHECKS:
        assert any(row.check.startswith(name) for row in rows), (name, text(rows))


def test_the_load_mixes_good_and_bad_calls(rows: list[Row]) -> None:
    observed = {row.check.split(" (")[0]: row.observed for row in rows}
    good, bad = observed["load: good requests"], observed["load: bad requests"]
    assert good.split(" of ")[0] == good.split(" of ")[1] and int(good.split(" of ")[1]) >= 12
    assert int(bad.split(" of ")[1]) >= 6
    assert "p50" in observed["load: latency p50 / p95"] and "p95" in observed["load: latency p50 / p95"]
    assert "not run: lama" in observed["warm-up: each offline model, sequentially"]


# -- the table can fail --------------------------------------------------------------------
def test_a_failing_check_is_reported_as_fail(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [Row("fine", "x", "x", True), Row("broken", "0 errors", "3 errors", False)]
    assert exit_code(rows) == 1 and exit_code(rows[:1]) == 0 and exit_code([]) == 1
    assert "FAIL" in text(rows) and "PASS" in text(rows)

    def explode() -> list[Row]:
        raise ConnectionError("server went away")

    crashed = guarded("load", "mixed load passes", explode)
    assert len(crashed) == 1 and not crashed[0].passed and "server went away" in crashed[0].observed
    # The real command against a port nobody listens on: one FAIL row, exit code 1.
    assert main(["--url", f"http://127.0.0.1:{free_port()}", "--fuzz-examples", "0"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "start" in out and "0 of 1 checks passed" in out


# -- what the battery led to ---------------------------------------------------------------
def test_api_inputs_are_refused_with_the_name_of_their_box() -> None:
    import gradio as gr

    from ganhub.ui.guard import check_inputs

    with gr.Blocks():
        tile, image = gr.Slider(0, 64, label="Tile"), gr.Image(label="Input image")
        flag, editor = gr.Checkbox(label="Auto"), gr.ImageEditor(label="Image")
    check_inputs([tile, image, flag], [8, {"path": "/tmp/x.png"}, True])
    check_inputs([tile, image, editor], [None, None, {"background": None, "layers": [], "composite": None}])
    cases = [([tile], [float("nan")], "'Tile' must be a finite number"), ([tile], ["abc"], "'Tile' must be a number"),
             ([tile], [True], "'Tile' must be a number"), ([image], [12], "'Input image' must be an uploaded file"),
             ([flag], ["yes"], "'Auto' must be true or false"), ([editor], ["x"], "'Image' must be an image editor value"),
             ([editor], [{"background": 3, "layers": []}], "'Image' must be an uploaded file"),
             ([tile, image], [8], "takes 2 inputs ('Tile', 'Input image'), got 1")]
    for blocks, values, message in cases:
        with pytest.raises(gr.Error, match=message.replace("(", r"\(").replace(")", r"\)")):
            check_inputs(blocks, values)


def test_serve_takes_an_upload_limit_and_a_private_temp_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ganhub
    from ganhub.cli.serve import _file_size, _private_gradio_temp

    assert _file_size("50mb") == "50mb" and _file_size(" 500 KB ") == "500kb"
    with pytest.raises(ganhub.GanhubError, match="not a size"):
        _file_size("lots")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    _private_gradio_temp(7861)
    folder = Path(os.environ["GRADIO_TEMP_DIR"])
    assert folder.parent == tmp_path and folder.name.endswith("-7861") and folder.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("GRADIO_TEMP_DIR", "/chosen")
    _private_gradio_temp(7861)
    assert os.environ["GRADIO_TEMP_DIR"] == "/chosen"


def test_only_abandoned_uploads_are_swept_and_only_from_a_private_folder(tmp_path: Path) -> None:
    from ganhub.ui.guard import sweep_partial_uploads

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    partial = private / "tmpab12_x9z"  # an upload cut off mid-way (NamedTemporaryFile's name)
    partial.write_bytes(b"\0" * 100)
    kept = [private / "0f3a" / "photo.png", private / "tmpab12_x9z.vtt", private / "notes"]
    for path in kept:  # complete uploads live in a <hash>/ folder; other names are not ours
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"kept")
    os.utime(partial, (0, time.time() - 60))
    assert sweep_partial_uploads(private, older_than=3600) == 0 and partial.exists()  # others streaming: too fresh
    assert sweep_partial_uploads(private) == 1 and not partial.exists()
    assert all(path.read_bytes() == b"kept" for path in kept)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    (shared / "tmpab12_x9z").write_bytes(b"another app's upload in progress")
    assert sweep_partial_uploads(shared) == 0 and (shared / "tmpab12_x9z").exists()
