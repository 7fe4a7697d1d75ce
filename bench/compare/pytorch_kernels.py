"""PyTorch's side of the kernel timings: SDPA for attention, cuBLAS (torch.matmul) for the GEMMs, on exactly the
shapes and names of Tessera's dev.tessera.kernels.KernelTimings, so kernels/gpu-pass.sh can join the two outputs.

  python3 bench/compare/pytorch_kernels.py [batch]        # batch 64 by default; needs a CUDA device

Each figure is the median of 10 runs after 3 warm-up runs, timed with CUDA events around the work alone. Output:
one "name<TAB>milliseconds" line per measurement; '#' lines are comments. fp32 means TF32 switched off everywhere
(torch.backends.cuda.matmul.allow_tf32 = False): the comparison for Tessera's fp32. SDPA on fp32 inputs cannot use
the flash kernel (bf16/fp16 only), so "attention.*" is the fp32 kernel PyTorch picks (memory-efficient attention),
and "attention-bf16.*" the flash kernel on bf16 copies, for reference.
"""
import statistics
import sys

import torch
import torch.nn.functional as F

WARMUP, REPS = 3, 10


def timed(work):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ms = []
    for i in range(WARMUP + REPS):
        start.record()
        work()
        end.record()
        end.synchronize()
        if i >= WARMUP:
            ms.append(start.elapsed_time(end))
    return statistics.median(ms)


def emit(name, ms):
    print(f"{name}\t{ms:.4f}", flush=True)


def attention(label, heads, lq, lk, d, batch, dtype, prefix):
    bh = heads * batch
    q = torch.rand(batch, heads, lq, d, device="cuda", dtype=dtype, requires_grad=True)
    k = torch.rand(batch, heads, lk, d, device="cuda", dtype=dtype, requires_grad=True)
    v = torch.rand(batch, heads, lk, d, device="cuda", dtype=dtype, requires_grad=True)
    dout = torch.rand(batch, heads, lq, d, device="cuda", dtype=dtype)
    shape = f" {label} bh={bh} lq={lq} lk={lk} d={d}"
    with torch.no_grad():
        emit(f"{prefix}.forward{shape}", timed(lambda: F.scaled_dot_product_attention(q, k, v)))
    out = F.scaled_dot_product_attention(q, k, v)
    emit(f"{prefix}.backward{shape}", timed(lambda: torch.autograd.grad(out, (q, k, v), dout, retain_graph=True)))


def gemm(label, ta, tb, m, n, k, precision, dtype=torch.float32):
    a = torch.rand(k, m, device="cuda", dtype=dtype).t() if ta else torch.rand(m, k, device="cuda", dtype=dtype)
    b = torch.rand(n, k, device="cuda", dtype=dtype).t() if tb else torch.rand(k, n, device="cuda", dtype=dtype)
    layout = ("T" if ta else "N") + ("T" if tb else "N")
    ms = timed(lambda: torch.matmul(a, b))
    emit(f"gemm.{precision} {label} {layout} {m}x{n}x{k}", ms)
    print(f"#   {2 * m * n * k / (ms * 1e-3) / 1e12:.1f} TFLOP/s", flush=True)


def main():
    if not torch.cuda.is_available():
        sys.exit("pytorch_kernels.py: no CUDA device")
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    print(f"# PyTorch {torch.__version__} (CUDA {torch.version.cuda}) on {torch.cuda.get_device_name()}, batch {batch}: "
          f"median of {REPS} after {WARMUP} warm-up, CUDA events; name<TAB>ms")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    shapes = [("mae-b-encoder", 12, 50, 50, 64), ("mae-b-decoder", 16, 197, 197, 32), ("cae-b-regressor", 12, 98, 196, 64)]
    for s in shapes:
        attention(*s, batch, torch.float32, "attention")
    for s in shapes:
        attention(*s, batch, torch.bfloat16, "attention-bf16")
    tokens = batch * 197
    gemms = [("vit-b-qkv", False, True, tokens, 2304, 768), ("vit-b-fc1", False, True, tokens, 3072, 768),
             ("vit-b-fc2", False, True, tokens, 768, 3072), ("vit-b-fc1-dgrad", False, False, tokens, 768, 3072),
             ("vit-b-fc1-wgrad", True, False, 3072, 768, tokens)]
    for g in gemms:
        gemm(*g, "fp32")
    torch.backends.cuda.matmul.allow_tf32 = True
    for g in gemms:
        gemm(*g, "tf32")
    for g in gemms:
        gemm(*g, "bf16", torch.bfloat16)


if __name__ == "__main__":
    main()
