"""The watermark network: a small residual U-Net that predicts a clean image AND a mask.

``WatermarkUNet`` (what is trained and shipped) returns (clean estimate, mask logit).
v2 inverts one alpha layer; ``layers=2`` (v3) also inverts a layer below it, since real marks
stack a light fill over a dark shadow, stroke or emboss edge and v2 left that layer behind.
``AutoMaskInpainter`` wraps it in ganhub's inpaint convention ``(image, mask) -> image``:
an all-zero mask means "find the watermark yourself" (auto mode), any other mask is the
user's brush and is used as given. Pixels outside the mask used come back unchanged, so the
host can read the mask off the output (see README: the auto-mode pipeline change).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
import torch.nn.functional as F

MULTIPLE_OF = 8  # three stride-2 levels
DEFAULT_WIDTH = 16  # v2's


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.LeakyReLU(0.2, True))


MAX_ALPHA = 0.9  # the inversion divides by 1 − alpha: cap it (training opacity tops out at 0.8)


class Decomposition(NamedTuple):
    """What the network sees in a watermarked image (all N×C×H×W)."""

    alpha_logit: torch.Tensor  # opacity of the watermark layer = MAX_ALPHA · sigmoid(alpha_logit)
    colour: torch.Tensor  # the watermark's colour, in [0, 1]
    residual: torch.Tensor  # a correction added after the inversion (glyph edges, clipping)
    mask_logit: torch.Tensor  # "a watermark covers this pixel"
    # v3 (``layers=2``): a second alpha layer UNDER the first (a drop shadow, a stroke, the dark
    # edge of an emboss), inverted after the top one; None for the single-layer v2 network.
    under_alpha_logit: torch.Tensor | None = None
    under_colour: torch.Tensor | None = None

    @property
    def alpha(self) -> torch.Tensor:
        """Opacity of the watermark layer, in [0, MAX_ALPHA]."""
        return MAX_ALPHA * torch.sigmoid(self.alpha_logit)

    @property
    def under_alpha(self) -> torch.Tensor | None:
        """Opacity of the lower layer, in [0, MAX_ALPHA] (None with one layer)."""
        return None if self.under_alpha_logit is None else MAX_ALPHA * torch.sigmoid(self.under_alpha_logit)

    def clean(self, image: torch.Tensor) -> torch.Tensor:
        """Invert ``image = under(clean)·(1 − alpha) + colour·alpha`` layer by layer, top first,
        then correct and clamp to [0, 1]."""
        alpha = self.alpha
        inverted = (image - self.colour * alpha) / (1.0 - alpha)
        under = self.under_alpha
        if under is not None and self.under_colour is not None:
            inverted = (inverted - self.under_colour * under) / (1.0 - under)
        return (inverted + self.residual).clamp(0.0, 1.0)


class WatermarkUNet(nn.Module):
    """[0, 1] image (N, 3, H, W) → (clean estimate in [0, 1], mask logit (N, 1, H, W)).

    Blind removal in the spirit of WDNet (Liu et al., 2021): rather than painting new pixels,
    the head estimates the watermark's opacity and colour and inverts the alpha blend, which
    recovers the photo under a semi-transparent mark almost exactly; a small residual fixes
    what the blend model misses. H and W must be multiples of 8. The head starts at zero with
    a near-zero alpha, so the untrained network is close to the identity.
    """

    def __init__(self, channels: int = DEFAULT_WIDTH, layers: int = 1):
        super().__init__()
        if layers not in (1, 2):
            raise ValueError(f"layers is {layers}: 1 (v2) or 2 (v3: a lower layer for shadows, strokes, dark edges)")
        c = channels
        widths = (c, 2 * c, 4 * c, 4 * c)
        self.enc = nn.ModuleList([_block(3, widths[0])] + [
            _block(widths[i], widths[i + 1]) for i in range(3)])
        self.down = nn.ModuleList([nn.Conv2d(widths[i], widths[i], 3, 2, 1) for i in range(3)])
        self.dec = nn.ModuleList([_block(widths[i + 1] + widths[i], widths[i]) for i in range(3)])
        # residual RGB (3), mask logit (1), alpha logit (1), colour logits (3)
        # [+ with 2 layers: lower alpha logit (1), lower colour logits (3)]
        self.head = nn.Conv2d(widths[0], 4 + 4 * layers, 3, padding=1)
        self.channels, self.layers = channels, layers
        with torch.no_grad():  # priors: "mostly no watermark", alpha ≈ 0
            self.head.weight.zero_()
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0, -2.0, -4.0, 0.0, 0.0, 0.0, -4.0, 0.0, 0.0, 0.0][:4 + 4 * layers]))
        if layers == 2:
            self._register_load_state_dict_pre_hook(self._widen_v2_head)

    def _widen_v2_head(self, state: dict, prefix: str, *_: object) -> None:
        """Let a 2-layer network load v2 (1-layer) weights: its lower layer starts off (alpha ≈ 0.016).

        That is how v3 fine-tunes from v2 (``init``) instead of relearning from scratch.
        """
        weight, bias = state.get(prefix + "head.weight"), state.get(prefix + "head.bias")
        if weight is None or bias is None or weight.shape[0] != 8:
            return
        state[prefix + "head.weight"] = torch.cat([weight, torch.zeros_like(weight[:4])])
        state[prefix + "head.bias"] = torch.cat([bias, torch.tensor([-4.0, 0.0, 0.0, 0.0], dtype=bias.dtype)])

    def decompose(self, image: torch.Tensor) -> Decomposition:
        """The parts (alpha, colour, residual, mask logit) of a [0, 1] image batch."""
        x = image * 2.0 - 1.0
        skips = []
        for level in range(3):
            x = self.enc[level](x)
            skips.append(x)
            x = self.down[level](x)
        x = self.enc[3](x)
        for level in reversed(range(3)):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = self.dec[level](torch.cat([x, skips[level]], 1))
        out = self.head(x).float()  # the inversion divides: keep it fp32 under autocast
        if self.layers == 1:
            return Decomposition(out[:, 4:5], torch.sigmoid(out[:, 5:8]), out[:, :3], out[:, 3:4])
        return Decomposition(out[:, 4:5], torch.sigmoid(out[:, 5:8]), out[:, :3], out[:, 3:4],
                             out[:, 8:9], torch.sigmoid(out[:, 9:12]))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        parts = self.decompose(image)
        return parts.clean(image), parts.mask_logit


def layers_of(state: dict[str, torch.Tensor]) -> int:
    """How many alpha layers a weights file inverts (its head has 4 + 4 · layers outputs)."""
    head = state.get("head.weight")
    return 2 if head is not None and head.shape[0] == 12 else 1


def width_of(state: dict[str, torch.Tensor]) -> int | None:
    """The width (``channels``) a weights file was trained with; None when it is not this network's."""
    first = state.get("enc.0.0.weight")
    return int(first.shape[0]) if first is not None and first.ndim == 4 else None


def from_state_dict(state: dict[str, torch.Tensor], name: str = "state dict") -> WatermarkUNet:
    """The network a weights file was trained as: v2's one layer or v3's two, and the width its
    run trained with (``g_channels``), read off the shapes. A file of another network is refused
    by ``name`` (ganhub's WeightsError), as the app refuses a user's ``--weights``."""
    from ganhub.weights import load_strict

    core = WatermarkUNet(width_of(state) or DEFAULT_WIDTH, layers_of(state))
    load_strict(core, {k: v.float() for k, v in state.items()}, "ganhub-watermark-cgan", name)
    return core


# Test-time augmentation: the network also sees the image mirrored and averages what it
# predicts. Flipping only reorders pixels, so the average is still an estimate of the same
# image; it cancels part of each pass's error (measured on training crops, see the model card).
FLIPS: dict[str, tuple[tuple[int, ...], ...]] = {
    "none": ((),),
    "h": ((), (-1,)),
    "hv": ((), (-1,), (-2,), (-2, -1)),
}


class AutoMaskInpainter(nn.Module):
    """ganhub inpaint convention around :class:`WatermarkUNet`; exportable (no data-dependent branch)."""

    def __init__(self, core: WatermarkUNet, threshold: float = 0.7, grow: int = 0, flips: str = "hv"):
        super().__init__()
        self.core = core
        self.threshold = threshold
        # Optional dilation; off by default: on training crops it gained no PSNR and cost IoU.
        self.grow = grow
        self.flips = FLIPS[flips]

    def predict(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(clean estimate, mask logit), averaged over the mirrored copies in ``flips``."""
        clean_sum, logit_sum = torch.zeros_like(image), torch.zeros_like(image[:, :1])
        for dims in self.flips:
            clean, logit = self.core(image.flip(dims) if dims else image)
            clean_sum = clean_sum + (clean.flip(dims) if dims else clean)
            logit_sum = logit_sum + (logit.flip(dims) if dims else logit)
        return clean_sum / len(self.flips), logit_sum / len(self.flips)

    def predicted_mask(self, logit: torch.Tensor) -> torch.Tensor:
        """Hard {0, 1} mask from the logit, dilated by ``grow`` pixels."""
        mask = (torch.sigmoid(logit) > self.threshold).to(logit.dtype)
        if self.grow:
            mask = F.max_pool2d(mask, 2 * self.grow + 1, stride=1, padding=self.grow)
        return mask

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        clean, logit = self.predict(image)
        auto = (mask.amax(dim=(1, 2, 3), keepdim=True) <= 0).to(image.dtype)
        used = auto * self.predicted_mask(logit) + (1.0 - auto) * mask
        return image * (1.0 - used) + clean * used
