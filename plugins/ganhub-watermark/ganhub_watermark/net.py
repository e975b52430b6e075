"""The watermark network: a small residual U-Net that predicts a clean image AND a mask.

``WatermarkUNet`` (what is trained and shipped) returns (clean estimate, mask logit).
``AutoMaskInpainter`` wraps it in ganhub's inpaint convention ``(image, mask) -> image``:
an all-zero mask means "find the watermark yourself" (auto mode), any other mask is the
user's brush and is used as given. Pixels outside the mask used come back unchanged, so the
host can read the mask off the output (see README: the auto-mode pipeline change).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

MULTIPLE_OF = 8  # three stride-2 levels


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.LeakyReLU(0.2, True))


class WatermarkUNet(nn.Module):
    """[0, 1] image (N, 3, H, W) → (clean estimate in [0, 1], mask logit (N, 1, H, W)).

    H and W must be multiples of 8. The RGB head is residual and starts at zero, so the
    untrained network is the identity and training spends its steps on the watermark.
    """

    def __init__(self, channels: int = 16):
        super().__init__()
        c = channels
        widths = (c, 2 * c, 4 * c, 4 * c)
        self.enc = nn.ModuleList([_block(3, widths[0])] + [
            _block(widths[i], widths[i + 1]) for i in range(3)])
        self.down = nn.ModuleList([nn.Conv2d(widths[i], widths[i], 3, 2, 1) for i in range(3)])
        self.dec = nn.ModuleList([_block(widths[i + 1] + widths[i], widths[i]) for i in range(3)])
        self.head = nn.Conv2d(widths[0], 4, 3, padding=1)
        self.channels = channels
        with torch.no_grad():  # identity at start; mask prior "mostly no watermark"
            self.head.weight.zero_()
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0, -2.0]))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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
        out = self.head(x)
        return (image + out[:, :3]).clamp(0.0, 1.0), out[:, 3:]


class AutoMaskInpainter(nn.Module):
    """ganhub inpaint convention around :class:`WatermarkUNet`; exportable (no data-dependent branch)."""

    def __init__(self, core: WatermarkUNet, threshold: float = 0.7, grow: int = 0):
        super().__init__()
        self.core = core
        self.threshold = threshold
        # Optional dilation; off by default: on training crops it gained no PSNR and cost IoU.
        self.grow = grow

    def predicted_mask(self, logit: torch.Tensor) -> torch.Tensor:
        """Hard {0, 1} mask from the logit, dilated by ``grow`` pixels."""
        mask = (torch.sigmoid(logit) > self.threshold).to(logit.dtype)
        if self.grow:
            mask = F.max_pool2d(mask, 2 * self.grow + 1, stride=1, padding=self.grow)
        return mask

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        clean, logit = self.core(image)
        auto = (mask.amax(dim=(1, 2, 3), keepdim=True) <= 0).to(image.dtype)
        used = auto * self.predicted_mask(logit) + (1.0 - auto) * mask
        return image * (1.0 - used) + clean * used
