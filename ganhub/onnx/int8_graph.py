"""Graph rewrites that let onnxruntime keep a whole SR network in int8.

onnxruntime has no int8 PRelu: a QDQ graph runs each PRelu as DequantizeLinear -> float PRelu
-> QuantizeLinear, and its float PRelu kernel is slow on per-channel slopes (measured on
realesr-animevideov3 at 256²: the 17 PRelus took 49 % of the int8 run, QLinearConv 40 %).
An exact rewrite into ops it does run in int8 removes those float islands:

    PRelu(y, a) = (1 - a) * Relu(y) + a * y

with Relu written as LeakyRelu(alpha=0) (fused to QLinearLeakyRelu, a 256-entry table) and the
two per-channel products as depthwise 1×1 convolutions (QLinearConv with per-channel int8
weights: exact slopes to 1/127, and much faster than a broadcasting QLinearMul), summed by
QLinearAdd. Same-slope PRelus become a plain LeakyRelu.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REWRITTEN_TAG = "_int8rw"  # node-name suffix of the ops a rewrite adds (reports count them)


def rewrite_prelu(src: Path, dst: Path) -> int:
    """Write ``src`` with every constant-slope PRelu rewritten to ``dst``; returns how many."""
    import onnx

    model = onnx.load(str(src))
    graph = model.graph
    slopes = {init.name: init for init in graph.initializer}
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "PRelu" or node.input[1] not in slopes:
            nodes.append(node)
            continue
        slope = onnx.numpy_helper.to_array(slopes[node.input[1]]).astype(np.float32)
        replacement = _replace(node, slope, graph)
        if replacement is None:  # a slope shape we do not recognise: leave that PRelu in float
            nodes.append(node)
            continue
        nodes += replacement
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(dst))
    return count


def _replace(node, slope: np.ndarray, graph) -> list | None:
    """The ops computing ``node`` (a PRelu of NCHW input) from int8-friendly pieces."""
    from onnx import helper, numpy_helper

    x, out = node.input[0], node.output[0]
    name = (node.name or out) + REWRITTEN_TAG
    flat = slope.reshape(-1)
    if flat.size == 1 or np.all(flat == flat[0]):  # one slope: LeakyRelu is exact and quantizable
        return [helper.make_node("LeakyRelu", [x], [out], name=name, alpha=float(flat[0]))]
    if slope.ndim != 3 or slope.shape[1:] != (1, 1):  # only per-channel (C, 1, 1) slopes
        return None
    channels = flat.size
    # Depthwise 1×1 kernels: weight (C, 1, 1, 1), one output per input channel.
    keep, mix = (1.0 - flat).reshape(channels, 1, 1, 1), flat.reshape(channels, 1, 1, 1)
    graph.initializer.extend([numpy_helper.from_array(keep.astype(np.float32), name + "_keep"),
                              numpy_helper.from_array(mix.astype(np.float32), name + "_mix")])
    depthwise = {"group": channels, "kernel_shape": [1, 1]}
    return [
        # alpha=0 rather than Relu: onnxruntime's quantizer folds a Relu into a requantisation
        # pass (float DQ -> Q) but fuses LeakyRelu into one QLinearLeakyRelu table lookup.
        helper.make_node("LeakyRelu", [x], [name + "_relu"], name=name + "_relu", alpha=0.0),
        helper.make_node("Conv", [name + "_relu", name + "_keep"], [name + "_pos"], name=name + "_pos", **depthwise),
        helper.make_node("Conv", [x, name + "_mix"], [name + "_lin"], name=name + "_lin", **depthwise),
        helper.make_node("Add", [name + "_pos", name + "_lin"], [out], name=name + "_sum"),
    ]


def has_vnni() -> bool:
    """Whether this x86 CPU has VNNI (u8×s8 dot products without int16 saturation)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))
