"""LaMa's default weights end to end, with a small seeded graph of the real one's signature.

The graph is built here with onnx's helper API (no binary test data in the repo): inputs
``image`` N×3×512×512 in [0, 1] and ``mask`` N×1×512×512 in {0, 1}, output ``output``
N×3×512×512 in [0, 255], like Carve/LaMa-ONNX's lama_fp32.onnx. It is served under the real
repo and file name by the local Hub server (tests/hub_server.py) and reaches the model through
``LaMa(source=...)``: its own commit and sha256, checked by the same verified path as the
pinned default (the default itself is asserted unchanged below).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from ganhub import Engine, ImageError, Loaded, Registry, WeightSource, WeightsError
from ganhub.testing import photo
from ganhub_watermark import lama, lama_window, modes, synth
from ganhub_watermark.catalog import LaMa, WatermarkCGAN

from watermark_helpers import decoded


def _root_fixtures():  # type: ignore[no-untyped-def]
    """The repo's `local_hub` and `hf_env` fixtures (tests/conftest.py), loaded under their own name."""
    tests = Path(__file__).resolve().parents[3] / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))  # conftest imports hub_server from there
    spec = importlib.util.spec_from_file_location("ganhub_root_test_fixtures", tests / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _root_fixtures()
local_hub, hf_env = _root.local_hub, _root.hf_env  # pytest finds fixtures by module attribute

SIDE = lama_window.SIZE


# -- the stand-in graph ----------------------------------------------------------------------
def lama_like_graph(kind: str = "conv", input_names: tuple[str, str] = ("image", "mask")) -> bytes:
    """ONNX bytes of a graph with LaMa's signature; holes are zeroed inside, like big-lama's wrapper.

    ``conv``: a seeded 2-layer conv net (fills from the surroundings); ``identity``: returns the
    holed image ×255, so every filled pixel is exactly 0 — a window pasted one pixel off shows.
    """
    from onnx import TensorProto, helper, numpy_helper

    image, mask = input_names
    rng = np.random.default_rng(19)
    tensor = lambda name, array: numpy_helper.from_array(array.astype(np.float32), name)  # noqa: E731
    inits = [tensor("one", np.ones(1)), tensor("scale", np.full(1, 255.0))]
    nodes = [helper.make_node("Sub", ["one", mask], ["keep"]),
             helper.make_node("Mul", [image, "keep"], ["holed"])]
    if kind == "identity":
        nodes.append(helper.make_node("Mul", ["holed", "scale"], ["output"]))
    else:
        inits += [tensor("w1", rng.normal(0, 0.3, (8, 4, 3, 3))), tensor("b1", rng.normal(0, 0.1, 8)),
                  tensor("w2", rng.normal(0, 0.3, (3, 8, 3, 3))), tensor("b2", np.zeros(3))]
        nodes += [helper.make_node("Concat", ["holed", mask], ["x"], axis=1),
                  helper.make_node("Conv", ["x", "w1", "b1"], ["h"], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", ["h"], ["r"]),
                  helper.make_node("Conv", ["r", "w2", "b2"], ["y"], pads=[1, 1, 1, 1]),
                  helper.make_node("Sigmoid", ["y"], ["s"]),
                  helper.make_node("Mul", ["s", "scale"], ["output"])]
    plane = lambda name, channels: helper.make_tensor_value_info(  # noqa: E731
        name, TensorProto.FLOAT, ["batch", channels, SIDE, SIDE])
    graph = helper.make_graph(nodes, "lama-like", [plane(image, 3), plane(mask, 1)],
                              [plane("output", 3)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model.SerializeToString()


@pytest.fixture
def served(hf_env, monkeypatch, tmp_path):
    """The conv graph on the local Hub at the real repo/file; (env, bytes, pinned source)."""
    monkeypatch.setenv("GANHUB_HOME", str(tmp_path / "ganhub-home"))
    data = lama_like_graph()
    commit = hf_env.hub.add_file(lama.HUB_REPO, lama.HUB_FILE, data)
    source = WeightSource(f"hf://{lama.HUB_REPO}/{lama.HUB_FILE}@{commit}",
                          sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return hf_env, data, source


@pytest.fixture
def engine(served) -> Engine:
    """The cGAN (packaged weights) and LaMa (the served graph) behind one Engine, as the app has them."""
    _, _, source = served
    return Engine(Registry.from_models(WatermarkCGAN(), LaMa(source)), runtime="auto")


def _local(tmp_path: Path, kind: str) -> Loaded:
    """LaMa on a graph file opened directly (geometry tests need no Hub)."""
    path = tmp_path / f"{kind}.onnx"
    path.write_bytes(lama_like_graph(kind))
    model = LaMa()
    return Loaded(model, model.open_session(path, "cpu"), None, 0.0, model.spec.constraints)


def _image(height: int, width: int) -> np.ndarray:
    """H×W×3 of a real photo, mirrored past its 512 px edges for the large-image cases."""
    base = photo(min(height, 400), min(width, 330))[0].transpose(1, 2, 0)
    pad = ((0, height - base.shape[0]), (0, width - base.shape[1]), (0, 0))
    return np.ascontiguousarray(np.pad(base, pad, mode="symmetric"), np.float32)


def _brush(loaded: Loaded, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = modes.brush_remove(loaded, decoded(rgb), mask).images[0]
    assert out.shape == rgb.shape and np.isfinite(out).all()
    assert np.array_equal(out[mask == 0], rgb[mask == 0])  # bit-identical outside the mask
    return out


def _count_runs(loaded: Loaded, monkeypatch) -> list[int]:
    calls: list[int] = []
    graph = loaded.session.graph
    original = graph.run
    monkeypatch.setattr(graph, "run", lambda *a: calls.append(1) or original(*a))
    return calls


# -- the spec -----------------------------------------------------------------------------------
def test_default_weights_are_the_pinned_hub_graph() -> None:
    (source,) = LaMa().spec.weights
    assert source.uri == f"hf://Carve/LaMa-ONNX/lama_fp32.onnx@{lama.HUB_COMMIT}"
    assert source.sha256 == lama.HUB_SHA256 and source.size == 208_044_816
    assert LaMa().spec.accepts_user_weights and LaMa().spec.license == "Apache-2.0"


def test_user_state_dicts_still_go_to_torch(tmp_path) -> None:
    for name in ("big-lama.safetensors", "big-lama.pt"):
        assert LaMa().open_session(tmp_path / name, "cpu") is None  # the host builds spandrel's LaMa


# -- download, verify, run ----------------------------------------------------------------------
def test_download_verify_and_fill_only_masked_pixels(served, engine) -> None:
    env, data, _ = served
    loaded = engine.load("lama", device="cpu")
    assert loaded.weights.trust == "pinned" and loaded.weights.path.read_bytes() == data
    assert isinstance(loaded.session, lama.LamaWindowSession) and loaded.session.runtime == "onnx"
    rgb, mask = _image(120, 200), np.zeros((120, 200), np.float32)
    mask[40:70, 60:130] = 1.0
    out = _brush(loaded, rgb, mask)
    assert np.abs(out - rgb)[mask == 1].max() > 0.01 and 0 <= out.min() and out.max() <= 1


def test_a_file_that_fails_its_sha256_is_refused(served, engine) -> None:
    env, _, _ = served
    env.hub.corrupt(lama.HUB_REPO, lama.HUB_FILE)
    with pytest.raises(WeightsError, match="sha256 mismatch"):
        engine.load("lama", device="cpu")


def test_a_graph_with_another_signature_is_refused(tmp_path) -> None:
    path = tmp_path / "other.onnx"
    path.write_bytes(lama_like_graph(input_names=("input", "hole")))
    with pytest.raises(WeightsError, match="not LaMa's ONNX form: it takes input, hole"):
        LaMa().open_session(path, "cpu")


def test_an_empty_mask_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ImageError, match="the mask is empty: LaMa has nothing to fill"):
        modes.brush_remove(_local(tmp_path, "conv"), decoded(_image(64, 64)), np.zeros((64, 64)))


# -- windows ------------------------------------------------------------------------------------
def test_small_region_is_filled_at_full_resolution_in_place(tmp_path, monkeypatch) -> None:
    loaded = _local(tmp_path, "identity")
    calls = _count_runs(loaded, monkeypatch)
    rgb, mask = _image(700, 900), np.zeros((700, 900), np.float32)
    mask[600:640, 820:890] = 1.0  # near a corner: the window shifts inside the image
    out = _brush(loaded, rgb, mask)
    assert np.array_equal(out[mask == 1], np.zeros_like(out[mask == 1]))  # pasted exactly in place
    assert len(calls) == 1


def test_region_larger_than_the_window_is_scaled_down_and_back(tmp_path, monkeypatch) -> None:
    loaded = _local(tmp_path, "identity")
    calls = _count_runs(loaded, monkeypatch)
    rgb, mask = _image(800, 1000), np.zeros((800, 1000), np.float32)
    mask[100:700, 150:850] = 1.0
    (region,) = lama_window.regions(mask)[1]
    assert lama_window.window(region.box, 800, 1000)[1] < 1  # the resize path
    out = _brush(loaded, rgb, mask)
    assert out[:, 160:840][110:690].max() < 1e-3  # inside the hole: the fill, scaled back up
    assert len(calls) == 1


def test_far_apart_regions_get_a_window_each_near_ones_share_one(tmp_path, monkeypatch) -> None:
    loaded = _local(tmp_path, "identity")
    calls = _count_runs(loaded, monkeypatch)
    rgb, mask = _image(900, 1400), np.zeros((900, 1400), np.float32)
    mask[20:60, 30:200] = 1.0  # top-left logo
    mask[820:870, 1150:1380] = 1.0  # bottom-right logo
    for left in range(500, 700, 40):  # a word of five "glyphs" mid-image: one region
        mask[400:440, left : left + 25] = 1.0
    assert len(lama_window.regions(mask)[1]) == 3
    out = _brush(loaded, rgb, mask)
    assert np.array_equal(out[mask == 1], np.zeros_like(out[mask == 1]))
    assert len(calls) == 3


def test_conv_graph_fills_every_region_from_its_surroundings(tmp_path) -> None:
    loaded = _local(tmp_path, "conv")
    rgb, mask = _image(600, 1300), np.zeros((600, 1300), np.float32)
    mask[50:90, 50:150], mask[500:560, 1100:1250] = 1.0, 1.0
    out = _brush(loaded, rgb, mask)
    for rows, cols in ((slice(50, 90), slice(50, 150)), (slice(500, 560), slice(1100, 1250))):
        assert np.abs(out[rows, cols] - rgb[rows, cols]).mean() > 0.01


# -- auto + LaMa --------------------------------------------------------------------------------
def test_auto_plus_lama_fills_the_cgan_mask_with_default_weights(engine) -> None:
    clean = _image(96, 160)
    marked, _, _ = synth.add_watermark(clean, np.random.default_rng(5))
    image = decoded(marked)
    found = modes.auto_remove(engine.load("ganhub-watermark-cgan", device="cpu"), image).extras["mask"]
    assert found.any()
    result = modes.auto_lama(engine, image, device="cpu")
    grown = modes.dilate(found, 2)
    out = result.images[0]
    assert np.array_equal(result.extras["mask"], grown)
    assert np.array_equal(out[grown == 0], marked.astype(np.float32)[grown == 0])
    assert np.abs(out - marked)[grown == 1].max() > 0.01


class _FindsNothing:
    """A detector session that changes no pixel: the auto mask comes back empty."""

    runtime, device, precision = "torch", "cpu", "fp32"

    def run(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return image


def test_auto_plus_lama_with_nothing_found_returns_the_image(tmp_path) -> None:
    detector = Loaded(WatermarkCGAN(), _FindsNothing(), None, 0.0, WatermarkCGAN.spec.constraints)
    rgb = _image(64, 96)
    result = modes.auto_then_inpaint(detector, _local(tmp_path, "conv"), decoded(rgb))
    assert np.array_equal(result.images[0], rgb) and not result.extras["mask"].any()
    assert "no watermark found" in result.notes[-1]
