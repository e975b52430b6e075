"""Train ganhub-watermark-cgan on watermarks synthesised on the fly over clean photo crops.

    python -m ganhub_watermark.train_model --steps 3000 --out ganhub_watermark/weights

Losses: L1 of the mask-composited output and of the raw clean estimate against the clean
crop, BCE of the mask logit against the true watermark mask, and a small conditional
PatchGAN term (ganhub.train's discriminator and losses). Saves fp16 safetensors.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganhub.train import losses
from ganhub.train.nets import PatchDiscriminator, dcgan_init
from ganhub_watermark import data, synth
from ganhub_watermark.net import WatermarkUNet

WEIGHTS_FILE = "watermark_cgan_v1.safetensors"


def batch(photos: list[np.ndarray], size: int, count: int, rng: np.random.Generator,
          fonts: list[Path]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(watermarked, clean, mask) tensors of ``count`` fresh random pairs."""
    triples = [synth.add_watermark(data.random_crop(photos, size, rng), rng, fonts) for _ in range(count)]
    marked, clean, mask = (np.stack(t) for t in zip(*triples))
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa: E731
    return to(marked), to(clean), torch.from_numpy(mask[:, None])


def generator_loss(net: WatermarkUNet, d: PatchDiscriminator | None, marked: torch.Tensor,
                   clean: torch.Tensor, mask: torch.Tensor, adv_weight: float) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """The G loss terms; returns (loss, logs, composited output for D)."""
    estimate, logit = net(marked)
    soft = torch.sigmoid(logit)
    output = marked * (1 - soft) + estimate * soft
    # Weighted toward watermark pixels: they are few, and they are all that matters.
    l1 = (output - clean).abs().mean() + (estimate - clean).abs().mean()
    bce = F.binary_cross_entropy_with_logits(logit, mask, pos_weight=torch.tensor(3.0))
    loss = 10.0 * l1 + bce
    adv = torch.zeros(())
    if d is not None and adv_weight > 0:
        for p in d.parameters():
            p.requires_grad_(False)
        adv = losses.g_nonsaturating_loss(d(marked * 2 - 1, output * 2 - 1))
        for p in d.parameters():
            p.requires_grad_(True)
        loss = loss + adv_weight * adv
    return loss, {"l1": l1.item(), "bce": bce.item(), "adv": adv.item()}, output


def train(steps: int, size: int, batch_size: int, out: Path, adv_weight: float, seed: int,
          channels: int, threads: int, lr: float = 1e-3, init: Path | None = None) -> dict:
    """Run the loop; writes the weights and a JSON of the run's facts into ``out``."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    photos, fonts = data.train_photos(), synth.fonts()
    net = WatermarkUNet(channels)
    if init is not None:  # continue from saved weights (a second, lower-lr stage)
        from safetensors.torch import load_file

        net.load_state_dict({k: v.float() for k, v in load_file(str(init)).items()})
    d = PatchDiscriminator(32, 2, "none") if adv_weight > 0 else None
    if d is not None:
        dcgan_init(d)
    opt_g = torch.optim.Adam(net.parameters(), lr, betas=(0.5, 0.99))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt_g, lr, total_steps=steps, pct_start=0.05)
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.99)) if d is not None else None
    started = time.time()
    for step in range(1, steps + 1):
        marked, clean, mask = batch(photos, size, batch_size, rng, fonts)
        loss, logs, output = generator_loss(net, d, marked, clean, mask, adv_weight)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        # A first run at lr 2e-3 without clipping diverged at step ~1100 (mask BCE spiked).
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt_g.step()
        sched.step()
        if d is not None and opt_d is not None:
            loss_d = 0.5 * losses.d_bce_loss(d(marked * 2 - 1, clean * 2 - 1),
                                             d(marked * 2 - 1, output.detach() * 2 - 1), 0.1)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        if step % 100 == 0 or step == steps:
            print(f"step {step}/{steps} {time.time() - started:.0f}s " +
                  " ".join(f"{k}={v:.4f}" for k, v in logs.items()), flush=True)
    facts = {"steps": steps, "crop": size, "batch": batch_size, "seconds": round(time.time() - started),
             "device": "cpu", "threads": threads, "adv_weight": adv_weight, "seed": seed,
             "channels": channels, "lr": lr, "init": str(init.name) if init else None, "train_photos": len(photos), "train_fonts": len(fonts)}
    save(net, out / WEIGHTS_FILE, facts)
    return facts


def save(net: WatermarkUNet, path: Path, facts: dict) -> None:
    """fp16 safetensors (halves the package size; the model runs in fp32 after loading)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().half().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(path), metadata={k: str(v) for k, v in facts.items()})
    (path.with_suffix(".json")).write_text(json.dumps(facts, indent=2))


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--adv-weight", type=float, default=0.01)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--init", type=Path, default=None, help="start from these weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "weights")
    args = parser.parse_args()
    print(train(args.steps, args.size, args.batch, args.out, args.adv_weight, args.seed,
                args.channels, args.threads, args.lr, args.init))


if __name__ == "__main__":
    main()
