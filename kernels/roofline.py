#!/usr/bin/env python3
"""Roofline estimate of one MAE-B/16 training step (batch 256) on an H100 SXM for the tensor-core kernels.

Prints a Markdown table, one row per distinct kernel call of the step: FLOPs, bytes moved (fp32 storage, as
the engine stores today; bf16 storage in the last column), arithmetic intensity, the bound and the ideal
time at the given peaks. Shapes follow facebookresearch/mae models_mae.py (mae_vit_base_patch16: encoder
12 × (768, 12 heads, MLP 3072) on the 49 visible patches + cls = 50 tokens; decoder 8 × (512, 16 heads of 32,
MLP 2048) on 196 + 1 = 197 tokens; patch 16, mask ratio 0.75). A model, not a measurement: it ignores
LayerNorm/softmax/GELU/AdamW traffic, launch gaps and caches.
    python3 kernels/roofline.py
"""
BF16_TC, FP32_CORES, HBM = 989e12, 67e12, 3.35e12   # H100 SXM dense bf16 tensor, fp32 non-tensor, bytes/s
B = 256
ENC_T, DEC_T = B * 50, B * 197                       # tokens
rows = []


def gemm(name, count, m, n, k, dx=True):
    """Forward C[m,n] = A[m,k]·B[k,n]; backward dA = dC·Bᵀ (unless the input needs no gradient) and dB = Aᵀ·dC."""
    passes = [("fwd", m, n, k)] + ([("dX", m, k, n)] if dx else []) + [("dW", k, n, m)]
    for tag, mm, nn, kk in passes:
        flops = 2.0 * mm * nn * kk
        fp32 = 4.0 * (mm * kk + kk * nn + mm * nn)
        bf16 = 2.0 * (mm * kk + kk * nn) + 4.0 * mm * nn   # bf16 A, B; fp32 C
        rows.append((f"{name} {tag} [{mm}×{kk}]·[{kk}×{nn}]", "gemm_mma_bf16", count, flops, fp32, bf16))


def attention(name, count, bh, l, d):
    io = 4.0 * bh * l * d
    f = 4.0 * bh * l * l * d                         # S = q·kᵀ and P·v
    # the flash kernels read fp32 only (no bf16-storage variant yet): the same bytes in both columns
    rows.append((f"{name} attention fwd bh {bh} L {l} d {d}", "attention_flash_forward", count, f, 4 * io, 4 * io))
    # backward: dkdv 4 products + dq 3 products (S and dP recomputed); reads q, k, v, dout (twice: both kernels
    # stream them), out (for D); read-modify-writes dq, dk, dv
    rows.append((f"{name} attention bwd bh {bh} L {l} d {d}", "attention_flash_backward_*", count, 3.5 * f, 15 * io, 15 * io))


gemm("patch embed", 1, B * 196, 768, 768, dx=False)  # all 196 patches, masked afterwards (random_masking)
for name, count, t, dim, mlp in (("enc", 12, ENC_T, 768, 3072), ("dec", 8, DEC_T, 512, 2048)):
    gemm(f"{name} qkv", count, t, 3 * dim, dim)
    gemm(f"{name} proj", count, t, dim, dim)
    gemm(f"{name} fc1", count, t, mlp, dim)
    gemm(f"{name} fc2", count, t, dim, mlp)
gemm("decoder embed", 1, ENC_T, 512, 768)
gemm("decoder pred", 1, DEC_T, 768, 512)
attention("enc", 12, B * 12, 50, 64)
attention("dec", 8, B * 16, 197, 32)

print("| call | kernel | × per step | GFLOP | MB (fp32 storage) | FLOP/B | bound | ideal µs (fp32 storage) | ideal µs (bf16 storage) |")
print("|---|---|---:|---:|---:|---:|---|---:|---:|")
tot32 = tot16 = totf = 0.0
for call, kernel, count, flops, b32, b16 in rows:
    t_c = flops / BF16_TC
    t32, t16 = max(t_c, b32 / HBM), max(t_c, b16 / HBM)
    bound = "compute" if t_c >= b32 / HBM else "memory"
    tot32 += count * t32
    tot16 += count * t16
    totf += count * flops
    print(f"| {call} | {kernel} | {count} | {flops / 1e9:.1f} | {b32 / 1e6:.1f} | {flops / b32:.0f} | {bound} | {t32 * 1e6:.0f} | {t16 * 1e6:.0f} |")
print(f"\nStep total (these kernels): {totf / 1e12:.2f} TFLOP; ideal time {tot32 * 1e3:.1f} ms with fp32 storage, "
      f"{tot16 * 1e3:.1f} ms with bf16 GEMM inputs (every call at the roofline: 100% of the bf16 peak or of HBM "
      f"bandwidth); the same FLOPs on fp32 CUDA cores at peak: {totf / FP32_CORES * 1e3:.0f} ms.")
