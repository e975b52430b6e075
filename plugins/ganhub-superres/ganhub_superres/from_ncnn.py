"""Build a spandrel super-resolution network from an ncnn ``.param``/``.bin`` pair.

The ncnn graph says which architecture it is and with which hyper-parameters; we read those
off the layer structure, construct spandrel's own class (so converted weights are the same
modules spandrel detects from a ``.pth``) and fill it with :func:`ganhub.weights.ncnn.ncnn_state_dict`,
which checks every shape against the graph.

What the networks compute, and so what the graphs must contain:

* ESRGAN / RRDBNet: conv_first, N RRDBs of 3 dense blocks × 5 convs (32 growth channels,
  LeakyReLU 0.2 fused into convs 1-4, residuals scaled by 0.2), trunk conv plus a long skip,
  then per ×2 (or one ×3) a nearest ``Interp`` + conv + LeakyReLU, HR conv + LeakyReLU, last
  conv. x2/x1 Real-ESRGAN models pixel-unshuffle the input first (input channels = 4× or 16×
  output channels); spandrel does that in ``forward`` via ``shuffle_factor``.
* Compact / SRVGGNetCompact: conv + act, ``num_conv`` × (conv + act), last conv to
  out·s² channels, ``PixelShuffle`` s, plus the nearest-upsampled input (``Interp`` + add).

Some packaged graphs (e.g. REALESRGAN_ANIMAVIDEOV3_UP2X/UP3X) are the ×4 network followed
by a bicubic ``Interp`` down to ×2/×3. That resize has no weights and is not part of
spandrel's network: the ×4 network is returned, and callers resize its output themselves.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganhub import WeightsError
from ganhub_superres.ncnn_format import NcnnLayer, ncnn_state_dict, read_param

# Spandrel architecture ids, and the names users may type for them (compared lowercased).
ESRGAN, COMPACT = "ESRGAN", "Compact"
ALIASES = {
    "esrgan": ESRGAN, "rrdbnet": ESRGAN, "rrdb": ESRGAN, "realesrgan": ESRGAN,
    "compact": COMPACT, "realesrgan compact": COMPACT, "srvggnetcompact": COMPACT, "srvgg": COMPACT,
}
_CONV = ("Convolution", "ConvolutionDepthWise")


def _conv_in_out(layer: NcnnLayer) -> tuple[int, int]:
    p = layer.params
    out, kw = int(p[0]), int(p.get(1, 0))
    return int(p.get(6, 0)) // max(1, out * kw * int(p.get(11, kw))), out


def _interp_scale(layer: NcnnLayer) -> float:
    # Interp 1=height_scale, 2=width_scale; a non-square resize is not an SR upsampler.
    height, width = float(layer.params.get(1, 1.0)), float(layer.params.get(2, 1.0))
    if height != width:
        raise WeightsError(f"ncnn layer '{layer.name}' resizes {height}×{width}: not a square upscale")
    return height


def _require_nearest(layers: list[NcnnLayer], what: str) -> None:
    """Upscaling Interp layers must be nearest (0=1): spandrel's networks have no other kind."""
    for layer in layers:
        if layer.type == "Interp" and _interp_scale(layer) > 1 and int(layer.params.get(0, 0)) != 1:
            raise WeightsError(f"ncnn layer '{layer.name}' upsamples with mode {layer.params.get(0, 0)}, "
                               f"but {what} use nearest; the graph is not this architecture")


def _infer_arch(layers: list[NcnnLayer]) -> str:
    types = {layer.type for layer in layers}
    if "Concat" in types:  # only RRDB's dense blocks concatenate
        return ESRGAN
    if "PixelShuffle" in types or "PReLU" in types:
        return COMPACT
    raise WeightsError("cannot tell the architecture from this .param (no dense-block Concat, no "
                       "PixelShuffle/PReLU); pass --arch ESRGAN or --arch Compact if it is one of them")


def _build_esrgan(layers: list[NcnnLayer]) -> torch.nn.Module:
    from spandrel.architectures.ESRGAN import ESRGAN as RRDBNet

    convs = [layer for layer in layers if layer.type in _CONV]
    if len(convs) < 3:
        raise WeightsError(f"an RRDBNet graph has at least 3 convolutions, this one has {len(convs)}")
    in_nc, num_filters = _conv_in_out(convs[0])
    out_nc = _conv_in_out(convs[-1])[1]
    # Only upsamplers resize inside an RRDBNet: their product is the network's internal scale.
    resizes = [s for s in (_interp_scale(x) for x in layers if x.type == "Interp") if s > 1]
    _require_nearest(layers, "RRDBNet's upconv blocks")
    scale = round(math.prod(resizes))
    # conv_first + 15 per RRDB + trunk conv + one per upsampler + HR conv + last conv
    body = len(convs) - 4 - len(resizes)
    if body < 0 or body % 15:
        raise WeightsError(f"{len(convs)} convolutions do not form RRDB blocks of 15 convolutions; "
                           "is this an ESRGAN/RRDBNet graph? (try --arch Compact)")
    # Real-ESRGAN x2/x1 pixel-unshuffle the input, so the first conv sees 4×/16× the channels.
    shuffle = next((f for f in (2, 4) if in_nc == out_nc * f * f), None)
    return RRDBNet(in_nc=in_nc, out_nc=out_nc, num_filters=num_filters, num_blocks=body // 15,
                   scale=scale, shuffle_factor=shuffle)


def _compact_activation(layers: list[NcnnLayer], first_conv: NcnnLayer) -> str:
    """prelu / relu / leakyrelu, from PReLU layers, a ReLU layer or the conv's fused activation."""
    if any(layer.type == "PReLU" for layer in layers):
        return "prelu"
    relu = next((layer for layer in layers if layer.type == "ReLU"), None)
    fused = int(first_conv.params.get(9, 0))  # ncnn fuses ReLU (1) / LeakyReLU (2) into convs
    slope = float(relu.params.get(0, 0.0)) if relu else float((first_conv.params.get(10) or [0.0])[0])
    if relu is None and fused not in (1, 2):
        raise WeightsError(f"no activation after '{first_conv.name}'; not a Compact graph (try --arch ESRGAN)")
    if slope == 0.0 or (relu is None and fused == 1):
        return "relu"
    if abs(slope - 0.1) > 1e-6:  # spandrel's Compact hard-codes LeakyReLU(0.1)
        raise WeightsError(f"LeakyReLU slope {slope} in the graph; spandrel's Compact only has 0.1")
    return "leakyrelu"


def _build_compact(layers: list[NcnnLayer]) -> torch.nn.Module:
    from spandrel.architectures.Compact import Compact as SRVGGNetCompact

    convs = [layer for layer in layers if layer.type in _CONV]
    if len(convs) < 2:
        raise WeightsError(f"a Compact graph has at least 2 convolutions, this one has {len(convs)}")
    in_ch, num_feat = _conv_in_out(convs[0])
    shuffles = [int(layer.params.get(0, 1)) for layer in layers if layer.type == "PixelShuffle"]
    upscale = shuffles[0] if shuffles else 1
    last_out = _conv_in_out(convs[-1])[1]
    if len(shuffles) > 1 or last_out % (upscale * upscale):
        raise WeightsError(f"last convolution gives {last_out} channels, not out·{upscale}² for one "
                           "PixelShuffle; is this a Compact graph? (try --arch ESRGAN)")
    act = _compact_activation(layers, convs[0])
    # The network adds the nearest-upsampled input to the PixelShuffle output; check the graph does.
    if upscale > 1:
        _require_nearest(layers, "SRVGGNetCompact's input residual")
        if upscale not in (_interp_scale(x) for x in layers if x.type == "Interp"):
            raise WeightsError(f"no ×{upscale} Interp of the input in the graph; not a Compact graph")
    if not any(x.type == "BinaryOp" and int(x.params.get(0, 0)) == 0 for x in layers):
        raise WeightsError("no BinaryOp add for the input residual in the graph; not a Compact graph")
    return SRVGGNetCompact(num_in_ch=in_ch, num_out_ch=last_out // (upscale * upscale), num_feat=num_feat,
                           num_conv=len(convs) - 2, upscale=upscale, act_type=act)


def build_from_ncnn(param_path: str | Path, bin_path: str | Path, arch: str | None = None) -> torch.nn.Module:
    """The spandrel network an ncnn graph describes, with its weights loaded, in eval mode.

    ``arch`` is a spandrel id ("ESRGAN", "Compact"), its display name ("RealESRGAN Compact")
    or an alias ("rrdbnet", "compact"); ``None`` infers it from the graph.
    """
    layers = read_param(param_path)
    if arch is None:
        arch_id = _infer_arch(layers)
    else:
        arch_id = ALIASES.get(arch.strip().lower())
        if arch_id is None:
            raise WeightsError(f"unknown architecture '{arch}' for ncnn conversion: use ESRGAN "
                               "(alias rrdbnet) or Compact (alias 'RealESRGAN Compact', srvggnetcompact)")
    network = _build_esrgan(layers) if arch_id == ESRGAN else _build_compact(layers)
    network.load_state_dict(ncnn_state_dict(param_path, bin_path, network), strict=True)
    return network.eval()
