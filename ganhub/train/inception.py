"""The FID Inception network on torchvision's Inception-v3, with pytorch-fid's weights.

The FID weights (``pt_inception-2015-12-05-6726825d.pth``) are the TensorFlow 2015-12-05 graph
ported to torchvision's module layout, so torchvision's ``Inception3`` (1008 classes, no aux
head) takes them by name. The TF graph differs from torchvision's forward in four blocks, and
getting these wrong silently shifts every FID:

- Mixed_5b/5c/5d (A), Mixed_6b-6e (C) and Mixed_7b (E): the pooling branch averages over the
  valid pixels only (``count_include_pad=False``);
- Mixed_7c (E): the pooling branch is a 3×3 *max* pool.

Input: [0, 1] images, resized to 299×299 (bilinear, no corner alignment) and mapped to
[-1, 1]; features are the 2048-d global average pool, logits the 1008-way classifier.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganhub.spec import WeightSource

FID_WEIGHTS = WeightSource(
    "hf://JamesHujy/EMABench/pt_inception-2015-12-05-6726825d.pth@f246ee5ecfcd2435c8edd3ecb89bba9f02d6ac03",
    sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
    size=95628359,
    note="pytorch-fid's port of the TF Inception used by the reference FID code (Apache-2.0)",
)


def _pool_valid(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _inception_blocks() -> tuple[type[nn.Module], type[nn.Module], type[nn.Module]]:
    from torchvision.models.inception import InceptionA, InceptionC, InceptionE

    class FidA(InceptionA):
        def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
            b5 = self.branch5x5_2(self.branch5x5_1(x))
            b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
            return [self.branch1x1(x), b5, b3, self.branch_pool(_pool_valid(x))]

    class FidC(InceptionC):
        def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
            b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
            d = x
            for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                          self.branch7x7dbl_4, self.branch7x7dbl_5):
                d = layer(d)
            return [self.branch1x1(x), b7, d, self.branch_pool(_pool_valid(x))]

    class FidE(InceptionE):
        max_pool = False  # Mixed_7c: True

        def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
            b3 = self.branch3x3_1(x)
            b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
            d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
            d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
            pooled = F.max_pool2d(x, 3, 1, 1) if self.max_pool else _pool_valid(x)
            return [self.branch1x1(x), b3, d, self.branch_pool(pooled)]

    return FidA, FidC, FidE


class FidInception(nn.Module):
    """Pool features (2048) and logits (1008) of the FID Inception; see the module doc."""

    name = "inception"
    has_logits = True

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models.inception import Inception3

        net = Inception3(num_classes=1008, aux_logits=False, init_weights=False)
        fid_a, fid_c, fid_e = _inception_blocks()
        for name, width in (("Mixed_5b", 192), ("Mixed_5c", 256), ("Mixed_5d", 288)):
            setattr(net, name, fid_a(width, pool_features=32 if name == "Mixed_5b" else 64))
        for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
            setattr(net, name, fid_c(768, channels_7x7=c7))
        net.Mixed_7b, net.Mixed_7c = fid_e(1280), fid_e(2048)
        net.Mixed_7c.max_pool = True
        self.net = net.eval()
        self.requires_grad_(False)

    def _pool(self, images: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False) * 2.0 - 1.0
        net = self.net
        for layer in (net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, net.maxpool1,
                      net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, net.maxpool2, net.Mixed_5b, net.Mixed_5c,
                      net.Mixed_5d, net.Mixed_6a, net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e,
                      net.Mixed_7a, net.Mixed_7b, net.Mixed_7c):
            x = layer(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self._pool(images)

    @torch.no_grad()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self._pool(images))


def load_fid_inception(device: str = "cpu", source: WeightSource = FID_WEIGHTS) -> FidInception:
    """The FID Inception with its weights fetched and verified through ganhub.weights."""
    from ganhub.weights import read_state_dict, resolve_weights

    state = read_state_dict(resolve_weights([source]).path)
    with torch.device("meta"):  # no random init of 24 M weights that are overwritten next
        model = FidInception()
    model = model.to_empty(device="cpu")
    model.net.load_state_dict(state, strict=True)  # strict: every tensor must come from the file
    return model.to(device).eval()
