#!/usr/bin/env bash
# What a session with a lent GPU runs there (the `device` tool: one command per call, at most 10 minutes a call,
# 64 MiB carried, results under $OUT). Build here first, then carry dist/tessera:
#
#   ./mvnw -q -DskipTests install && ./mvnw -q -pl kernels,tests -am test-compile
#   kernels/make-dist.sh --with-gpu-tests --modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector
#   # device: run  kernels/gpu-pass.sh probe   (carry: ["dist"])   — about a minute
#   # device: run  kernels/gpu-pass.sh tests   (carry: ["dist"])   — the whole GPU suite (kernels + golden MAE/CAE steps)
#   # device: run  kernels/gpu-pass.sh bench   (carry: ["dist"])   — Tessera vs PyTorch, MAE ViT-S/B, CAE ViT-B
#
# Every phase writes its logs under $OUT (the device tool copies them back) and never stops at the first error,
# so one call brings back as much as it can.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-pass-out}
mkdir -p "$OUT"
T=dist/tessera/bin/tessera
[[ -x $T ]] || { echo "gpu-pass: $T missing: build and carry dist/tessera (see the header)" >&2; exit 2; }

case "${1:-}" in
  probe)
    { date -u; nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv
      command -v java || echo "no java on PATH (dist/tessera carries its own)"
      find / \( -name 'libcublas.so*' -o -name 'libnvrtc.so*' -o -name 'libcuda.so*' \) 2>/dev/null | head -20
      python3 -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name())' 2>&1
      "$T" info; } > "$OUT/probe.txt" 2>&1
    cat "$OUT/probe.txt" ;;
  tests)
    # the console tree only: JUnit's XML reports need java.xml, which the slim runtime leaves out
    dist/tessera/bin/test-gpu > "$OUT/test-gpu.txt" 2>&1
    echo "test-gpu exit $?" >> "$OUT/test-gpu.txt"
    tail -25 "$OUT/test-gpu.txt" ;;
  bench)
    # one precision per call keeps each call inside the 10-minute limit; PRECISIONS=tf32 for the second call
    TESSERA=$T OUT="$OUT/compare" PRECISIONS="${PRECISIONS:-fp32}" STEPS="${STEPS:-20}" WARMUP="${WARMUP:-5}" \
      bench/compare/run.sh > "$OUT/bench.txt" 2>&1
    echo "run.sh exit $?" >> "$OUT/bench.txt"
    tail -20 "$OUT/bench.txt" ;;
  *)
    echo "usage: kernels/gpu-pass.sh probe|tests|bench   (OUT=dir, default gpu-pass-out)" >&2; exit 2 ;;
esac
