"""CAE pre-training step in PyTorch: the twin of `tessera bench step --model <cae preset>`.

  python3 bench/compare/pytorch_cae.py --model cae-vit-base-patch16 --batch 128 --precision tf32 [--compile]

Presets are Tessera's (CaeConfig) with the pixel target, as `tessera bench step` runs them: BEiT-style encoder
(q/v bias, LayerScale 0.1), regressor and decoder at the encoder's width, M masked patches (98 of 196), the
alignment teacher = the same encoder under no_grad on the masked patches, loss = MSE(norm-pix) + 2·MSE(align);
AdamW betas (0.9, 0.999), gradient clipping at 3.0 as CAE's recipe. Masks: exactly M random patches per image,
drawn on the device (the official block-wise generator runs in the data loader and costs the step nothing).
The reference classes have no drop-path (Tessera's presets use 0.1): that makes PyTorch's step slightly cheaper.
"""
import torch
import torch.nn.functional as F

import torch_bench as tb

PRESETS = {  # name: (img, patch, chans, dim, depth, heads, regressor_depth, decoder_depth, num_masked)
    "cae-tiny": (28, 4, 1, 192, 12, 3, 4, 2, 24),
    "cae-vit-base-patch16": (224, 16, 3, 768, 12, 12, 4, 4, 98),
}


def main():
    args = tb.arguments(__doc__, PRESETS, "cae-tiny")
    attention = tb.use_attention(args.attention)
    img, p, c, d, depth, heads, rdepth, ddepth, m = PRESETS[args.model]
    cfg = dict(img_size=img, patch_size=p, in_chans=c, embed_dim=d, depth=depth, num_heads=heads, mlp_ratio=4.0,
               layer_scale_init_value=0.1, decoder_embed_dim=d, regressor_depth=rdepth, decoder_depth=ddepth,
               decoder_num_heads=heads, decoder_layer_scale_init_value=0.1, decoder_num_classes=p * p * c)
    torch.manual_seed(0)
    model = tb.ref.ContextAutoencoderViT(cfg).to(args.device).train()
    opt, opt_name = tb.adamw(model, args.device, (0.9, 0.999))
    forward = torch.compile(model) if args.compile else model
    autocast = tb.set_precision(args.precision, args.device)
    images = torch.randn(args.batch, c, img, img, device=args.device)
    length = (img // p) ** 2
    target = tb.ref.norm_pix(tb.ref.patchify(images, p))                     # [N, L, p²C]

    def step():
        opt.zero_grad(set_to_none=True)
        masked = torch.zeros(args.batch, length, dtype=torch.bool, device=args.device)
        masked.scatter_(1, torch.rand(args.batch, length, device=args.device).argsort(dim=1)[:, :m], True)
        with autocast():
            o = forward(images, masked)
            loss = F.mse_loss(o["pred"].float(), target[masked].reshape(args.batch, m, -1)) \
                + 2.0 * F.mse_loss(o["zm_hat"].float(), o["align_target"].float())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)
        opt.step()

    times = tb.time_steps(step, args)
    tb.report(args, f"{args.model} batch {args.batch} {args.precision} on {args.device} (PyTorch {torch.__version__}, attention "
              f"{attention}, {opt_name}{', compiled' if args.compile else ''})", times,
              dict(attention=attention, optimizer=opt_name))


if __name__ == "__main__":
    main()
