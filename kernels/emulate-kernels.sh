#!/usr/bin/env bash
# Runs every CUDA kernel on the CPU under src/test/emu/cuda_emu.h and compares with double-precision loops
# (src/test/emu/emu_test.cpp). For machines without a GPU: it catches indexing, bounds, barrier and shuffle
# mistakes, but it is no substitute for the GPU parity tests. Needs g++ with C++20 (std::barrier).
#   kernels/emulate-kernels.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Dynamic shared memory is the one construct the header cannot express with macros.
for f in "$here"/src/main/cuda/*.cu "$here"/src/main/cuda/*.cuh; do
  sed -E 's/extern __shared__ (__align__\([0-9]+\) )?([A-Za-z_0-9]+( [A-Za-z_0-9]+)*) ([A-Za-z_]+)\[\];/\2* \4 = (\2*)emu_dynamic_shared();/' \
    "$f" > "$work/$(basename "$f")"
done
g++ -std=c++20 -O2 -pthread -ffp-contract=off -w -I"$work" -I"$here/src/test/emu" \
    -o "$work/emu_test" "$here/src/test/emu/emu_test.cpp"
"$work/emu_test" "$@"
