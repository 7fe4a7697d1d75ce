"""Supervised ViT classifier step in PyTorch: the twin of `tessera bench step --model <ViT preset>`.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \\
      /usr/bin/python3 bench/compare/pytorch_vit.py --model vit-tiny-28 --batch 256 --device cpu --threads 2

Presets are Tessera's classifiers (ViTConfig): timm 0.3.2's VisionTransformer as facebookresearch/mae
models_vit.py wraps it, cls pooling (norm -> token 0 -> head), learnable position table; the model class is the
golden generator's (tests/golden/make_golden.py). A step: cross-entropy of the logits against the labels (no
mixup, no label smoothing: `bench step` measures the model, not the recipe), backward, AdamW (0.9, 0.999), weight
decay 0.05 — the same span as Tessera's supervised `bench step`.
"""
import torch
import torch.nn.functional as F

import torch_bench as tb

PRESETS = {  # name: (img, patch, chans, dim, depth, heads, classes)
    "vit-tiny-28": (28, 4, 1, 192, 12, 3, 10),
    "vit-small-28": (28, 4, 1, 384, 12, 6, 10),
    "vit-tiny-patch16": (224, 16, 3, 192, 12, 3, 1000),
    "vit-small-patch16": (224, 16, 3, 384, 12, 6, 1000),
    "vit-base-patch16": (224, 16, 3, 768, 12, 12, 1000),
}


def main():
    args = tb.arguments(__doc__, PRESETS, "vit-tiny-28")
    attention = tb.use_attention(args.attention)
    img, p, c, d, depth, heads, classes = PRESETS[args.model]
    cfg = dict(img_size=img, patch_size=p, in_chans=c, embed_dim=d, depth=depth, num_heads=heads, mlp_ratio=4.0,
               num_classes=classes, global_pool=False)
    torch.manual_seed(0)
    model = tb.ref.VisionTransformer(cfg).to(args.device).train()
    opt, opt_name = tb.adamw(model, args.device, (0.9, 0.999))
    forward = torch.compile(model) if args.compile else model
    autocast = tb.set_precision(args.precision, args.device)
    images = torch.randn(args.batch, c, img, img, device=args.device)
    labels = torch.randint(0, classes, (args.batch,), device=args.device)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = F.cross_entropy(forward(images).float(), labels)
        loss.backward()
        opt.step()

    times = tb.time_steps(step, args)
    tb.report(args, f"{args.model} batch {args.batch} {args.precision} on {args.device} (PyTorch {torch.__version__}, attention "
              f"{attention}, {opt_name}{', compiled' if args.compile else ''})", times,
              dict(attention=attention, optimizer=opt_name))


if __name__ == "__main__":
    main()
