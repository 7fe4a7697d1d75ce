#!/usr/bin/env bash
# kernels/gpu-pass.sh — prove or disprove the CUDA backend on a lent GPU machine in ONE command of at most 8 minutes
# (the `device` tool: at most 10 minutes a call, about 15 minutes of device time in all, 64 MiB carried, no JDK
# there, results under $OUT: at most 8 files of 16 MiB, two folders deep).
#
# Build here (nvcc on PATH), then carry the checkout plus dist/tessera (measured 2026-12-06: the dist is 50 MiB,
# the tracked tree 5.7 MiB: 56 MiB of the 64 MiB carry; kernels/README.md, "Carrying it to a GPU machine"):
#
#   ./mvnw -q -DskipTests -pl cli,tests -am package    # tessera.jar with the fatbin, test classes, engine test-jar
#   kernels/make-dist.sh --gpu-pass                    # dist/tessera: jlink'd runtime, jar, tests, JUnit console
#   git status --short                                 # nothing large untracked: untracked files are carried too
#   # device: run  kernels/gpu-pass.sh all     carry: ["dist"]     timeout_s: 540
#
# Phases, most important first; each under its own `timeout`, none stops the others; `all` skips a phase (with
# the reason) when fewer seconds are left of the 470 s budget than the phase's own budget:
#
#   probe      20 s  GPU, driver, cuBLAS / NCCL / cuDNN libraries in the likely folders, torch's CUDA
#   info       15 s  tessera info (the GEMM the backend will use, and why)
#   kernels   150 s  every GPU parity test class in its own JVM, -Dtessera.cuda.sync=true (a fault names its kernel)
#   golden     45 s  GoldenOnCudaTest: whole MAE and CAE training steps against the PyTorch goldens; Bf16OnCudaTest:
#                    bf16/tf32 steps on the tensor cores against the CPU's emulation; CudaGraphOnCudaTest: mae-tiny
#                    with CUDA graphs against eager, bit for bit
#   memory     30 s  CudaMemoryTest: 1,000 steps, flat memory
#   bench     120 s  bench step MAE-B/16 and CAE-B/16 (batch 128) at fp32/tf32/bf16 against the PyTorch twins
#   timings    40 s  attention and GEMM kernels (KernelTimings) against SDPA and cuBLAS (pytorch_kernels.py)
#   sanitizer  50 s  compute-sanitizer memcheck and racecheck over KernelSmoke (every kernel once, small shapes)
#   nccl       30 s  NCCL smoke (bin/nccl-smoke, NcclSmoke): a world of one on the GPU, then two ranks on two GPUs
#                    when the machine has both and mpirun (NCCL refuses two ranks on one GPU: "Duplicate GPU")
#
#   kernels/gpu-pass.sh all|probe|info|kernels|golden|memory|bench|timings|sanitizer|nccl
#   OUT=dir (default gpu-pass-out)  DIST=dir (default dist/tessera)  BENCH_BATCH=128  GPU_PASS_BUDGET=470
#
# Output: $OUT/summary.txt (one line per phase: passed/failed/skipped, seconds, counts, key numbers; the bench and
# timing tables after them) and at most 7 more files: probe.txt, kernels.log.gz, golden-memory.log.gz,
# bench.log.gz, timings.txt, sanitizer.log.gz, nccl.log.gz. Without a GPU every phase is "skipped: <reason>" and the
# script exits 0 at once (GpuPassScriptTest runs it so in CI). The exit status is 0 unless the arguments are wrong:
# failures are in summary.txt.
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-}
OUT=${OUT:-gpu-pass-out}
DIST=${DIST:-dist/tessera}
BUDGET=${GPU_PASS_BUDGET:-470}
BENCH_BATCH=${BENCH_BATCH:-128}
PHASES="probe info kernels golden memory bench timings sanitizer nccl"

case " $PHASES all " in
  *" $MODE "*) ;;
  *) echo "usage: kernels/gpu-pass.sh all|${PHASES// /|}   (OUT=dir, default gpu-pass-out)" >&2; exit 2 ;;
esac

mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-pass.XXXXXX")   # raw logs; compressed into $OUT at the end
trap 'rm -rf "$WORK"' EXIT
SUMMARY=$OUT/summary.txt
START=$(date +%s)
: > "$SUMMARY"
echo "# kernels/gpu-pass.sh $MODE — $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)" >> "$SUMMARY"

# ---------------------------------------------------------------------------------------------------- helpers

now() { date +%s; }
left() { echo $(( PHASE_END - $(now) )); }                 # seconds left in the current phase
cap() { local l; l=$(left); (( l < $1 )) && echo "$l" || echo "$1"; }   # min(n, seconds left)
# result STATUS DETAILS: the current phase's line in summary.txt
result() { printf '%-10s %-8s %4ss  %s\n' "$PHASE" "$1" "$(( $(now) - PHASE_START ))" "$2" >> "$SUMMARY"; }
skip() { printf '%-10s skipped: %s\n' "$1" "$2" >> "$SUMMARY"; }

java_cmd() { echo "$DIST/runtime/bin/java $(cat "$DIST/lib/jvm.flags") ${TESSERA_JAVA_OPTS:--Xmx24g}"; }

# JUnit console counts of one log: "passed failed skipped" (skipped: JUnit's "aborted", a failed assumption)
junit_counts() {
  local ok bad aborted
  ok=$(grep -Eo '[0-9]+ tests successful' "$1" | awk '{s += $1} END {print s + 0}')
  bad=$(grep -Eo '[0-9]+ tests failed' "$1" | awk '{s += $1} END {print s + 0}')
  aborted=$(grep -Eo '[0-9]+ tests aborted' "$1" | awk '{s += $1} END {print s + 0}')
  echo "$ok $bad $aborted"
}

# the first failure message of a JUnit tree log, one line
first_failure() { grep -m1 -A1 '✘' "$1" | tr '\n' ' ' | sed 's/[│├└─]//g; s/[[:space:]]\+/ /g; s/^ //' | cut -c1-220; }

# why no GPU phase can run here, or empty
no_gpu_reason() {
  if [[ -n ${TESSERA_GPU_PASS_NO_GPU:-} ]]; then echo "no GPU ($TESSERA_GPU_PASS_NO_GPU)"; return; fi
  if ! command -v nvidia-smi > /dev/null 2>&1; then echo "no GPU (nvidia-smi not found)"; return; fi
  if ! timeout 20 nvidia-smi -L > /dev/null 2>&1; then echo "no GPU (nvidia-smi -L failed)"; return; fi
}

# why the carried distribution cannot run a phase, or empty
no_dist_reason() {
  [[ -x $DIST/bin/tessera ]] || { echo "$DIST/bin/tessera missing: build and carry the dist (see this script's header)"; return; }
  [[ -x $DIST/bin/test-gpu ]] || echo "$DIST has no tests: build it with kernels/make-dist.sh --gpu-pass"
}

# ---------------------------------------------------------------------------------------------------- phases

phase_probe() {
  local f=$OUT/probe.txt site
  {
    echo "== nvidia-smi"
    timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv 2>&1
    echo "== CUDA libraries in the likely folders (cuBLAS, cuBLASLt, NCCL, cuDNN, driver)"
    for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} ${CUDA_HOME:+$CUDA_HOME/lib64} /usr/local/cuda*/lib64 \
             /usr/local/cuda*/targets/x86_64-linux/lib /usr/local/nvidia/lib* /usr/lib/x86_64-linux-gnu; do
      ls -1 "$d"/libcublas.so* "$d"/libcublasLt.so* "$d"/libnccl.so* "$d"/libcudnn.so* "$d"/libcuda.so* 2>/dev/null
    done | sort -u
    echo "== python3 site-packages nvidia/*/lib"
    site=$(timeout 15 python3 -c 'import site; print("\n".join(site.getsitepackages()))' 2>/dev/null)
    for s in $site; do ls -1 "$s"/nvidia/*/lib/lib{cublas,cublasLt,nccl,cudnn}.so* 2>/dev/null; done
    echo "== torch"
    timeout 60 python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name())' 2>&1
    echo "== tools"
    command -v compute-sanitizer ncu nvcc 2>&1; ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null
  } > "$f" 2>&1
  local gpu driver cublas nccl
  gpu=$(sed -n '/== nvidia-smi/{n;n;p}' "$f" | cut -c1-80)
  cublas=$(grep -m1 'libcublas.so.13' "$f" || echo "no libcublas.so.13")
  nccl=$(grep -m1 'libnccl.so' "$f" || echo "no libnccl")
  if [[ -n $gpu ]]; then result passed "$gpu; $cublas; $nccl"; else result failed "nvidia-smi gave no GPU line (probe.txt)"; fi
}

phase_info() {
  local f=$OUT/probe.txt
  { echo "== tessera info"; timeout "$(cap 15)" "$DIST/bin/tessera" info 2>&1; echo "exit $?"; } >> "$f"
  local cuda
  cuda=$(grep -m1 '^  cuda' "$f" | sed 's/^  cuda *//' | cut -c1-240)
  if grep -q '^exit 0' <(tail -1 "$f") && [[ $cuda == usable* ]]; then result passed "$cuda"; else result failed "${cuda:-no cuda line} (probe.txt)"; fi
}

# the GPU test classes of the kernels module: the parity tests and CudaBackendTest (CudaMemoryTest has its phase)
gpu_test_classes() {
  (cd "$DIST/tests/kernels-test-classes" && ls dev/tessera/kernels/*ParityTest.class dev/tessera/kernels/CudaBackendTest.class 2>/dev/null) \
    | sed 's/\.class$//; s#/#.#g'
}

phase_kernels() {
  local log=$WORK/kernels.log c one ok bad skipped tok=0 tbad=0 tskip=0 failed=() notrun=()
  for c in $(gpu_test_classes); do
    if (( $(left) < 10 )); then notrun+=("${c##*.}"); continue; fi
    one=$WORK/one.log
    TESSERA_JAVA_OPTS="-Xmx24g -Dtessera.cuda.sync=true" timeout "$(cap 60)" "$DIST/bin/test-gpu" --disable-ansi-colors --select-class "$c" > "$one" 2>&1
    local rc=$?
    { echo "===== $c (sync pass, exit $rc)"; cat "$one"; } >> "$log"
    read -r ok bad skipped < <(junit_counts "$one")
    tok=$((tok + ok)); tbad=$((tbad + bad)); tskip=$((tskip + skipped))
    if (( rc != 0 || bad > 0 )); then
      (( rc == 124 )) && failed+=("${c##*.} (timed out)") || failed+=("${c##*.} ($bad failed: $(first_failure "$one"))")
    fi
  done
  # a second pass without per-launch synchronization, all classes in one JVM, if the phase has time left
  local async="async pass not run (no time left)"
  if (( $(left) > 20 )); then
    local sel=() x
    for x in $(gpu_test_classes); do sel+=(--select-class "$x"); done
    timeout "$(cap 60)" "$DIST/bin/test-gpu" --disable-ansi-colors "${sel[@]}" > "$WORK/async.log" 2>&1
    local arc=$?
    { echo "===== async pass (exit $arc)"; cat "$WORK/async.log"; } >> "$log"
    read -r ok bad skipped < <(junit_counts "$WORK/async.log")
    async="async pass: $ok passed, $bad failed, $skipped skipped$( ((arc == 124)) && echo ', timed out')"
  fi
  local detail="sync pass: $tok tests passed, $tbad failed, $tskip skipped"
  (( ${#notrun[@]} )) && detail+="; not run (time): ${notrun[*]}"
  if (( ${#failed[@]} == 0 && ${#notrun[@]} == 0 && tok > 0 )); then
    result passed "$detail; $async"
  else
    result failed "$detail; failing: ${failed[*]:-none}; $async (kernels.log.gz)"
  fi
}

# JUnit classes as a phase; $1: class names (space-separated), $2: budget
junit_phase() {
  local log=$WORK/golden-memory.log one=$WORK/one.log ok bad skipped sel=() x
  for x in $1; do sel+=(--select-class "$x"); done
  timeout "$(cap "$2")" "$DIST/bin/test-gpu" --disable-ansi-colors "${sel[@]}" > "$one" 2>&1
  local rc=$?
  { echo "===== $1 (exit $rc)"; cat "$one"; } >> "$log"
  read -r ok bad skipped < <(junit_counts "$one")
  if (( rc == 0 && bad == 0 && ok > 0 )); then
    result passed "$ok tests passed, $skipped skipped"
  elif (( rc == 124 )); then
    result failed "timed out after $ok passed (golden-memory.log.gz)"
  else
    result failed "$ok passed, $bad failed, $skipped skipped: $(first_failure "$one") (golden-memory.log.gz)"
  fi
}

phase_golden() { junit_phase "dev.tessera.tests.golden.GoldenOnCudaTest dev.tessera.tests.precision.Bf16OnCudaTest dev.tessera.tests.census.CudaGraphOnCudaTest" 45; }
phase_memory() { junit_phase dev.tessera.kernels.CudaMemoryTest 30; }

phase_bench() {
  local precisions="fp32 tf32" note=""
  if "$DIST/bin/tessera" bench step --help 2>/dev/null | grep -q bf16; then precisions+=" bf16"
  else note="bf16 skipped: this build's bench step has no bf16"; fi
  TESSERA=$DIST/bin/tessera OUT=$WORK/bench PRECISIONS=$precisions STEPS=${STEPS:-5} WARMUP=${WARMUP:-3} \
    CASES="mae-vit-base-patch16:$BENCH_BATCH cae-vit-base-patch16:$BENCH_BATCH" \
    timeout "$(cap 120)" bench/compare/run.sh > "$WORK/bench.log" 2>&1
  local rc=$?
  local table ratios
  (( rc == 124 )) && python3 bench/compare/step_table.py "$WORK/bench" >> "$WORK/bench.log" 2>&1   # what finished
  table=$(grep '^|' "$WORK/bench.log")
  ratios=$(echo "$table" | awk -F'|' 'NR > 2 {gsub(/ /, "", $2); gsub(/ /, "", $4); gsub(/ /, "", $11); printf "%s %s %s; ", $2, $4, $11}')
  { echo; echo "## bench (batch $BENCH_BATCH, Tessera img/s ÷ PyTorch img/s)"; echo "$table"; [[ -n $note ]] && echo "$note"; } >> "$WORK/tables"
  local failures=""
  [[ -f $WORK/bench/failures.txt ]] && failures="; failed: $(tr '\n' ';' < "$WORK/bench/failures.txt" | cut -c1-200)"
  if (( rc == 0 )); then result passed "${ratios:-no table}${note:+ $note}"
  else result failed "exit $rc${failures}; ${ratios}${note:+ $note} (bench.log.gz)"; fi
  tar -C "$WORK" -cf "$WORK/bench.tar" bench 2>/dev/null
  cat "$WORK/bench.log" >> "$WORK/bench-all.log"
}

phase_timings() {
  local t=$WORK/timings-tessera.txt p=$WORK/timings-pytorch.txt
  # shellcheck disable=SC2046
  timeout "$(cap 25)" $(java_cmd) -cp "$DIST/lib/tessera.jar" dev.tessera.kernels.KernelTimings "${TIMING_BATCH:-64}" > "$t" 2>&1
  local trc=$?
  timeout "$(cap 25)" python3 bench/compare/pytorch_kernels.py "${TIMING_BATCH:-64}" > "$p" 2>&1
  local prc=$?
  # join on the name: ratio = PyTorch ms ÷ Tessera ms (> 1: Tessera faster); our own GEMM against cuBLAS fp32
  python3 - "$t" "$p" > "$OUT/timings.txt" <<'PY'
import re
import sys
def read(f):
    d = {}
    for line in open(f, errors="replace"):
        m = re.match(r"^([a-z][^\t]*)\t([0-9.]+)$", line.rstrip("\n"))
        if m:
            d[m.group(1)] = float(m.group(2))
    return d
t, p = read(sys.argv[1]), read(sys.argv[2])
print("| kernel | Tessera ms | PyTorch ms | ratio (PyTorch ÷ Tessera) |")
print("|---|---:|---:|---:|")
for name, ms in t.items():
    ref = p.get(name.replace("gemm.fp32-own", "gemm.fp32"))
    print(f"| {name} | {ms:.3f} | {'—' if ref is None else f'{ref:.3f}'} | {'—' if ref is None else f'{ref / ms:.2f}×'} |")
for name, ms in p.items():
    if name not in t and not name.startswith("gemm.fp32 "):
        print(f"| {name} (PyTorch only) | — | {ms:.3f} | — |")
PY
  { echo; echo "## kernel timings (timings.txt)"; cat "$OUT/timings.txt"; } >> "$WORK/tables"
  { echo "== Tessera (exit $trc)"; cat "$t"; echo "== PyTorch (exit $prc)"; cat "$p"; } >> "$OUT/timings.txt"
  local n
  n=$(grep -cE $'^[a-z][^\t]*\t[0-9.]+$' "$t")
  if (( trc == 0 && prc == 0 )); then result passed "$n Tessera timings joined with PyTorch (timings.txt)"
  else result failed "KernelTimings exit $trc, pytorch_kernels.py exit $prc; $n Tessera timings (timings.txt)"; fi
}

phase_sanitizer() {
  local cs
  cs=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
  if [[ -z $cs ]]; then result skipped "compute-sanitizer not found on PATH or in /usr/local/cuda*/bin"; return; fi
  local log=$WORK/sanitizer.log tool rc details=""
  for tool in memcheck racecheck; do
    if (( $(left) < 10 )); then details+="$tool: not run (time); "; continue; fi
    # shellcheck disable=SC2046
    timeout "$(cap 25)" "$cs" --tool "$tool" --error-exitcode 9 $(java_cmd) -cp "$DIST/lib/tessera.jar" \
      dev.tessera.kernels.KernelSmoke > "$WORK/one.log" 2>&1
    rc=$?
    { echo "===== $tool (exit $rc)"; cat "$WORK/one.log"; } >> "$log"
    local errors
    errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+ error' "$WORK/one.log" | tail -1)
    case $rc in
      0) details+="$tool: clean (${errors:-no summary}); " ;;
      124) details+="$tool: timed out; " ;;
      *) details+="$tool: exit $rc (${errors:-see log}); " ;;
    esac
  done
  if [[ $details == *exit* || $details == *timed* ]]; then result failed "${details% } (sanitizer.log.gz)"; else result passed "${details% }"; fi
}

# NCCL on the device: all-reduce and broadcast in a world of one (no MPI needed), then, when the machine has mpirun
# and two GPUs, two ranks (their unique id travels over MPI; NCCL refuses two ranks on one GPU). A dist without
# bin/nccl-smoke predates it.
phase_nccl() {
  if [[ ! -x $DIST/bin/nccl-smoke ]]; then result skipped "this dist carries no NCCL smoke test ($DIST/bin/nccl-smoke)"; return; fi
  timeout "$(cap 15)" "$DIST/bin/nccl-smoke" > "$WORK/nccl.log" 2>&1
  local rc=$? two="two ranks: skipped (no mpirun on this machine)" gpus
  if (( rc != 0 )); then result failed "world of one: exit $rc (nccl.log.gz)"; return; fi
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
  if (( gpus < 2 )); then
    two="two ranks: skipped (one GPU; NCCL refuses two ranks on one GPU)"
  elif command -v mpirun > /dev/null; then
    echo "== mpirun -np 2 (GPUs 0 and 1)" >> "$WORK/nccl.log"
    timeout "$(cap 15)" mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 "$DIST/bin/nccl-smoke" >> "$WORK/nccl.log" 2>&1
    local rc2=$?
    if (( rc2 == 0 )); then two="two ranks: passed"; else two="two ranks: exit $rc2 (nccl.log.gz)"; fi
  fi
  result passed "$(grep -m1 '^nccl smoke:' "$WORK/nccl.log" | cut -c1-200); $two"
}

declare -A PHASE_BUDGET=([probe]=20 [info]=15 [kernels]=150 [golden]=45 [memory]=30 [bench]=120 [timings]=40 [sanitizer]=50 [nccl]=30)
declare -A NEEDS_DIST=([probe]=0 [info]=1 [kernels]=1 [golden]=1 [memory]=1 [bench]=1 [timings]=1 [sanitizer]=1 [nccl]=0)

run_phase() {
  PHASE=$1
  local budget=${PHASE_BUDGET[$1]} reason
  reason=$NO_GPU
  [[ -z $reason && ${NEEDS_DIST[$1]} == 1 ]] && reason=$(no_dist_reason)
  if [[ -n $reason ]]; then skip "$1" "$reason"; return; fi
  local used=$(( $(now) - START ))
  if [[ $MODE == all ]] && (( used + budget > BUDGET )); then
    skip "$1" "time budget ($used s used of $BUDGET s; this phase needs $budget s)"
    return
  fi
  PHASE_START=$(now)
  PHASE_END=$(( PHASE_START + budget ))
  "phase_$1"
}

NO_GPU=$(no_gpu_reason)
if [[ $MODE == all ]]; then
  for p in $PHASES; do run_phase "$p"; done
else
  run_phase "$MODE"
fi
echo "# total $(( $(now) - START )) s" >> "$SUMMARY"
[[ -f $WORK/tables ]] && cat "$WORK/tables" >> "$SUMMARY"

# at most 7 files beside summary.txt, compressed
[[ -f $WORK/kernels.log ]] && gzip -c "$WORK/kernels.log" > "$OUT/kernels.log.gz"
[[ -f $WORK/golden-memory.log ]] && gzip -c "$WORK/golden-memory.log" > "$OUT/golden-memory.log.gz"
[[ -f $WORK/bench-all.log ]] && { cat "$WORK/bench-all.log"; [[ -f $WORK/bench.tar ]] && tar -xOf "$WORK/bench.tar" 2>/dev/null; } | gzip -c > "$OUT/bench.log.gz"
[[ -f $WORK/sanitizer.log ]] && gzip -c "$WORK/sanitizer.log" > "$OUT/sanitizer.log.gz"
[[ -f $WORK/nccl.log ]] && gzip -c "$WORK/nccl.log" > "$OUT/nccl.log.gz"
cat "$SUMMARY"
exit 0
