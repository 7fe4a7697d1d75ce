"""Does a CAE encoder with 4x4x1 patches collapse under CAE's official patch-embedding init? The PyTorch side.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tests/golden/cae_init_collapse.py --init beit
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tests/golden/cae_init_collapse.py --init xavier

Pre-trains make_golden.py's ContextAutoencoderViT (the official modules) at cae-tiny's size on Fashion-MNIST with
Tessera's cae-tiny recipe at batch 64 (blr 1.5e-3, warmup 1/40, cosine to 1e-5, AdamW (0.9, 0.999) wd 0.05 on
weights, clip 3.0, pixel target, lambda 2) and prints, every 50 steps, the share of the encoder output's variance that
differs between 128 test images: for the cls token, two patch tokens and the average of the patch tokens. Simplified
where it does not matter for the question: M = 24 random patches instead of block-wise, no drop-path, and the crop
(--crop-scale) by torch's bicubic resize instead of Pillow's. Linears xavier_uniform with bias 0 (the CAE default,
no --fix_init_weight), cls/mask tokens truncated normal +-0.02; --init picks the patch conv: 'beit' = CAE's
trunc_normal_(std=0.02) cut at +-0.02, 'xavier' = MAE's xavier_uniform on the [D, C*p*p] view.
The numbers of docs/cae.md#initialisation come from this script (211 steps, 2 threads, about 2.5 minutes each).
"""
import argparse
import gzip
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_golden as ref  # noqa: E402


def fashion_mnist(folder, prefix):
    for name in os.listdir(folder):
        if name.startswith(prefix):
            raw = open(os.path.join(folder, name), "rb").read()
            raw = gzip.decompress(raw) if name.endswith(".gz") else raw
            x = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
            return torch.from_numpy((x - 0.2860) / 0.3530)          # Tessera's Normalize.fashionMnist()
    sys.exit(f"no {prefix}* file in {folder}")


def share(f):
    """sum_k Var_i f_ik / sum_k E_i f_ik^2 over the images i: 0 = the same vector for every image."""
    mean = f.mean(0)
    var = ((f - mean) ** 2).mean(0)
    return float(var.sum() / (var.sum() + (mean ** 2).sum()))


def random_resized_crop(x, lo, g):
    """torchvision's RandomResizedCrop sampling (scale (lo, 1), ratio (3/4, 4/3), 10 tries), bicubic to 28x28."""
    out = []
    for k in range(x.shape[0]):
        h = w = 28
        i0 = j0 = 0
        for _ in range(10):
            area = 784 * (lo + (1 - lo) * torch.rand(1, generator=g).item())
            ratio = math.exp(math.log(3 / 4) + math.log(16 / 9) * torch.rand(1, generator=g).item())
            cw, ch = int(round(math.sqrt(area * ratio))), int(round(math.sqrt(area / ratio)))
            if 0 < cw <= 28 and 0 < ch <= 28:
                h, w = ch, cw
                i0 = torch.randint(0, 28 - h + 1, (1,), generator=g).item()
                j0 = torch.randint(0, 28 - w + 1, (1,), generator=g).item()
                break
        out.append(F.interpolate(x[k:k + 1, :, i0:i0 + h, j0:j0 + w], size=(28, 28), mode="bicubic", align_corners=False))
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", choices=["beit", "xavier"], required=True)
    ap.add_argument("--steps", type=int, default=211)
    ap.add_argument("--crop-scale", type=float, default=0.08, help="lower end of the crop's area scale (1 = no crop)")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    train, test = fashion_mnist(args.data, "train-images"), fashion_mnist(args.data, "t10k-images")[:128]

    cfg = dict(img_size=28, patch_size=4, in_chans=1, embed_dim=192, depth=12, num_heads=3, mlp_ratio=4.0,
               layer_scale_init_value=0.1, decoder_embed_dim=192, regressor_depth=4, decoder_depth=2,
               decoder_num_heads=3, decoder_layer_scale_init_value=0.1, decoder_num_classes=16)
    model = ref.ContextAutoencoderViT(cfg)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    conv = model.encoder.patch_embed.proj
    if args.init == "xavier":
        nn.init.xavier_uniform_(conv.weight.data.view(conv.weight.shape[0], -1))
    else:
        nn.init.trunc_normal_(conv.weight, std=0.02, a=-0.02, b=0.02)
    nn.init.zeros_(conv.bias)
    for p in (model.encoder.cls_token, model.mask_token):
        nn.init.trunc_normal_(p, std=0.02, a=-0.02, b=0.02)

    decay, no_decay = ref.param_groups(model)
    batch, m = 64, 24
    lr = 1.5e-3 * batch / 256
    opt = torch.optim.AdamW([dict(params=[p for _, p in decay], weight_decay=0.05),
                             dict(params=[p for _, p in no_decay], weight_decay=0.0)], lr=lr, betas=(0.9, 0.999))
    warmup = max(1, args.steps // 40)
    g = torch.Generator().manual_seed(0)

    def report(tag):
        model.eval()
        with torch.no_grad():
            z = model.encoder(test, torch.ones(test.shape[0], 49, dtype=torch.bool))     # [128, 50, 192]
        model.train()
        print(f"{tag}: between-image share  cls {share(z[:, 0]):.5f}  patch 0 {share(z[:, 1]):.5f}  "
              f"patch 24 {share(z[:, 25]):.5f}  patch average {share(z[:, 1:].mean(1)):.5f}", flush=True)

    report("init")
    for t in range(1, args.steps + 1):
        cur = lr * t / warmup if t <= warmup else \
            1e-5 + (lr - 1e-5) * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (args.steps - warmup)))
        for group in opt.param_groups:
            group["lr"] = cur
        x = train[torch.randint(0, train.shape[0], (batch,), generator=g)]
        flip = torch.rand(batch, generator=g) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        if args.crop_scale < 1:
            x = random_resized_crop(x, args.crop_scale, g)
        masked = torch.zeros(batch, 49, dtype=torch.bool)
        masked.scatter_(1, torch.rand(batch, 49, generator=g).argsort(1)[:, :m], True)
        o = model(x, masked)
        target = ref.norm_pix(ref.patchify(x, 4))[masked].reshape(batch, m, -1)
        loss_main = F.mse_loss(o["pred"], target)
        loss_align = F.mse_loss(o["zm_hat"], o["align_target"])
        loss = loss_main + 2.0 * loss_align
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)
        opt.step()
        if t % 50 == 0 or t == args.steps:
            print(f"step {t}: loss {loss.item():.4f}  main {loss_main.item():.4f}  align {loss_align.item():.4f}")
            report(f"step {t}")


if __name__ == "__main__":
    main()
