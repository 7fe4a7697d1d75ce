#!/usr/bin/env bash
# Tessera vs PyTorch training-step speed, side by side in one go (issue #6), then the ratio table.
#
#   bench/compare/run.sh                                  # GPU defaults: MAE ViT-S/B and CAE ViT-B, batch 128, fp32 + tf32
#   CASES="mae-tiny:64 cae-tiny:64" DEVICE=cpu PRECISIONS=fp32 THREADS=2 PYTHON=/usr/bin/python3 bench/compare/run.sh  # CPU
#
# TESSERA is the launcher (default ./tessera; on a machine without a JDK the jlink'd dist/tessera/bin/tessera),
# PYTHON the interpreter with torch (default python3). Each case runs Tessera's `bench step` and the PyTorch
# twin (pytorch_mae.py / pytorch_cae.py) alternately, so both see the same machine state; results go to OUT
# (default bench/compare/out-<date>) as JSON, and step_table.py prints the table for bench/RESULTS.md.
# On the CPU the PyTorch commands (only they) run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS
# picks its kernels from CPUID (Cooperlake, AVX-512, on the Zen 5 machines) instead of the 256-bit Haswell ones the
# environment pins; the twins record the core in their JSON ("blas") and refuse a 256-bit core on an AVX-512 CPU.
# BLAS_LIB (default /usr/lib/x86_64-linux-gnu/openblas-openmp) is prepended to their LD_LIBRARY_PATH on the CPU.
# vit-* models are supervised classifiers (pytorch_vit.py), mae-* and cae-* pre-training (pytorch_mae/cae.py).
# For a comparison robust to a shared machine's load use interleave.py (short alternating rounds, median ratio).
# Precisions: fp32 and tf32, the ones both sides have (Tessera has no bf16 GEMM path yet; PyTorch's bf16 can
# be run alone with --precision bf16).
# A failing case (an out-of-memory, a missing precision) is recorded in $OUT/failures.txt and the other cases still
# run; the exit status is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
TESSERA=${TESSERA:-./tessera}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
CASES=${CASES:-"mae-vit-small-patch16:128 mae-vit-base-patch16:128 cae-vit-base-patch16:128"}
PRECISIONS=${PRECISIONS:-"fp32 tf32"}
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-5}
THREADS=${THREADS:-0}
OUT=${OUT:-bench/compare/out-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
failures=0
run() {   # run TAG COMMAND...: runs it, and records a failure instead of stopping
  local tag=$1; shift
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAILED (exit $rc): $tag" | tee -a "$OUT/failures.txt" >&2
    failures=$((failures + 1))
  fi
}
BLAS_LIB=${BLAS_LIB:-/usr/lib/x86_64-linux-gnu/openblas-openmp}
torch_env=()   # the PyTorch command's environment: never exported, so Tessera's commands and any test keep theirs
if [ "$DEVICE" = cpu ]; then
  torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "LD_LIBRARY_PATH=$BLAS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
threads_t=(); threads_p=()
if [ "$THREADS" != 0 ]; then threads_t=(--threads "$THREADS"); threads_p=(--threads "$THREADS"); fi

for case in $CASES; do
  model=${case%%:*}; batch=${case##*:}
  script=bench/compare/pytorch_mae.py
  case $model in cae-*) script=bench/compare/pytorch_cae.py ;; vit-*) script=bench/compare/pytorch_vit.py ;; esac
  for precision in $PRECISIONS; do
    tag="$model-b$batch-$precision"
    echo "== $tag"
    run "$tag tessera" "$TESSERA" bench step --model "$model" --batch "$batch" --precision "$precision" --device "$DEVICE" \
        --steps "$STEPS" --warmup "$WARMUP" "${threads_t[@]}" --json "$OUT/$tag.tessera.json"
    run "$tag pytorch" "${torch_env[@]}" "$PYTHON" "$script" --model "$model" --batch "$batch" --precision "$precision" --device "$DEVICE" \
        --steps "$STEPS" --warmup "$WARMUP" "${threads_p[@]}" --json "$OUT/$tag.pytorch.json"
    if [ "${COMPILE:-0}" = 1 ]; then
      run "$tag pytorch-compiled" "${torch_env[@]}" "$PYTHON" "$script" --model "$model" --batch "$batch" --precision "$precision" \
          --device "$DEVICE" --steps "$STEPS" --warmup "$WARMUP" "${threads_p[@]}" --compile --json "$OUT/$tag.pytorch-compiled.json"
    fi
  done
done
run "step table" "$PYTHON" bench/compare/step_table.py "$OUT"
if [ "$failures" -ne 0 ]; then
  echo "run.sh: $failures command(s) failed, listed in $OUT/failures.txt" >&2
  exit 1
fi
