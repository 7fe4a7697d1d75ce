#!/usr/bin/env bash
# Compiles src/main/cuda/tessera_kernels.cu (which #includes every kernel family) into ONE fatbin.
# Called by Maven at generate-resources (kernels/pom.xml); also usable by hand:
#   kernels/build-fatbin.sh [OUTPUT_DIR] [ARCHS]
#   OUTPUT_DIR  default: kernels/target/classes/dev/tessera/kernels
#   ARCHS       comma-separated SASS targets, default "80,90" (release). PTX for the highest one is
#               always added so newer GPUs can JIT. A dev build for one GPU: ARCHS=90. sm_80 SASS runs
#               unchanged on sm_86 and sm_89 (binary compatibility within a major version), so those GPUs
#               need no SASS of their own; leaving it out keeps the fatbin (about 4 MB, 1.3 MB compressed in
#               the jar) inside the carried dist's 64 MiB now that the tensor-core kernels tripled the code.
# Environment: NVCC (path to nvcc), TESSERA_NVCC_FLAGS (extra flags, e.g. -lineinfo for profiling).
# Without nvcc it prints "nvcc not found: CUDA kernels not built" and succeeds, so CPU-only machines build;
# the CUDA backend then reports "kernels not built" at run time.
# The fatbin is rebuilt only when a .cu/.cuh file or this script is newer than it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:-$here/target/classes/dev/tessera/kernels}"
archs="${2:-80,90}"
src_dir="$here/src/main/cuda"
out="$out_dir/tessera_kernels.fatbin"

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
  if command -v nvcc >/dev/null 2>&1; then nvcc="$(command -v nvcc)"
  elif [[ -x /usr/local/cuda/bin/nvcc ]]; then nvcc=/usr/local/cuda/bin/nvcc
  fi
fi
if [[ -z "$nvcc" || ! -x "$nvcc" ]]; then
  echo "nvcc not found: CUDA kernels not built (the CUDA backend will report 'kernels not built')"
  exit 0
fi

stamp="$out_dir/tessera_kernels.archs"
if [[ -f "$out" && -f "$stamp" && "$(cat "$stamp")" == "$archs ${TESSERA_NVCC_FLAGS:-}" ]]; then
  newer="$(find "$src_dir" "$0" -newer "$out" \( -name '*.cu' -o -name '*.cuh' -o -name '*.sh' \) | head -1)"
  if [[ -z "$newer" ]]; then
    echo "tessera_kernels.fatbin is up to date (archs $archs)"
    exit 0
  fi
fi

gencode=()
IFS=',' read -ra list <<< "$archs"
highest=0
for a in "${list[@]}"; do
  gencode+=("-gencode" "arch=compute_${a},code=sm_${a}")
  (( a > highest )) && highest=$a
done
gencode+=("-gencode" "arch=compute_${highest},code=compute_${highest}")

mkdir -p "$out_dir"
echo "nvcc: building tessera_kernels.fatbin for sm_${archs//,/, sm_} + compute_${highest} PTX ..."
start=$(date +%s)
# shellcheck disable=SC2086
"$nvcc" -fatbin -O3 -std=c++17 --threads 0 ${TESSERA_NVCC_FLAGS:-} "${gencode[@]}" \
  -o "$out.tmp" "$src_dir/tessera_kernels.cu"
mv -f "$out.tmp" "$out"
echo "$archs ${TESSERA_NVCC_FLAGS:-}" > "$stamp"
echo "nvcc: done in $(( $(date +%s) - start )) s, $(stat -c %s "$out") bytes -> $out"
