#!/usr/bin/env python3
"""PyTorch CPU baseline for Tessera's engine benchmarks (bench/src/main/java/dev/tessera/bench/engine).

Same shapes, same nominal work counts as the JMH benchmarks, so a Tessera/PyTorch ratio of the printed rates is
a time ratio. Every line prints the median of >= 10 timed repetitions (after warm-up) as ms/call and the rate.

Run it against OpenBLAS-OpenMP with 2 threads (see docs/baselines.md; Debian's torch otherwise links the
reference BLAS):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/compare/pytorch_cpu_ops.py
    ... pytorch_cpu_ops.py sgemm        # one group: sgemm, layernorm, softmax, attention, gather
    ... pytorch_cpu_ops.py --threads 1  # single thread

Work counts (identical to the Java side):
  sgemm      2*M*N*K flops; layout NN = A[M,K]·B[K,N], NT = A·B[N,K]^T (F.linear), TN = A[K,M]^T·B
  layernorm  forward 8 bytes/element (read x, write y); backward 16 (read dout, x; read+write dx)
  softmax    forward 8 bytes/element; backward 16
  attention  forward 4*BH*L^2*d flops (q·k^T, P·v); backward 10*BH*L^2*d (recompute q·k^T, dP, dq, dk, dv)
  gather     8 bytes/element gathered; scatter_add 12 bytes/element
PyTorch 1.13 has no fused scaled_dot_product_attention, so attention is the eager composition
softmax(q·k^T·scale)·v with autograd for backward, the way timm's Attention runs on 1.13.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import torch_bench

VIT_M = 16 * 197  # 16 images x 197 tokens


def sgemm_shapes():
    shapes = [(1024, 1024, 1024)]
    for d in (192, 384, 768):  # ViT-Tiny, -Small, -Base: qkv, proj, fc1, fc2
        shapes += [(VIT_M, 3 * d, d), (VIT_M, d, d), (VIT_M, 4 * d, d), (VIT_M, d, 4 * d)]
    return shapes


def timed(fn, reps, warmup=3, min_time=0.2):
    """Median seconds per call; each sample repeats fn until it has run >= min_time/reps seconds."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / reps / one))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def report(group, name, seconds, work, unit):
    print(f"{group:<10} {name:<34} {seconds * 1e3:10.3f} ms  {work / seconds / 1e9:9.2f} {unit}", flush=True)


def bench_sgemm(reps):
    g = torch.Generator().manual_seed(1)
    for m, n, k in sgemm_shapes():
        flops = 2.0 * m * n * k
        for layout in ("NN", "NT", "TN"):
            a = torch.rand(k, m, generator=g) * 2 - 1 if layout[0] == "T" else torch.rand(m, k, generator=g) * 2 - 1
            b = torch.rand(n, k, generator=g) * 2 - 1 if layout[1] == "T" else torch.rand(k, n, generator=g) * 2 - 1
            opa = a.t() if layout[0] == "T" else a
            opb = b.t() if layout[1] == "T" else b
            out = torch.empty(m, n)
            s = timed(lambda: torch.mm(opa, opb, out=out), reps)
            report("sgemm", f"{m}x{n}x{k} {layout}", s, flops, "GFLOP/s")


def bench_layernorm(reps):
    rows = VIT_M
    for d in (192, 384, 768):
        x = torch.randn(rows, d)
        w = torch.rand(d) + 0.5
        b = torch.randn(d)
        dout = torch.randn(rows, d)
        y, mean, rstd = torch.ops.aten.native_layer_norm(x, [d], w, b, 1e-6)
        s = timed(lambda: torch.ops.aten.native_layer_norm(x, [d], w, b, 1e-6), reps)
        report("layernorm", f"forward {rows}x{d}", s, 8.0 * rows * d, "GB/s")
        s = timed(lambda: torch.ops.aten.native_layer_norm_backward(
            dout, x, [d], mean, rstd, w, b, [True, True, True]), reps)
        report("layernorm", f"backward {rows}x{d}", s, 16.0 * rows * d, "GB/s")


def bench_softmax(reps):
    for tokens in (197, 50):
        rows = 96 * tokens  # 16 images x 6 heads x L query rows
        x = torch.rand(rows, tokens) * 8 - 4
        dout = torch.rand(rows, tokens) * 2 - 1
        out = torch._softmax(x, -1, False)
        s = timed(lambda: torch._softmax(x, -1, False), reps)
        report("softmax", f"forward {rows}x{tokens}", s, 8.0 * rows * tokens, "GB/s")
        s = timed(lambda: torch._softmax_backward_data(dout, out, -1, x.dtype), reps)
        report("softmax", f"backward {rows}x{tokens}", s, 16.0 * rows * tokens, "GB/s")


def bench_attention(reps):
    bh, d = 96, 64
    for tokens in (197, 50):
        q = (torch.rand(bh, tokens, d) * 2 - 1).requires_grad_()
        k = (torch.rand(bh, tokens, d) * 2 - 1).requires_grad_()
        v = (torch.rand(bh, tokens, d) * 2 - 1).requires_grad_()
        dout = torch.rand(bh, tokens, d) * 2 - 1
        scale = d ** -0.5
        unit = float(bh) * tokens * tokens * d

        def forward():
            p = torch.softmax(torch.bmm(q, k.transpose(1, 2)) * scale, dim=-1)
            return torch.bmm(p, v)

        with torch.no_grad():
            s = timed(forward, reps)
        report("attention", f"forward BH={bh} L={tokens} d={d}", s, 4 * unit, "GFLOP/s")

        def backward():
            out = forward()
            q.grad = k.grad = v.grad = None
            out.backward(dout)

        # forward+backward, minus a separately timed grad-enabled forward: backward alone.
        s_fb = timed(backward, reps)
        s_f = timed(forward, reps)
        report("attention", f"backward BH={bh} L={tokens} d={d}", s_fb - s_f, 10 * unit, "GFLOP/s")


def bench_gather(reps):
    images, patches = 16, 196
    for kind, keep, width in (("keep", 49, 384), ("restore", 196, 512)):
        src = torch.rand(images, patches, width)
        ids = torch.argsort(torch.rand(images, patches), dim=1)[:, :keep]
        idx = ids.unsqueeze(-1).expand(-1, -1, width)  # MAE: torch.gather(x, 1, ids.unsqueeze(-1).repeat(1, 1, D))
        out = torch.empty(images, keep, width)
        grad = torch.zeros(images, patches, width)
        n = images * keep * width
        s = timed(lambda: torch.gather(src, 1, idx, out=out), reps)
        report("gather", f"gather {kind} {images}x{keep}x{width}", s, 8.0 * n, "GB/s")
        s = timed(lambda: grad.scatter_add_(1, idx, out), reps)
        report("gather", f"scatterAdd {kind} {images}x{keep}x{width}", s, 12.0 * n, "GB/s")


GROUPS = {"sgemm": bench_sgemm, "layernorm": bench_layernorm, "softmax": bench_softmax,
          "attention": bench_attention, "gather": bench_gather}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("groups", nargs="*", metavar="GROUP", help="any of: " + ", ".join(GROUPS) + " (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=11, help="timed samples per shape (median reported)")
    ap.add_argument("--allow-narrow-blas", action="store_true",
                    help="run even when OpenBLAS picked a 256-bit core on an AVX-512 machine (not a fair baseline)")
    args = ap.parse_args()
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}")
    torch_bench.check_blas(args.allow_narrow_blas)         # prints the BLAS and OpenBLAS's core; refuses AVX2 on AVX-512
    for line in torch.__config__.show().splitlines():
        if "BLAS" in line or "CPU capability" in line or "OpenMP" in line:
            print("#", line.strip()[:160])
    for g in args.groups or list(GROUPS):
        GROUPS[g](args.reps)


if __name__ == "__main__":
    main()
