"""`--runtime auto`: on a CPU the candidates (torch fp32, torch bf16 where the CPU has it, the
ONNX export) are measured once per machine and weights file, the fastest accurate one is
recorded in choice.json and run from then on; the export happens once (with the parity check)
and an export that fails is remembered; `--runtime onnx` exports on first use instead of failing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ganhub
from ganhub.engine import Engine
from ganhub.onnx import FP32_MAX_ABS
from ganhub.onnx import cache, fastest
from ganhub.registry import Registry
from ganhub_test_models import ConvModel, identity_model


class UnexportableConv(ConvModel):
    """Builds a network whose forward reads a numpy array: tracing cannot follow it."""

    def build(self, weights: Path | None):
        import torch

        class Opaque(torch.nn.Module):
            def forward(self, x):
                return torch.from_numpy(np.clip(x.numpy() * 0.5, 0, 1))

        return Opaque()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(cache.AUTO_EXPORT_ENV, "1")
    monkeypatch.setenv("GANHUB_EXPORT_DIR", str(tmp_path / "no-hand-exports"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"seeded in build()")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def engine_for(model: ganhub.Model) -> Engine:
    return Engine(Registry.from_models(model), device="cpu")


def recorded(home: Path, model_id: str) -> dict:
    """The choice.json ``auto`` wrote for ``model_id`` (exactly one weights file)."""
    (path,) = home.glob(f"onnx/{model_id}/*/{fastest.CHOICE_FILE}")
    return json.loads(path.read_text())


def runtime_of(path: str) -> str:
    """The runtime a result line names for a recorded path."""
    return {"onnx-fp32": "onnx", "onnx-int8": "onnx-int8", "torch-fp32": "torch", "torch-bf16": "torch-bf16"}[path]


def photo() -> np.ndarray:
    return np.random.default_rng(5).random((40, 56, 3), dtype=np.float32)


def test_auto_measures_once_then_runs_the_recorded_choice(home: Path) -> None:
    model = identity_model("conv-auto", weights="weights.bin", scale=2)
    said: list[str] = []
    first = engine_for(model).run("conv-auto", image=ganhub.imaging.read_image(photo()), on_status=said.append)
    choice = recorded(home, "conv-auto")
    assert any("measuring the fastest accurate runtime" in line for line in said), said
    assert any("exporting conv-auto to ONNX once" in line for line in said), said
    assert {"torch-fp32", "onnx-fp32"} <= set(choice["ms"]) and choice["path"] in choice["ms"]
    assert choice["ms"][choice["path"]] == min(t for name, t in choice["ms"].items() if name not in choice["refused"])
    assert first.runtime == runtime_of(choice["path"])
    # int8 is a candidate too: quantised once beside the fp32 graph, or refused with its reason
    int8_graphs = list(home.glob("onnx/conv-auto/*/conv-auto.int8.onnx"))
    if "onnx-int8" in choice["refused"]:
        assert choice["refused"]["onnx-int8"] and not int8_graphs
    else:
        assert len(int8_graphs) == 1 and choice["psnr_db"]["onnx-int8"] >= 35 and "onnx-int8" in choice["ms"]
    graphs = sorted(home.glob("onnx/conv-auto/*/conv-auto.onnx"))
    assert len(graphs) == 1 and json.loads(graphs[0].with_suffix(".json").read_text())["parity"]
    stamp = graphs[0].stat().st_mtime_ns
    said.clear()  # a new process (a new engine) reads the choice: no second export or measurement
    again = engine_for(model).run("conv-auto", image=ganhub.imaging.read_image(photo()), on_status=said.append)
    assert again.runtime == first.runtime and not any("exporting" in s or "measuring" in s for s in said), said
    assert graphs[0].stat().st_mtime_ns == stamp
    on_torch = engine_for(model).run("conv-auto", runtime="torch", image=ganhub.imaging.read_image(photo()))
    assert on_torch.runtime == "torch"
    np.testing.assert_allclose(again.images[0], on_torch.images[0], atol=0.01)  # bf16 is within 40 dB


def test_a_model_that_declares_no_int8_is_never_quantised(home: Path) -> None:
    """``ModelSpec.int8_note``: auto refuses int8 with the reason, quantises nothing, records no
    refusal file (the spec decides), and an int8 choice recorded before the note is measured again."""
    model = identity_model("conv-no-int8", weights="weights.bin", int8_note="its error hides from parity")
    engine = engine_for(model)
    engine.run("conv-no-int8", image=ganhub.imaging.read_image(photo()))
    choice = recorded(home, "conv-no-int8")
    assert "does not run as int8: its error hides from parity" in choice["refused"]["onnx-int8"]
    assert choice["path"] != "onnx-int8" and "onnx-int8" not in choice["ms"]
    assert not list(home.glob("onnx/conv-no-int8/*/*.int8.onnx"))
    assert not list(home.glob("onnx/conv-no-int8/*/int8-refused.json"))
    weights = engine.load("conv-no-int8").weights
    assert fastest.cached_choice(model, weights) is not None
    (path,) = home.glob(f"onnx/conv-no-int8/*/{fastest.CHOICE_FILE}")
    stale = {**choice, "path": "onnx-int8"}  # as if measured by a release without the note
    path.write_text(json.dumps(stale))
    (path.parent / "conv-no-int8.int8.onnx").write_bytes(b"its int8 graph, quantised back then")
    assert fastest.cached_choice(model, weights) is None


def test_a_recorded_choice_from_another_cpu_is_measured_again(home: Path) -> None:
    model = identity_model("conv-moved", weights="weights.bin")
    engine_for(model).load("conv-moved", runtime="auto")
    (path,) = home.glob(f"onnx/conv-moved/*/{fastest.CHOICE_FILE}")
    moved = {**json.loads(path.read_text()), "path": "torch-fp32", "machine": "another-cpu"}
    path.write_text(json.dumps(moved))
    said: list[str] = []
    engine_for(model).load("conv-moved", runtime="auto", on_status=said.append)
    assert any("measuring" in line for line in said) and recorded(home, "conv-moved")["machine"] != "another-cpu"


def test_a_choice_measured_on_a_busy_machine_is_measured_again_when_quieter(home: Path) -> None:
    model = identity_model("conv-busy", weights="weights.bin")
    engine_for(model).load("conv-busy", runtime="auto")
    (path,) = home.glob(f"onnx/conv-busy/*/{fastest.CHOICE_FILE}")
    assert recorded(home, "conv-busy")["load_per_core"] >= 0
    busy = {**json.loads(path.read_text()), "path": "torch-fp32", "load_per_core": 1e9}  # far busier than now
    path.write_text(json.dumps(busy))
    said: list[str] = []
    engine_for(model).load("conv-busy", runtime="auto", on_status=said.append)
    assert any("measuring" in line for line in said) and recorded(home, "conv-busy")["load_per_core"] < 1e9


def test_new_weights_get_their_own_export(home: Path, tmp_path: Path) -> None:
    model = identity_model("conv-versions", weights="weights.bin")
    engine_for(model).load("conv-versions", runtime="auto")
    (tmp_path / "weights.bin").write_bytes(b"another release")
    engine_for(model).load("conv-versions", runtime="auto")
    assert len(list(home.glob("onnx/conv-versions/*/conv-versions.onnx"))) == 2


def test_a_failed_export_is_remembered_and_the_model_runs_on_torch(home: Path) -> None:
    model = UnexportableConv(identity_model("opaque", weights="weights.bin").spec)
    result = engine_for(model).run("opaque", image=ganhub.imaging.read_image(photo()))
    choice = recorded(home, "opaque")
    assert result.runtime in {"torch", "torch-bf16"} and result.runtime == runtime_of(choice["path"])
    assert "onnx-fp32" in choice["refused"] and "onnx-fp32" not in choice["ms"]
    refused = list(home.glob("onnx/opaque/*/refused.json"))
    assert len(refused) == 1 and json.loads(refused[0].read_text())["reason"]
    said: list[str] = []  # the next run neither exports nor measures again
    again = engine_for(model).run("opaque", image=ganhub.imaging.read_image(photo()), on_status=said.append)
    assert again.runtime == result.runtime and not any("exporting" in s or "measuring" in s for s in said)


def test_bf16_is_a_candidate_only_where_the_cpu_has_it(home: Path) -> None:
    from ganhub.runtime.cpu import native_bf16

    model = identity_model("conv-bf16", weights="weights.bin")
    engine_for(model).load("conv-bf16", runtime="auto")
    choice = recorded(home, "conv-bf16")
    if native_bf16():
        assert "torch-bf16" in choice["ms"] and choice["psnr_db"]["torch-bf16"] >= fastest.BF16_MIN_PSNR
    else:
        assert "hardware" in choice["refused"]["torch-bf16"] and "torch-bf16" not in choice["ms"]


def test_runtime_onnx_exports_on_first_use_and_says_so_when_it_cannot(home: Path) -> None:
    model = identity_model("conv-onnx-first", weights="weights.bin")
    assert engine_for(model).load("conv-onnx-first", runtime="onnx").session.runtime == "onnx"
    opaque = UnexportableConv(identity_model("opaque-onnx", weights="weights.bin").spec)
    with pytest.raises(ganhub.GanhubError) as refused:
        engine_for(opaque).load("opaque-onnx", runtime="onnx")
    assert "opaque-onnx" in str(refused.value)


def test_the_switch_off_keeps_auto_on_torch(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.AUTO_EXPORT_ENV, "0")
    model = identity_model("conv-off", weights="weights.bin")
    assert engine_for(model).run("conv-off", image=ganhub.imaging.read_image(photo())).runtime == "torch"
    assert not (home / "onnx").exists()


def test_two_processes_exporting_at_once_leave_one_graph(home: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = tmp_path / "export_once.py"
    script.write_text(
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from ganhub.engine import Engine\nfrom ganhub.registry import Registry\n"
        "from ganhub_test_models import identity_model\n"
        "model = identity_model('conv-race', weights='weights.bin', scale=2)\n"
        "print(Engine(Registry.from_models(model), device='cpu').load('conv-race', runtime='auto').session.runtime)\n"
    )
    tests = str(Path(__file__).parent)
    env = {**os.environ, "GANHUB_HOME": str(home), cache.AUTO_EXPORT_ENV: "1"}
    runs = [subprocess.Popen([sys.executable, str(script), tests], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    expected = runtime_of(recorded(home, "conv-race")["path"])  # measured once, under a lock
    assert [out.strip() for out, _ in outputs] == [expected, expected], [err[-2000:] for _, err in outputs]
    assert len(list(home.glob("onnx/conv-race/*/conv-race.onnx"))) == 1
    assert not list(home.glob("onnx/conv-race/*/*.partial"))


class Dots(ganhub.GenerateModel):
    """A seeded linear map from an 8-d latent to a 16×16 image (no weights file)."""

    spec = ganhub.ModelSpec(id="dots-auto", title="Dots", task="other", license="MIT", description="d",
                            weights=(ganhub.WeightSource("weights.bin"),))

    def build(self, weights: Path | None):
        import torch

        torch.manual_seed(0)
        linear = torch.nn.Linear(8, 3 * 16 * 16)
        return torch.nn.Sequential(linear, torch.nn.Sigmoid(), torch.nn.Unflatten(1, (3, 16, 16)))

    def latents(self, seed, count, params):
        return (np.random.default_rng(seed).standard_normal((count, 8)).astype(np.float32),)


def test_a_generate_model_is_measured_on_one_image(home: Path) -> None:
    result = engine_for(Dots()).run("dots-auto", seed=3, count=2)
    choice = recorded(home, "dots-auto")
    assert result.runtime == runtime_of(choice["path"]) and len(result.images) == 2
    assert {"torch-fp32", "onnx-fp32"} <= set(choice["ms"]) and fastest._probe_side(Dots()) == 1
