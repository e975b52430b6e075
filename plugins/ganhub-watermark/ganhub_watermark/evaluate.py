"""Quality of watermark removal on held-out photos and the held-out font: PSNR, mask IoU.

Used by the tests and to write the model card, so both report the same numbers.

    python -m ganhub_watermark.evaluate                      # the shipped weights' tables
    python -m ganhub_watermark.evaluate --weights RUN/generator.safetensors   # a candidate

Two tables: v2's (one mark family, as before) and, per mark kind of
:data:`ganhub_watermark.synth.EVAL_KINDS` (plain, tiled, coloured, shadowed, embossed, logo,
JPEG-baked), the mean PSNR gain on held-out photos with the held-out font and the ceiling (the
gain of a perfect remover of the true mask's pixels), plus clean photos (pixels touched).

A candidate ships only if it beats the shipped weights on every kind of every draw of
:data:`SHIP_DRAWS`, with clean photos left alone:

    python -m ganhub_watermark.evaluate --ship-check --weights RUN/generator.safetensors

It prints each draw's differences with their paired standard errors, and each kind's difference
pooled over the draws: what a reader needs to tell a real deficit from a draw's noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ganhub import imaging
from ganhub_watermark import data, synth
from ganhub_watermark.modes import auto_remove

if TYPE_CHECKING:
    from ganhub import Loaded

EVAL_SIZE = 96  # crops of held-out photos; training saw 64² crops, so text is a bit larger here
EVAL_SEED = 1234


@dataclass(frozen=True)
class Quality:
    """Mean scores over a set of crops (dB for PSNR)."""

    count: int
    psnr_in: float  # watermarked input vs clean
    psnr_out: float  # our output vs clean
    ssim_in: float  # watermarked input vs clean
    ssim_out: float  # our output vs clean
    iou: float  # predicted mask vs true mask
    clean_psnr: float  # on unwatermarked crops: output vs input (inf = untouched)
    clean_changed: float  # fraction of pixels changed on unwatermarked crops
    clean_psnr_min: float  # the worst unwatermarked crop: output vs input

    @property
    def gain(self) -> float:
        """Mean PSNR improvement in dB."""
        return self.psnr_out - self.psnr_in


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two [0, 1] images (capped at 100 dB for identical images)."""
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 100.0 if mse == 0 else 10 * np.log10(1.0 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two H×W×3 [0, 1] images (scikit-image, 7×7 windows, per channel)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=1.0))


def crops(photos: list[np.ndarray], per_photo: int, size: int = EVAL_SIZE, seed: int = EVAL_SEED) -> list[np.ndarray]:
    """Deterministic ``size``² crops, ``per_photo`` from each photo."""
    rng = np.random.default_rng(seed)
    return [data.random_crop([photo], size, rng).copy() for photo in photos for _ in range(per_photo)]


def _run(loaded: "Loaded", rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = auto_remove(loaded, imaging.DecodedImage(np.ascontiguousarray(rgb), None, 8, "RGB"))
    return result.images[0], result.extras["mask"]


def _iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = np.logical_or(pred > 0.5, true > 0.5).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred > 0.5, true > 0.5).sum() / union)


def quality(loaded: "Loaded", clean_crops: list[np.ndarray], seed: int = EVAL_SEED) -> Quality:
    """Watermark each crop with the held-out font family, remove it, and score."""
    rng, fonts = np.random.default_rng(seed), synth.fonts(held_out=True)
    scores = []
    for clean in clean_crops:
        marked, _, true_mask = synth.add_watermark(clean, rng, fonts)
        output, mask = _run(loaded, marked)
        untouched, clean_mask = _run(loaded, clean)
        scores.append((psnr(marked, clean), psnr(output, clean), ssim(marked, clean), ssim(output, clean),
                       _iou(mask, true_mask),
                       psnr(untouched, clean), float(clean_mask.mean())))
    table = np.array(scores)
    return Quality(len(scores), *map(float, table.mean(axis=0)), float(table[:, 5].min()))


@dataclass(frozen=True)
class KindQuality:
    """Mean scores of one mark kind over a set of crops."""

    kind: str
    count: int
    psnr_in: float
    psnr_out: float
    iou: float
    # A remover that replaces exactly the true mask's pixels with the clean photo: the best any
    # masked remover (ours composites inside its mask) can score. Below +6 dB for JPEG-baked
    # marks: the JPEG noise outside the mark stays, and inside it the ceiling keeps nothing else.
    psnr_ceiling: float
    gains: tuple[float, ...] = ()  # per crop, in the crops' order: for paired comparisons

    @property
    def gain(self) -> float:
        return self.psnr_out - self.psnr_in

    @property
    def ceiling_gain(self) -> float:
        """The gain of the perfect masked remover (see ``psnr_ceiling``)."""
        return self.psnr_ceiling - self.psnr_in


def kind_quality(loaded: "Loaded", clean_crops: list[np.ndarray], kind: str, seed: int = EVAL_SEED) -> KindQuality:
    """Mark each crop with a ``kind`` mark in the held-out font, remove it, score against the clean crop.

    Each kind draws from its own seeded stream, so adding a kind never changes another's marks.
    """
    rng = np.random.default_rng([seed, synth.EVAL_KINDS.index(kind)])
    held = synth.fonts(held_out=True)
    scores = []
    for clean in clean_crops:
        sample = synth.make_mark(clean, rng, kind, held)
        output, mask = _run(loaded, sample.marked)
        perfect = np.where(sample.mask[..., None] > 0, clean, sample.marked)
        scores.append((psnr(sample.marked, clean), psnr(output, clean), _iou(mask, sample.mask), psnr(perfect, clean)))
    table = np.array(scores)
    return KindQuality(kind, len(scores), *map(float, table.mean(axis=0)), gains=tuple(map(float, table[:, 1] - table[:, 0])))


def clean_touched(loaded: "Loaded", clean_crops: list[np.ndarray]) -> tuple[float, float]:
    """(mean fraction of pixels changed, worst PSNR output vs input) on unmarked crops."""
    results = [_run(loaded, clean) for clean in clean_crops]
    return (float(np.mean([mask.mean() for _, mask in results])),
            min(psnr(out, clean) for (out, _), clean in zip(results, clean_crops)))


def kind_sets(seed: int = EVAL_SEED, scale: int = 1, size: int = EVAL_SIZE) -> dict[str, list[np.ndarray]]:
    """The held-out crops of the per-kind table (smaller than v2's sets: 7 kinds run on each).

    Another ``seed`` and a larger ``scale`` (crops per photo ×) give a confirmation set: with
    ~50 crops a kind's mean gain moves by a few tenths of a dB from one draw to the next.
    A larger ``size`` means larger marks in pixels (their sizes are relative to the crop), as on
    real photos: a network trained on small crops can lose there what it gains at 96².
    """
    sets = {"BSD68": crops(data.held_out_bsd68(), 2 * scale, size, seed),
            "skimage": crops(data.held_out_skimage(), 8 * scale, size, seed)}
    return {name: c for name, c in sets.items() if c}


KindTable = dict[str, dict[str, KindQuality]]


def kind_table(loaded: "Loaded", sets: dict[str, list[np.ndarray]], seed: int = EVAL_SEED) -> KindTable:
    """{set: {kind: KindQuality}} over ``sets`` (from :func:`kind_sets`) and every evaluation kind."""
    return {name: {kind: kind_quality(loaded, c, kind, seed) for kind in synth.EVAL_KINDS} for name, c in sets.items()}


def print_kind_table(loaded: "Loaded", sets: dict[str, list[np.ndarray]],
                     seed: int = EVAL_SEED) -> tuple[KindTable, list[tuple[float, float]]]:
    """Print the per-kind gain table and the clean-photo row; return both (clean: per set,
    the fraction of pixels touched and the worst PSNR, as :func:`clean_touched`)."""
    table = kind_table(loaded, sets, seed)
    names = list(table)
    print("| kind | " + " | ".join(f"{n}: in → out (gain), IoU" for n in names) + " | mean gain | ceiling |")
    print("|---|" + "---|" * (len(names) + 2))  # noqa: T201 (a CLI table)
    for kind in synth.EVAL_KINDS:
        cells = [f"{table[n][kind].psnr_in:.2f} → {table[n][kind].psnr_out:.2f} (**{table[n][kind].gain:+.2f}**), "
                 f"{table[n][kind].iou:.2f}" for n in names]
        mean = np.mean([table[n][kind].gain for n in names])
        ceiling = np.mean([table[n][kind].ceiling_gain for n in names])
        print(f"| {kind} | " + " | ".join(cells) + f" | {mean:+.2f} | {ceiling:+.2f} |")
    touched = [clean_touched(loaded, c) for c in sets.values()]
    print("| clean photos: px touched, worst PSNR | "
          + " | ".join(f"{100 * t:.2f}%, {w:.1f} dB" for t, w in touched) + " | | |")
    return table, touched


def mean_gains(table: KindTable) -> dict[str, float]:
    """{kind: gain averaged over the photo sets} of a :func:`kind_table`."""
    return {kind: float(np.mean([per_set[kind].gain for per_set in table.values()])) for kind in synth.EVAL_KINDS}


def paired_error(candidate: KindTable, shipped: KindTable, kind: str) -> float:
    """Standard error (dB) of :func:`mean_gains`' difference candidate − shipped on ``kind``.

    Both tables scored the same crops with the same marks, so the per-crop differences are
    paired: far less noisy than the two means apart. The mean gain averages the sets' means,
    so their errors combine as such. It tells a real deficit (several errors below zero) from
    draw noise; the ship rule itself still asks for a higher mean on every draw.
    """
    variances = []
    for name, per_set in candidate.items():
        diff = np.subtract(per_set[kind].gains, shipped[name][kind].gains)
        variances.append(float(np.var(diff, ddof=1)) / len(diff) if len(diff) > 1 else 0.0)
    return float(np.sqrt(sum(variances))) / len(variances)


MAX_CLEAN_TOUCHED = 0.005  # a candidate may change at most 0.5 % of a clean photo's pixels


def ship_verdict(candidate: dict[str, float], shipped: dict[str, float], touched: float) -> list[str]:
    """Why a candidate must not replace the shipped weights (empty: it may).

    The rule of issue #19: better than the shipped weights on every kind, and clean photos
    (``touched``: the worst set's mean fraction of pixels changed) left alone.
    """
    reasons = [f"{kind}: {candidate[kind]:+.2f} dB is not above the shipped {shipped[kind]:+.2f} dB"
               for kind in synth.EVAL_KINDS if candidate[kind] <= shipped[kind]]
    if touched > MAX_CLEAN_TOUCHED:
        reasons.append(f"clean photos: {100 * touched:.2f}% of pixels changed (at most {100 * MAX_CLEAN_TOUCHED:.1f}%)")
    return reasons


class Draw(NamedTuple):
    """One per-kind evaluation set: :func:`kind_sets`'s arguments."""

    seed: int
    scale: int
    size: int

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.scale}× crops, {self.size}²"


# The ship rule's sets (``--ship-check``): the default draw, a second larger draw, and 256² crops
# (marks ~3× larger in pixels, where a model trained on small crops alone lost to v2). The
# sets with seed 2027 steered no training run or checkpoint choice, unlike the first three: they
# are for ship decisions only, so the verdict is not tuned to its own test set. After they had
# judged v3d and v3e, seed 4242's pair was added, unseen, to judge the soup v3f. v3f's verdict
# then looked into draw 4's crops, so seed 5151's pair was added, unseen, for the next candidate's
# verdict; soup recipes after v3f were compared on draws 1-7 only, so it stays unseen.
SHIP_DRAWS = (Draw(EVAL_SEED, 1, EVAL_SIZE), Draw(99, 2, EVAL_SIZE), Draw(EVAL_SEED, 1, 256),
              Draw(2027, 2, EVAL_SIZE), Draw(2027, 1, 256), Draw(4242, 2, EVAL_SIZE), Draw(4242, 1, 256),
              Draw(5151, 2, EVAL_SIZE), Draw(5151, 1, 256))


def pooled(differences: list[tuple[float, float]]) -> tuple[float, float]:
    """(mean, standard error) of per-draw (difference, standard error) pairs, the draws independent.

    How far a candidate is from the shipped weights over all draws together: a candidate level
    with them loses some draws by chance alone, so the per-draw rule alone cannot tell a
    real deficit on one draw from noise. Printed for reading; the ship rule stays per draw.
    """
    means, errors = zip(*differences)
    return float(np.mean(means)), float(np.sqrt(np.sum(np.square(errors)))) / len(errors)


def ship_check(candidate: "Loaded", shipped: "Loaded", draws: tuple[Draw, ...] = SHIP_DRAWS) -> list[str]:
    """Print candidate vs shipped mean gains per kind on every draw (the difference ± its paired
    standard error) and pooled over the draws; return every reason to keep the shipped weights
    (empty: it may replace them)."""
    reasons, differences = [], {kind: [] for kind in synth.EVAL_KINDS}
    for draw in draws:
        sets = kind_sets(*draw)
        table, shipped_table = kind_table(candidate, sets, draw.seed), kind_table(shipped, sets, draw.seed)
        gains, before = mean_gains(table), mean_gains(shipped_table)
        touched = max(clean_touched(candidate, c)[0] for c in sets.values())
        for k in synth.EVAL_KINDS:
            differences[k].append((gains[k] - before[k], paired_error(table, shipped_table, k)))
        print(f"\n{draw}: " + ", ".join(f"{k} {gains[k]:+.2f} ({differences[k][-1][0]:+.2f} ± {differences[k][-1][1]:.2f})"
                                       for k in synth.EVAL_KINDS) + f"; clean px touched {100 * touched:.2f}%")  # noqa: T201
        reasons += [f"{draw}: {r}" for r in ship_verdict(gains, before, touched)]
    print(f"\npooled over the {len(draws)} draws (difference ± standard error): "  # noqa: T201 (a CLI report)
          + ", ".join("{} {:+.2f} ± {:.2f}".format(k, *pooled(differences[k])) for k in synth.EVAL_KINDS))
    return reasons


def verdict_line(reasons: list[str]) -> str:
    """The CLI's last line for :func:`ship_verdict`'s or :func:`ship_check`'s reasons."""
    return "\nverdict: " + ("may replace the shipped weights" if not reasons else
                            "keep the shipped weights — " + "; ".join(reasons))


def shipped_weights() -> Path:
    """The pinned weights file inside this package (catalog.WEIGHTS_FILE)."""
    from ganhub_watermark import catalog

    return catalog.WEIGHTS_DIR / catalog.WEIGHTS_FILE


def load_candidate(weights: str) -> "Loaded":
    """A weights file (v2 or v3 layout) in the app's auto mode on torch fp32, without the catalog's pin."""
    from ganhub import Loaded, TorchSession

    from ganhub_watermark.catalog import WatermarkCGAN

    model = WatermarkCGAN()
    session = TorchSession(model.build(Path(weights)), "cpu", "fp32")  # the app's own build, unpinned
    return Loaded(model, session, None, 0.0, model.constraints_for(session.network))


def main(argv: list[str] | None = None) -> None:
    """Print the quality tables for the shipped weights (or ``--weights FILE``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ganhub_watermark.evaluate")
    parser.add_argument("--weights", help="evaluate this .safetensors instead of the shipped weights")
    parser.add_argument("--kinds-only", action="store_true", help="only the per-kind table")
    parser.add_argument("--against-shipped", action="store_true",
                        help="with --weights: also score the shipped weights and say whether the candidate may replace them")
    parser.add_argument("--seed", type=int, default=EVAL_SEED,
                        help="draw another per-kind set (the ship rule is --ship-check, on SHIP_DRAWS)")
    parser.add_argument("--scale", type=int, default=1, help="crops per photo × this in the per-kind set")
    parser.add_argument("--size", type=int, default=EVAL_SIZE,
                        help="crop side of the per-kind set (larger: larger marks in pixels, as on real photos)")
    parser.add_argument("--ship-check", action="store_true",
                        help="with --weights: the ship rule on every draw of SHIP_DRAWS, one verdict (slow: minutes)")
    args = parser.parse_args(argv)
    if (args.against_shipped or args.ship_check) and not args.weights:
        parser.error("--against-shipped and --ship-check compare a candidate: give it with --weights FILE")
    # Both sides run the same path, torch fp32, not the engine's `auto`: it picks a path per
    # machine, and an int8 graph it once picked scored v2 0.9 dB low on plain marks (model card).
    shipped = lambda: load_candidate(str(shipped_weights()))  # noqa: E731
    loaded = load_candidate(args.weights) if args.weights else shipped()
    if args.ship_check:
        print("Mean PSNR gain per kind, candidate (difference to the shipped weights):")  # noqa: T201
        print(verdict_line(ship_check(loaded, shipped())))  # noqa: T201
        return
    sets = kind_sets(args.seed, args.scale, args.size)  # read once: every table below scores the same crops
    print("Per mark kind (held-out photos, held-out font; PSNR dB, mask IoU):\n")
    table, clean = print_kind_table(loaded, sets, args.seed)
    if args.against_shipped:
        gains, before = mean_gains(table), mean_gains(kind_table(shipped(), sets, args.seed))
        print("\n| kind | candidate | shipped | difference |\n|---|---|---|---|")  # noqa: T201
        for kind in synth.EVAL_KINDS:
            print(f"| {kind} | {gains[kind]:+.2f} | {before[kind]:+.2f} | {gains[kind] - before[kind]:+.2f} |")
        print(verdict_line(ship_verdict(gains, before, max(touched for touched, _ in clean))))  # noqa: T201
    if args.kinds_only:
        return
    print("\nv2's table (single-layer marks):\n")
    sets = {"BSD68 held-out (17×4 crops)": crops(data.held_out_bsd68(), 4),
            "skimage held-out (2×16 crops)": crops(data.held_out_skimage(), 16)}
    print("| set | n | PSNR in | PSNR out | gain | SSIM in | SSIM out | mask IoU | clean: PSNR out vs in (mean / worst) | clean: px changed |")
    print("|---|---|---|---|---|---|---|---|---|---|")  # noqa: T201 (a CLI table)
    for name, clean_crops in sets.items():
        if clean_crops:
            q = quality(loaded, clean_crops)
            print(f"| {name} | {q.count} | {q.psnr_in:.2f} | {q.psnr_out:.2f} | {q.gain:+.2f} | "
                  f"{q.ssim_in:.4f} | {q.ssim_out:.4f} | {q.iou:.3f} | {q.clean_psnr:.1f} / {q.clean_psnr_min:.1f} | {100 * q.clean_changed:.2f}% |")


if __name__ == "__main__":
    main()
