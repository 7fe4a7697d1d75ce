"""MAE pre-training step in PyTorch: the twin of `tessera bench step --model <mae preset>`.

  python3 bench/compare/pytorch_mae.py --model mae-vit-base-patch16 --batch 128 --precision tf32 [--compile]
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp python3 bench/compare/pytorch_mae.py \\
      --model mae-tiny --batch 64 --device cpu --threads 2          # the CPU twin (see docs/baselines.md on the BLAS)

Presets are Tessera's (MaeConfig): encoder, decoder 512×8 with 16 heads (mae-tiny: 128×2, 4 heads), 75% random
masking, norm-pix loss; AdamW betas (0.9, 0.95). Random images, fresh masking noise every step.
"""
import torch

import torch_bench as tb

PRESETS = {  # name: (img, patch, chans, dim, depth, heads, dec_dim, dec_depth, dec_heads)
    "mae-tiny": (28, 4, 1, 192, 12, 3, 128, 2, 4),
    "mae-vit-small-patch16": (224, 16, 3, 384, 12, 6, 512, 8, 16),
    "mae-vit-base-patch16": (224, 16, 3, 768, 12, 12, 512, 8, 16),
    "mae-vit-large-patch16": (224, 16, 3, 1024, 24, 16, 512, 8, 16),
}


def main():
    args = tb.arguments(__doc__, PRESETS, "mae-tiny")
    attention = tb.use_attention(args.attention)
    img, p, c, d, depth, heads, dd, ddepth, dheads = PRESETS[args.model]
    cfg = dict(img_size=img, patch_size=p, in_chans=c, embed_dim=d, depth=depth, num_heads=heads, decoder_embed_dim=dd,
               decoder_depth=ddepth, decoder_num_heads=dheads, mlp_ratio=4.0, norm_pix_loss=True)
    torch.manual_seed(0)
    model = tb.ref.MaskedAutoencoderViT(cfg).to(args.device).train()
    opt, opt_name = tb.adamw(model, args.device, (0.9, 0.95))
    forward = torch.compile(model) if args.compile else model
    autocast = tb.set_precision(args.precision, args.device)
    images = torch.randn(args.batch, c, img, img, device=args.device)
    length = (img // p) ** 2

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = forward(images, torch.rand(args.batch, length, device=args.device), 0.75)[0]
        loss.backward()
        opt.step()

    times = tb.time_steps(step, args)
    tb.report(args, f"{args.model} batch {args.batch} {args.precision} on {args.device} (PyTorch {torch.__version__}, attention "
              f"{attention}, {opt_name}{', compiled' if args.compile else ''})", times,
              dict(attention=attention, optimizer=opt_name))


if __name__ == "__main__":
    main()
