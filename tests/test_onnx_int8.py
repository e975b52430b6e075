"""The int8 recipe's PRelu rewrite (exact in float, fully quantised) and the int8 parity bar."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from ganhub.errors import GanhubError  # noqa: E402
from ganhub.onnx.int8 import RECIPES, _quantize, float_layers  # noqa: E402
from ganhub.onnx.int8_graph import rewrite_prelu  # noqa: E402
from ganhub.onnx.parity import INT8_MIN_PSNR, enforce_parity  # noqa: E402
from ganhub.onnx.report import ParityRow  # noqa: E402


def _export(tmp_path, slopes: list[float] | None):
    """A conv-PReLU-conv net (per-channel slopes, or one shared slope) as ONNX."""
    torch.manual_seed(0)
    prelu = torch.nn.PReLU(4 if slopes is None else 1)
    with torch.no_grad():
        prelu.weight.copy_(torch.tensor([-0.7, 0.2, 1.0, 1.6]) if slopes is None else torch.tensor(slopes))
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), prelu, torch.nn.Conv2d(4, 3, 3, padding=1)).eval()
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, (torch.rand(1, 3, 8, 8),), str(path), dynamo=False, input_names=["image"],
                      output_names=["out"], dynamic_axes={"image": {2: "h", 3: "w"}}, opset_version=17)
    return path


def _run(path, x):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": x})[0]


def _ops(path) -> list[str]:
    import onnx

    return [node.op_type for node in onnx.load(str(path)).graph.node]


def test_per_channel_prelu_rewrite_is_exact(tmp_path):
    src = _export(tmp_path, None)  # slopes below 0, in (0, 1), exactly 1 and above 1
    dst = tmp_path / "rewritten.onnx"
    assert rewrite_prelu(src, dst) == 1
    ops = _ops(dst)
    assert "PRelu" not in ops and ops.count("LeakyRelu") == 1 and ops.count("Conv") == 4 and "Add" in ops
    x = np.random.default_rng(0).standard_normal((1, 3, 9, 11)).astype(np.float32)
    np.testing.assert_allclose(_run(dst, x), _run(src, x), atol=1e-5)


def test_shared_slope_prelu_becomes_leaky_relu(tmp_path):
    src = _export(tmp_path, [0.25])
    dst = tmp_path / "rewritten.onnx"
    assert rewrite_prelu(src, dst) == 1
    assert _ops(dst) == ["Conv", "LeakyRelu", "Conv"]
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(_run(dst, x), _run(src, x), atol=1e-6)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipes_quantise_and_report_float_ops(tmp_path, recipe):
    src = _export(tmp_path, None)
    rng = np.random.default_rng(2)
    feeds = [{"image": rng.random((1, 3, 16, 16), dtype=np.float32)} for _ in range(4)]
    out = tmp_path / f"{recipe}.int8.onnx"
    assert _quantize(src, out, feeds, recipe) == recipe
    report = float_layers(out)
    if recipe == "u8s8-prelu":  # nothing left in float: the rewrite's ops are all quantised
        assert report["fp32_ops"] == {}
        assert report["quantized_ops"] == {"Conv": 4, "LeakyRelu": 1, "Add": 1}
    else:  # the old recipe leaves PRelu between dequantise and quantise
        assert set(report["fp32_ops"]) == {"PRelu"} and report["quantized_ops"] == {"Conv": 2}
    x = rng.random((1, 3, 16, 16), dtype=np.float32)
    error = np.abs(_run(out, x) - _run(src, x)).max()
    assert error < 0.1  # quantised, yet computing the same function


def test_int8_parity_refuses_below_the_bar():
    good = ParityRow("int8", "1×3×32×32", "onnx fp32", 0.01, INT8_MIN_PSNR + 0.5)
    bad = ParityRow("int8", "1×3×48×40", "onnx fp32", 0.2, INT8_MIN_PSNR - 0.1)
    enforce_parity("m", [good])
    with pytest.raises(GanhubError, match="PSNR >= 35 dB.*FAIL"):
        enforce_parity("m", [good, bad])


def test_calibration_runs_in_a_capped_child_and_a_miss_is_a_refusal(tmp_path, monkeypatch):
    """The quantiser runs in its own process; when calibration's activations do not fit the
    memory share it may use (here: almost none, a real allocation failure), the error says so."""
    from ganhub.onnx import int8

    src = _export(tmp_path, None)
    rng = np.random.default_rng(3)
    feeds = [{"image": rng.random((1, 3, 16, 16), dtype=np.float32)} for _ in range(2)]
    out = tmp_path / "capped.int8.onnx"
    assert int8.quantize_capped(src, out, feeds, "s8s8") == "s8s8" and out.is_file()
    large = [{"image": rng.random((1, 3, 512, 512), dtype=np.float32)} for _ in range(4)]
    monkeypatch.setattr(int8, "CALIBRATION_MEMORY_SHARE", 1e-6)  # ~20 kB beyond the libraries
    with pytest.raises(GanhubError, match="int8 calibration needs more than"):
        int8.quantize_capped(src, tmp_path / "refused.int8.onnx", large, "s8s8")


def test_calibration_parity_and_probe_inputs_are_the_models_typical_input() -> None:
    from ganhub.model import ImageToImageModel
    from ganhub.onnx.photos import bench_inputs, load_photos, photo_inputs

    class Negative(ImageToImageModel):
        """Is usually given photo negatives."""

        seeds: list[int] = []

        def typical_input(self, crop: np.ndarray, seed: int) -> np.ndarray:
            self.seeds.append(seed)
            return 1.0 - crop

    plain, negative = ImageToImageModel(), Negative()
    shapes = [plain.example_inputs(16, 24, 2), plain.example_inputs(8, 8, 1)]
    given, typical = photo_inputs(plain, shapes, seed=2), photo_inputs(negative, shapes, seed=2)
    assert [g[0].shape for g in given] == [(2, 3, 16, 24), (1, 3, 8, 8)]
    for (clean,), (made,) in zip(given, typical):
        assert np.array_equal(made, 1.0 - clean)
    assert len(set(negative.seeds)) == 3  # each crop its own seed (a model's random draw differs per crop)
    photo = load_photos()[0]
    assert np.array_equal(bench_inputs(negative, 32, photo)[0], 1.0 - bench_inputs(plain, 32, photo)[0])
