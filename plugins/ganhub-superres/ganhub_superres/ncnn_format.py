"""ncnn ``.param``/``.bin`` → torch state dict, for a torch module of the same architecture.

An ncnn ``.bin`` is a bare concatenation of blobs with no names and no shapes: the only way
to know where one tensor ends is to walk the ``.param`` graph, layer by layer, in the order
ncnn itself loads it. That order is the exporter's (topological) order, which for the
networks we care about is also ``module.modules()`` order, so weight layers are paired with
the module's parameterised leaves one to one and every pair's shapes are checked: a wrong
architecture fails loudly on the first mismatch instead of loading garbage.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
import torch
from torch import nn

from ganhub import WeightsError

MAGIC = 7767517
TAG_FP16 = 0x01306B47  # IEEE half floats, padded to 4 bytes
TAG_FP32 = 0x0002C056  # float32 (written by tools that keep an explicit tag)
TAG_INT8 = 0x000D4B38  # int8-quantised weights: need the layer's scales, not supported

ParamValue = Union[int, float, list]
Shapes = dict[str, tuple[int, ...]]

# Layers whose weights we can map (ncnn type → torch class). Depthwise variants are grouped convs.
_MAPPED: dict[str, type[nn.Module]] = {
    "Convolution": nn.Conv2d, "ConvolutionDepthWise": nn.Conv2d,
    "Deconvolution": nn.ConvTranspose2d, "DeconvolutionDepthWise": nn.ConvTranspose2d,
    "InnerProduct": nn.Linear, "PReLU": nn.PReLU,
}
# Layers that also read the .bin: meeting one means we cannot know where later blobs start.
_UNMAPPED_WITH_WEIGHTS = {
    "BatchNorm", "Bias", "Embed", "MemoryData", "Convolution1D", "Convolution3D",
    "ConvolutionDepthWise1D", "ConvolutionDepthWise3D", "Deconvolution1D", "Deconvolution3D",
    "DeconvolutionDepthWise1D", "DeconvolutionDepthWise3D", "LSTM", "GRU", "RNN",
    "MultiHeadAttention", "LayerNorm", "GroupNorm", "InstanceNorm", "Normalize", "Gemm",
}


@dataclass
class NcnnLayer:
    """One line of a ``.param`` file; ``params`` keeps ncnn's integer keys (arrays as lists)."""

    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, ParamValue] = field(default_factory=dict)
    index: int = 0  # position in the .param, so messages can point at the line


def _number(text: str) -> int | float:
    # ncnn itself decides int vs float per value by its spelling ("1" vs "1.0"/"1e-3").
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_param(path: str | Path) -> list[NcnnLayer]:
    """Parse a text ``.param`` file (magic 7767517) into its layers, in file order."""
    path = Path(path)
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or lines[0] != [str(MAGIC)]:
        raise WeightsError(f"{path.name} is not a text ncnn .param (first line must be {MAGIC}); "
                           "binary .param.bin files are not supported")
    try:
        layer_count = int(lines[1][0])
        layers = []
        for index, tokens in enumerate(lines[2:]):
            n_in, n_out = int(tokens[2]), int(tokens[3])
            blobs = tokens[4:4 + n_in + n_out]
            params: dict[int, ParamValue] = {}
            for item in tokens[4 + n_in + n_out:]:
                key_text, value = item.split("=", 1)
                key = int(key_text)
                if key <= -23300:  # array: "-233xx=count,v1,v2,..." is key xx
                    count, *values = value.split(",")
                    if int(count) != len(values):
                        raise ValueError(f"array {item} declares {count} values")
                    params[-key - 23300] = [_number(v) for v in values]
                else:
                    params[key] = _number(value)
            layers.append(NcnnLayer(tokens[0], tokens[1], blobs[:n_in], blobs[n_in:], params, index))
    except (IndexError, ValueError) as exc:
        raise WeightsError(f"{path.name}: malformed .param line ({exc}); is it an ncnn .param?") from None
    if len(layers) != layer_count:
        raise WeightsError(f"{path.name} declares {layer_count} layers but lists {len(layers)}: file is cut short")
    return layers


def _fmt(shapes: Shapes) -> str:
    return ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in shapes.items())


def _ncnn_shapes(layer: NcnnLayer) -> Shapes:
    """The torch-layout shapes an ncnn weight layer implies, from its params alone."""
    p, t = layer.params, layer.type
    if t == "PReLU":
        return {"weight": (int(p.get(0, 0)),)}
    out = int(p.get(0, 0))
    if t == "InnerProduct":
        size, has_bias = int(p.get(2, 0)), p.get(1, 0)
        shapes: Shapes = {"weight": (out, size // out if out else 0)}
    else:
        kw = int(p.get(1, 0))
        kh, size, has_bias, groups = int(p.get(11, kw)), int(p.get(6, 0)), p.get(5, 0), int(p.get(7, 1))
        per_group_in = size // (out * kh * kw) if out * kh * kw else 0
        if t.startswith("Convolution"):
            shapes = {"weight": (out, per_group_in, kh, kw)}
        else:  # torch keeps transposed-conv weights as (in, out/groups, kh, kw)
            shapes = {"weight": (per_group_in * groups, out // groups, kh, kw)}
    if has_bias:
        shapes["bias"] = (out,)
    return shapes


class _Bin:
    """A cursor over the ``.bin`` bytes that reports which layer ran out of data."""

    def __init__(self, path: Path):
        self.name, self.data, self.offset = path.name, path.read_bytes(), 0

    def take(self, nbytes: int, where: str) -> bytes:
        if self.offset + nbytes > len(self.data):
            raise WeightsError(
                f"{self.name} is truncated: {where} needs {nbytes} bytes at offset {self.offset} but "
                f"only {len(self.data) - self.offset} remain; re-download it or pair it with its own .param")
        chunk = self.data[self.offset:self.offset + nbytes]
        self.offset += nbytes
        return chunk

    def raw_fp32(self, count: int, where: str) -> np.ndarray:
        return np.frombuffer(self.take(4 * count, where), dtype="<f4")

    def tagged(self, count: int, where: str) -> np.ndarray:
        """A weight blob with ncnn's 4-byte storage tag in front (ModelBin type 0)."""
        (tag,) = struct.unpack("<I", self.take(4, where))
        if tag == TAG_FP16:
            data = self.take((2 * count + 3) // 4 * 4, where)  # ncnn pads fp16 blobs to 4 bytes
            return np.frombuffer(data[:2 * count], dtype="<f2").astype(np.float32)
        if tag in (TAG_FP32, 0):
            return self.raw_fp32(count, where)
        if tag == TAG_INT8:
            raise WeightsError(f"{where} holds int8-quantised weights (tag 0x{tag:08X}); ganhub cannot "
                               "convert those: use the fp16/fp32 model files")
        raise WeightsError(f"{where} has unknown weight tag 0x{tag:08X} at offset {self.offset - 4} of "
                           f"{self.name}: the .bin does not match the .param, or uses an ncnn "
                           "quantisation ganhub does not support")


def _read_blobs(layer: NcnnLayer, shapes: Shapes, blob: _Bin, where: str) -> dict[str, np.ndarray]:
    """Read one layer's blobs in ncnn's load_model order and reshape them to torch layout."""
    if layer.params.get(8, 0) or layer.params.get(19, 0):
        raise WeightsError(f"{where} is int8-quantised or takes its weights as an input; not supported")
    if layer.type == "PReLU":  # slopes are always raw fp32 (ModelBin type 1)
        return {"weight": blob.raw_fp32(shapes["weight"][0], where)}
    weight = blob.tagged(int(np.prod(shapes["weight"])), where)
    if layer.type.startswith("Deconvolution"):
        # ncnn stores each group as (out/g, in/g, kh, kw); torch wants (in, out/g, kh, kw)
        n_in, out_g, kh, kw = shapes["weight"]
        groups = int(layer.params.get(7, 1))
        weight = weight.reshape(groups, out_g, n_in // groups, kh, kw).transpose(0, 2, 1, 3, 4)
    arrays = {"weight": weight.reshape(shapes["weight"])}
    if "bias" in shapes:  # biases are raw fp32 without a tag
        arrays["bias"] = blob.raw_fp32(shapes["bias"][0], where)
    return arrays


def _torch_targets(module: nn.Module) -> list[tuple[str, nn.Module]]:
    """Parameterised leaves in modules() order; parameters ncnn cannot fill are an error."""
    targets = []
    for name, sub in module.named_modules():
        if not list(sub.parameters(recurse=False)):
            continue
        if not isinstance(sub, tuple(_MAPPED.values())):
            raise WeightsError(f"torch module '{name}' ({type(sub).__name__}) has parameters that no "
                               "supported ncnn layer maps to; this architecture cannot load ncnn weights")
        targets.append((name, sub))
    return targets


def _torch_shapes(sub: nn.Module) -> Shapes:
    return {key: tuple(value.shape) for key, value in sub.named_parameters(recurse=False)}


def ncnn_state_dict(param_path: str | Path, bin_path: str | Path, module: nn.Module) -> dict[str, torch.Tensor]:
    """A full state dict for ``module`` (``load_state_dict(strict=True)``) from ncnn files.

    Raises WeightsError naming the ncnn layer, the torch module and both shapes on any
    mismatch, and when the ``.bin`` is truncated, has trailing bytes or uses an unknown tag.
    """
    param_path, bin_path = Path(param_path), Path(bin_path)
    layers = read_param(param_path)
    blob = _Bin(bin_path)
    targets = _torch_targets(module)
    hint = "is --arch (and the hyper-parameters inferred from the .param) right for this model?"
    converted: dict[str, torch.Tensor] = {}
    used = 0
    for layer in layers:
        where = f"ncnn layer #{layer.index} '{layer.name}' ({layer.type})"
        if layer.type in _UNMAPPED_WITH_WEIGHTS or (layer.type == "Scale" and layer.params.get(0, 0) != -233):
            raise WeightsError(f"{where} carries weights ganhub cannot convert; only "
                               f"{', '.join(sorted(_MAPPED))} are supported")
        if layer.type not in _MAPPED:
            continue
        if used == len(targets):
            raise WeightsError(f"{where} has weights but the torch module has only {len(targets)} "
                               f"parameterised layers, all used already; {hint}")
        name, sub = targets[used]
        used += 1
        expected, have = _ncnn_shapes(layer), _torch_shapes(sub)
        declared = int(layer.params.get(2 if layer.type == "InnerProduct" else 6, 0))
        if layer.type != "PReLU" and int(np.prod(expected["weight"])) != declared:
            raise WeightsError(f"{where}: weight_data_size {declared} does not fit {_fmt(expected)}; "
                               f"{param_path.name} is corrupt")
        if not isinstance(sub, _MAPPED[layer.type]) or expected != have:
            raise WeightsError(f"{where} has {_fmt(expected)} but torch module '{name}' "
                               f"({type(sub).__name__}) has {_fmt(have)}; {hint}")
        if isinstance(sub, (nn.Conv2d, nn.ConvTranspose2d)):
            # Same weights with another stride/dilation/grouping would run a different network.
            p = layer.params
            ncnn_geometry = (int(p.get(7, 1)), (int(p.get(13, p.get(3, 1))), int(p.get(3, 1))),
                             (int(p.get(12, p.get(2, 1))), int(p.get(2, 1))))
            torch_geometry = (sub.groups, tuple(sub.stride), tuple(sub.dilation))
            if ncnn_geometry != torch_geometry:
                raise WeightsError(f"{where} has (groups, stride, dilation) {ncnn_geometry} but torch "
                                   f"module '{name}' has {torch_geometry}; {hint}")
        for key, array in _read_blobs(layer, expected, blob, where).items():
            reference = getattr(sub, key)
            converted[f"{name}.{key}" if name else key] = torch.from_numpy(array.copy()).to(reference.dtype)
    if used < len(targets):
        raise WeightsError(f"torch module '{targets[used][0]}' ({type(targets[used][1]).__name__}) got no "
                           f"weights: {param_path.name} has only {used} weight layers for "
                           f"{len(targets)} torch layers; {hint}")
    if blob.offset != len(blob.data):
        raise WeightsError(f"{bin_path.name} has {len(blob.data) - blob.offset} bytes left after the last "
                           f"weight layer: it does not belong to {param_path.name}")
    # Buffers (constants, not learned) are kept as the module built them; strict loading needs them.
    state = module.state_dict()
    return {key: converted.get(key, value) for key, value in state.items()}


def load_ncnn(param_path: str | Path, bin_path: str | Path, module: nn.Module) -> nn.Module:
    """Load ncnn weights into ``module`` (strictly) and return it in eval mode."""
    module.load_state_dict(ncnn_state_dict(param_path, bin_path, module), strict=True)
    return module.eval()
