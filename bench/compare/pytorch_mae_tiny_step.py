"""PyTorch reference timing for one MAE-tiny training step on the CPU (docs/baselines.md "MAE tiny").

The same step Tessera's StepProfile / MaeStepBench times: 28×28×1 images, patch 4 (49 patches), encoder 192
wide, 12 deep, 3 heads, MLP 768; decoder 128 wide, 2 deep, 4 heads, MLP 512; 75% random masking (12 visible
+ cls = 13 encoder tokens, 50 decoder tokens); norm-pix MSE on the removed patches; forward + backward +
AdamW, fp32, batch 256, 2 threads. The model is written out (the layers of timm's Block / the official
models_mae.py) so no timm is needed. Run it with OpenBLAS-OpenMP, as docs/baselines.md says:

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/compare/pytorch_mae_tiny_step.py [steps]

Prints one line per step and the median of the steps after the first two (warm-up).
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(n, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)) * (d // h) ** -0.5
        o = (a.softmax(dim=-1) @ v).transpose(1, 2).reshape(n, t, d)
        x = x + self.proj(o)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class MaeTiny(nn.Module):
    def __init__(self, p=4, img=28, d=192, depth=12, heads=3, dd=128, ddepth=2, dheads=4):
        super().__init__()
        self.p, self.l = p, (img // p) ** 2
        self.patch_embed = nn.Conv2d(1, d, p, p)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.l, d), requires_grad=False)
        self.blocks = nn.ModuleList([Block(d, heads, 4 * d) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.randn(1, 1, dd) * 0.02)
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, 1 + self.l, dd), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(dd, dheads, 4 * dd) for _ in range(ddepth)])
        self.decoder_norm = nn.LayerNorm(dd, eps=1e-6)
        self.decoder_pred = nn.Linear(dd, p * p)

    def patchify(self, imgs):
        n, p, g = imgs.shape[0], self.p, imgs.shape[2] // self.p
        x = imgs.reshape(n, 1, g, p, g, p)
        return torch.einsum('nchpwq->nhwpqc', x).reshape(n, g * g, p * p)

    def forward(self, imgs, mask_ratio=0.75):
        x = self.patch_embed(imgs).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:, :]
        n, l, d = x.shape
        keep = int(l * (1 - mask_ratio))
        ids_shuffle = torch.argsort(torch.rand(n, l), dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :keep]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, d))
        mask = torch.ones(n, l)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(n, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for b in self.blocks:
            x = b(x)
        x = self.decoder_embed(self.norm(x))
        mt = self.mask_token.repeat(n, l + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mt], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for b in self.decoder_blocks:
            x = b(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:, :]
        target = self.patchify(imgs)
        mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1e-6) ** 0.5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    torch.set_num_threads(2)
    torch.manual_seed(0)
    blas = [line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line]
    print('torch', torch.__version__, 'threads', torch.get_num_threads(), 'blas', sorted(set(blas)))
    model = MaeTiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
    imgs = torch.rand(256, 1, 28, 28) * 2 - 1
    times, cpus = [], []
    for s in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=False)
        loss = model(imgs)
        loss.backward()
        opt.step()
        t1, c1 = time.perf_counter(), time.process_time()
        times.append((t1 - t0) * 1e3)
        cpus.append((c1 - c0) * 1e3)
        print(f'step {s}: {times[-1]:.0f} ms, cpu {cpus[-1]:.0f} ms, loss {loss.item():.4f}')
    tail, ctail = sorted(times[2:]), sorted(cpus[2:])
    print(f'median of steps 2..{steps - 1}: {tail[len(tail) // 2]:.0f} ms wall, {ctail[len(ctail) // 2]:.0f} ms cpu; '
          f'best {tail[0]:.0f} ms wall')


if __name__ == '__main__':
    main()
