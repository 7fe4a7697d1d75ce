#!/usr/bin/env python3
"""Paired Tessera-vs-PyTorch SGEMM timing for a machine shared with other jobs.

JMH and pytorch_cpu_ops.py run minutes apart; when other processes come and go, the two sides then see different
machines. Here one warm Java process (dev.tessera.bench.engine.PairedSgemm) and this PyTorch process take turns,
shape by shape and round by round (order alternating), so each Tessera sample has a PyTorch sample taken within a
second of it. Reported per shape: median GFLOP/s of each side over the rounds and the median of the per-round
ratios Tessera/PyTorch, with its interquartile range.

    ./mvnw -q -pl bench -am package -DskipTests
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/compare/paired_sgemm.py \
        --java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --target bench/target --layouts NT NN --rounds 10
"""
import argparse
import os
import statistics
import subprocess
import time

import torch

import torch_bench

VIT_M = 16 * 197


def shapes():
    out = [(1024, 1024, 1024)]
    for d in (192, 384, 768):  # ViT-Tiny, -Small, -Base: qkv, proj, fc1, fc2
        out += [(VIT_M, 3 * d, d), (VIT_M, d, d), (VIT_M, 4 * d, d), (VIT_M, d, 4 * d)]
    return out


def torch_case(m, n, k, layout, g):
    """A function timing `reps` calls of op(A)·op(B) on fixed operands; returns the median seconds."""
    a = torch.rand(k, m, generator=g) if layout[0] == "T" else torch.rand(m, k, generator=g)
    b = torch.rand(n, k, generator=g) if layout[1] == "T" else torch.rand(k, n, generator=g)
    opa = a.t() if layout[0] == "T" else a
    opb = b.t() if layout[1] == "T" else b
    out = torch.empty(m, n)

    def seconds(reps):
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            torch.mm(opa, opb, out=out)
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)
    return seconds


def quartiles(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4) if len(xs) >= 2 else [xs[0]] * 3
    return q[0], q[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--java", default=os.environ.get("JAVA", "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"))
    ap.add_argument("--target", default="bench/target", help="folder with benchmarks.jar and jvm.flags")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3, help="timed calls per side per round (median taken)")
    ap.add_argument("--layouts", nargs="+", default=["NT", "NN", "TN"])
    ap.add_argument("--shape", nargs=3, type=int, action="append", metavar=("M", "N", "K"),
                    help="only these shapes (repeatable); default: 1024^3 and the ViT linears")
    ap.add_argument("--jvm-arg", action="append", default=[], help="extra JVM argument, e.g. -Dtessera.cpu.scalar=true")
    ap.add_argument("--allow-narrow-blas", action="store_true",
                    help="run even when OpenBLAS picked a 256-bit core on an AVX-512 machine (not a fair baseline)")
    args = ap.parse_args()
    torch_bench.check_blas(args.allow_narrow_blas)         # OpenBLAS's core; refuses AVX2 kernels on an AVX-512 CPU

    torch.set_num_threads(args.threads)
    flags = open(os.path.join(args.target, "jvm.flags")).read().split()
    cmd = [args.java, *flags, *args.jvm_arg, "-cp", os.path.join(args.target, "benchmarks.jar"),
           "dev.tessera.bench.engine.PairedSgemm", str(args.threads)]
    java = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    for line in java.stdout:
        if line.strip() == "ready":
            break
        print(line.rstrip())

    def java_seconds(m, n, k, layout, reps):
        java.stdin.write(f"{m} {n} {k} {layout} {reps}\n")
        java.stdin.flush()
        return float(java.stdout.readline())

    blas = sorted({l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l})
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {', '.join(blas) or 'no OpenBLAS mapped'}")
    print(f"# loadavg at start: {open('/proc/loadavg').read().strip()}")
    print(f"# {args.rounds} rounds x {args.reps} calls per side, order alternating each round")
    print("| shape | layout | Tessera GFLOP/s | PyTorch GFLOP/s | Tessera/PyTorch (median of pairs) | IQR |")
    print("|---|---|---:|---:|---:|---|")
    g = torch.Generator().manual_seed(1)
    for m, n, k in [tuple(s) for s in args.shape] if args.shape else shapes():
        for layout in args.layouts:
            flop = 2.0 * m * n * k
            torch_seconds = torch_case(m, n, k, layout, g)
            java_seconds(m, n, k, layout, 3)  # JIT and buffer-pool warm-up
            torch_seconds(2)
            tj, tt, ratio = [], [], []
            for r in range(args.rounds):
                if r % 2 == 0:
                    t_t = torch_seconds(args.reps)
                    t_j = java_seconds(m, n, k, layout, args.reps)
                else:
                    t_j = java_seconds(m, n, k, layout, args.reps)
                    t_t = torch_seconds(args.reps)
                tj.append(flop / t_j / 1e9)
                tt.append(flop / t_t / 1e9)
                ratio.append(t_t / t_j)
            lo, hi = quartiles(ratio)
            print(f"| {m}x{n}x{k} | {layout} | {statistics.median(tj):.1f} | {statistics.median(tt):.1f} | "
                  f"{statistics.median(ratio):.2f} | {lo:.2f}–{hi:.2f} |", flush=True)
    print(f"# loadavg at end: {open('/proc/loadavg').read().strip()}")
    java.stdin.write("quit\n")
    java.stdin.flush()
    java.wait()


if __name__ == "__main__":
    main()
