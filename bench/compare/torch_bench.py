"""Shared timing harness of pytorch_mae.py and pytorch_cae.py: the PyTorch side of `tessera bench step`.

The models are the PyTorch reference classes of tests/golden/make_golden.py (written after the official
models_mae.py and modeling_cae.py, and checked there against Tessera's golden files), so both sides of a
comparison run the same architecture. What a PyTorch user gets by default on top of that is switched on:
attention through F.scaled_dot_product_attention where this torch has it (--attention sdpa, as timm's
fused_attn does), AdamW with fused=True on CUDA where supported, optional torch.compile.

A measured step = zero grads, forward (fresh masks), backward, AdamW, then torch.cuda.synchronize(): the same
span Tessera's StepBenchmark times. The JSON has the same keys as `tessera bench step --json` where they mean
the same thing (median_ms, p10_ms, p90_ms, img_per_s, step_ms).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden")))
import make_golden as ref  # noqa: E402  (the reference model classes)


def arguments(description, presets, default_model):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", default=default_model, choices=sorted(presets))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20, help="measured steps")
    ap.add_argument("--warmup", type=int, default=5, help="steps run first and not measured")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                    help="fp32: no TF32 anywhere; tf32: TF32 matmuls; bf16: autocast to bfloat16 (fp32 master weights)")
    ap.add_argument("--attention", default="sdpa", choices=["sdpa", "math"],
                    help="sdpa: F.scaled_dot_product_attention (torch >= 2.0); math: softmax(q kᵀ) v written out")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2.0)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    ap.add_argument("--json", help="also write the result here")
    ap.add_argument("--allow-narrow-blas", action="store_true",
                    help="run even when OpenBLAS picked a 256-bit core on an AVX-512 machine (not a fair baseline)")
    a = ap.parse_args()
    if a.device == "cpu":
        a.blas = check_blas(a.allow_narrow_blas)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.batch < 1 or a.steps < 1 or a.warmup < 0:
        ap.error("need --batch >= 1, --steps >= 1, --warmup >= 0")
    return a


AVX512_CORES = ("SkylakeX", "Cooperlake", "SapphireRapids")  # OpenBLAS 0.3.21's 512-bit kernel sets


def blas_core():
    """The BLAS mapped into this process and, for OpenBLAS, the core whose kernels it runs.

    OpenBLAS chooses its kernels at load time from CPUID unless OPENBLAS_CORETYPE names a core; the development
    machines set OPENBLAS_CORETYPE=Haswell (256-bit kernels). openblas_get_corename() reports the choice
    (OPENBLAS_VERBOSE=2 prints the same "Core: ..." line on stderr)."""
    import ctypes
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1].lower()})
    info = dict(libraries=libs, core=None, config=None,
                OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE"), OPENBLAS_L2_SIZE=os.environ.get("OPENBLAS_L2_SIZE"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            name, config = lib.openblas_get_corename, lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        name.restype = config.restype = ctypes.c_char_p
        info.update(core=name().decode(), config=config().decode())
        break
    return info


def cpu_has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def check_blas(allow_narrow):
    """Records the BLAS core; refuses a 256-bit OpenBLAS core on an AVX-512 CPU (halves PyTorch's GEMM rate)."""
    info = blas_core()
    core = info["core"]
    print(f"# BLAS: {', '.join(info['libraries']) or 'none mapped'}; OpenBLAS core: {core or 'n/a (not OpenBLAS)'}"
          f"; OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']}", file=sys.stderr)
    if not info["libraries"] or not any("openblas" in lib for lib in info["libraries"]):
        print("# warning: torch is not running on OpenBLAS (reference BLAS?); run with "
              "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp", file=sys.stderr)
    elif cpu_has_avx512() and core not in AVX512_CORES:
        msg = (f"OpenBLAS runs its {core} (256-bit) kernels on an AVX-512 CPU; unset OPENBLAS_CORETYPE and "
               f"OPENBLAS_L2_SIZE for this command (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...)")
        if not allow_narrow:
            sys.exit("pytorch baseline refused: " + msg + ", or pass --allow-narrow-blas")
        print("# warning: " + msg, file=sys.stderr)
    return info


def use_attention(kind):
    """Routes every attention of the reference classes through SDPA (same math, PyTorch's fused kernels)."""
    if kind == "math":
        return "math (softmax(q kᵀ·scale) v)"
    if not hasattr(F, "scaled_dot_product_attention"):
        return "math (this torch " + torch.__version__ + " has no scaled_dot_product_attention)"

    def sdpa(q, k, v, heads):
        n, tq, d = q.shape
        qh, kh, vh = ref.split_heads(q, heads), ref.split_heads(k, heads), ref.split_heads(v, heads)
        return F.scaled_dot_product_attention(qh, kh, vh).transpose(1, 2).reshape(n, tq, d)

    ref.attend = sdpa
    return "F.scaled_dot_product_attention"


def set_precision(precision, device):
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if precision == "bf16":
        return lambda: torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
    import contextlib
    return contextlib.nullcontext


def adamw(model, device, betas):
    """AdamW (wd 0.05) as the recipes use it; fused on CUDA where this torch supports it."""
    kwargs = dict(lr=1e-4, betas=betas, weight_decay=0.05)
    if device.startswith("cuda"):
        try:
            return torch.optim.AdamW(model.parameters(), fused=True, **kwargs), "AdamW (fused)"
        except (TypeError, RuntimeError):
            pass
    return torch.optim.AdamW(model.parameters(), **kwargs), "AdamW"


def time_steps(step, args):
    """Runs warmup + steps calls of step(); returns the measured ones' wall times in ms, and keeps their process CPU
    times (all threads) in args.cpu_ms: under a shared machine's load, wall time moves and CPU time much less."""
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    times, cpu = [], []
    for i in range(args.warmup + args.steps):
        sync()
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        sync()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    args.cpu_ms = cpu
    return times


def report(args, what, times, extra):
    s = sorted(times)

    def pct(p):
        return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]

    median = pct(50)
    result = dict(model=args.model, framework="pytorch " + torch.__version__, device=args.device, batch=args.batch,
                  precision=args.precision, warmup_steps=args.warmup, measured_steps=args.steps, median_ms=median,
                  p10_ms=pct(10), p90_ms=pct(90), img_per_s=args.batch * 1000.0 / median, step_ms=times,
                  compile=args.compile, blas=getattr(args, "blas", None), threads=torch.get_num_threads(), **extra)
    cpu = getattr(args, "cpu_ms", None)
    if cpu:
        result.update(median_cpu_ms=sorted(cpu)[(len(cpu) - 1) // 2], step_cpu_ms=cpu)
    if args.device.startswith("cuda"):
        result["gpu"] = torch.cuda.get_device_name()
        result["peak_memory_mib"] = torch.cuda.max_memory_reserved() / 2 ** 20
    print(f"{what}: median {median:.1f} ms (p10 {pct(10):.1f}, p90 {pct(90):.1f}) -> {result['img_per_s']:.1f} images/s"
          f" [{statistics.mean(times):.1f} ms mean over {len(times)} steps]")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result
