#!/usr/bin/env bash
# Builds dist/tessera: a folder that runs Tessera on a machine with no JDK (e.g. the lent GPU machine, which
# reaches no package registry and takes at most 64 MiB per call).
#
#   kernels/make-dist.sh [--jar PATH] [--with-gpu-tests] [--out DIR] [--modules LIST] [--max-mib N]
#
#   --jar PATH         the shaded CLI jar (default cli/target/tessera.jar; build it with
#                      ./mvnw -DskipTests -pl cli -am package). It already holds engine, kernels with
#                      tessera_kernels.fatbin, JCuda and its natives.
#   --with-gpu-tests   also carry the kernels test classes, the engine test-jar and the JUnit console
#                      launcher, plus bin/test-gpu to run them (the GPU parity suite needs no Maven).
#   --gpu-pass         the folder kernels/gpu-pass.sh needs: --with-gpu-tests with the headless module list
#                      below (no java.desktop: no pictures, which a GPU pass does not draw).
#   --out DIR          default dist/tessera (dist/ is git-ignored).
#   --modules LIST     runtime modules (default below). A GPU-test-only folder can drop java.desktop etc.:
#                      --modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector
#                      (a 38 MiB runtime instead of 54 MiB: java.desktop with its java.xml dependency is ~16 MiB;
#                      without it the CLI trains and benchmarks but draws no pictures).
#   --max-mib N        size budget, default 60 (the device machine carries at most 64 MiB per call,
#                      working tree included).
#
# Layout:
#   runtime/                 a jlink'd Java 25 (java.base, java.desktop, java.logging, jdk.unsupported,
#                            jdk.incubator.vector: what the jar uses — JCuda's LibUtils logs through
#                            java.util.logging, which `jdeps` does not report — less Jackson's optional java.sql;
#                            --with-gpu-tests adds java.management for JUnit): class files without debug info,
#                            zip-9 compressed, native libraries stripped of symbol tables (libjvm.so alone drops
#                            from 29 to 24 MiB), without java.desktop's font, sound, splash and X11 libraries
#   lib/tessera.jar          the CLI jar, minus the JCuda natives it never loads (NVRTC, PTX compiler, runtime API,
#                            cuBLAS v1: 25 of the 28 MiB of natives)
#   lib/jvm.flags            the parent POM's JVM flags (cli/target/jvm.flags when present)
#   bin/tessera              the launcher
#   bin/nccl-smoke           NCCL's first run on the GPU (kernels/gpu-pass.sh nccl)
#   tests/, bin/test-gpu     only with --with-gpu-tests
# Fails if the folder exceeds the budget (60 MiB by default).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/cli/target/tessera.jar"
out="$root/dist/tessera"
with_tests=false
modules=java.base,java.desktop,java.logging,jdk.unsupported,jdk.incubator.vector
max_mib=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --with-gpu-tests) with_tests=true; shift ;;
    --gpu-pass) with_tests=true; modules=java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector; shift ;;
    --modules) modules="$2"; shift 2 ;;
    --max-mib) max_mib="$2"; shift 2 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "make-dist: unknown argument $1" >&2; exit 2 ;;
  esac
done

jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -x "$jdk/bin/jlink" ]] || jdk=/usr/lib/jvm/temurin-25-jdk-amd64
[[ -x "$jdk/bin/jlink" ]] || { echo "make-dist: no JDK 25 jlink (set JAVA_HOME)" >&2; exit 1; }
[[ -f "$jar" ]] || { echo "make-dist: $jar not found; build it: ./mvnw -DskipTests -pl cli -am package" >&2; exit 1; }
listing="$(unzip -l "$jar")"
if [[ "$listing" != *dev/tessera/kernels/tessera_kernels.fatbin* ]]; then
  echo "make-dist: warning: $jar has no tessera_kernels.fatbin (built without nvcc?); CUDA will report 'kernels not built'" >&2
fi

# The JUnit console launcher also wants java.management (and java.logging, already in).
if $with_tests; then
  for m in java.logging java.management; do [[ ",$modules," == *",$m,"* ]] || modules="$modules,$m"; done
fi

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"

# Natives a headless Tessera run never loads: java.desktop's fonts (the figures draw text with their own bitmap
# font, viz/BitmapFont), splash screen, sound and X11 toolkit, and the Vector API's SVML library (its lanewise
# EXP/LOG/... intrinsics, which Tessera avoids for reproducibility: backend/cpu/VectorMath) — 4.1 MiB.
unused_natives='**/libfontmanager.so,**/libfreetype.so,**/libsplashscreen.so,**/libjsound.so,**/libawt_xawt.so,**/libjsvml.so'
echo "make-dist: jlink runtime ($modules) ..."
"$jdk/bin/jlink" --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 \
  --exclude-files "$unused_natives" \
  --output "$out/runtime" 2>&1 | grep -v 'incubator modules' || true
[[ -x "$out/runtime/bin/java" ]] || { echo "make-dist: jlink failed" >&2; exit 1; }
# The JDK's native libraries keep full symbol tables; the dynamic symbols the JVM needs stay.
if command -v strip >/dev/null 2>&1; then
  find "$out/runtime" -name '*.so' -exec strip --strip-unneeded {} \;
else
  echo "make-dist: no 'strip' here; the runtime keeps ~5 MiB of native symbols" >&2
fi

cp "$jar" "$out/lib/tessera.jar"
# Drop natives we never load: NVRTC and the PTX compiler (we load AOT fatbins; NVRTC needs libnvrtc.so.12 anyway,
# absent on CUDA 13 machines), the CUDA runtime API wrapper (the backend uses the driver API; JCublas2 only needs
# the cudaStream_t class, whose loading loads no native) and the legacy cuBLAS v1 wrapper (we call JCublas2).
# `readelf -d` on libJCublas2 / libJCudaDriver shows they need only libcublas.so.12 / libcuda.so.1 and libc.
zip -q -d "$out/lib/tessera.jar" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' 'lib/libJCudaRuntime-*' 'lib/libJCublas-*' 2>/dev/null || true

flags_file="$(dirname "$jar")/jvm.flags"
if [[ -f "$flags_file" ]]; then
  cp "$flags_file" "$out/lib/jvm.flags"
else
  echo "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED" > "$out/lib/jvm.flags"
fi

cat > "$out/bin/tessera" <<'LAUNCHER'
#!/usr/bin/env bash
# Tessera launcher: the bundled Java 25 runtime, the project's JVM flags, the CLI jar.
# Extra JVM options: TESSERA_JAVA_OPTS="-Xmx32g" bin/tessera ...
here="$(cd "$(dirname "$0")/.." && pwd)"
# The JVM's "WARNING: Using incubator modules: jdk.incubator.vector" (printed at every start; no option turns it
# off) is dropped, exactly that line and once; everything else on stderr passes through (as in the repository's ./tessera).
quiet_incubator() {
  trap '' INT
  local line n=0
  while [ "$n" -lt 5 ]; do
    if ! IFS= read -r line; then printf '%s' "$line"; return 0; fi
    [ "$line" = "WARNING: Using incubator modules: jdk.incubator.vector" ] && exec cat
    printf '%s\n' "$line"
    n=$((n + 1))
  done
  exec cat
}
# shellcheck disable=SC2046,SC2086
exec "$here/runtime/bin/java" $(cat "$here/lib/jvm.flags") ${TESSERA_JAVA_OPTS:-} -jar "$here/lib/tessera.jar" "$@" \
  2> >(quiet_incubator >&2)
LAUNCHER
chmod +x "$out/bin/tessera"

cat > "$out/bin/nccl-smoke" <<'NCCL'
#!/bin/sh
# NCCL on this machine's GPU (kernels/gpu-pass.sh nccl): a world of one, or the MPI job's under mpirun.
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck disable=SC2046
exec "$here/runtime/bin/java" $(cat "$here/lib/jvm.flags") -cp "$here/lib/tessera.jar" dev.tessera.kernels.NcclSmoke "$@"
NCCL
chmod +x "$out/bin/nccl-smoke"

if $with_tests; then
  echo "make-dist: adding the GPU test suite ..."
  tests="$out/tests"
  mkdir -p "$tests"
  kt="$(ls -d "$root"/kernels/target*/test-classes 2>/dev/null | head -1 || true)"
  [[ -n "$kt" && -d "$kt/dev/tessera/kernels" ]] || { echo "make-dist: build kernels tests first (./mvnw -pl kernels -am test-compile)" >&2; exit 1; }
  cp -r "$kt" "$tests/kernels-test-classes"
  # the whole-model check: the MAE/CAE golden cases on the GPU (GoldenOnCudaTest) with its PyTorch files (~4 MiB)
  tt="$(ls -d "$root"/tests/target*/test-classes 2>/dev/null | head -1 || true)"
  [[ -n "$tt" && -d "$tt/golden" ]] || { echo "make-dist: build the tests module's tests first (./mvnw -pl tests -am test-compile)" >&2; exit 1; }
  cp -r "$tt" "$tests/golden-test-classes"
  cp -r "$root/kernels/src/main/cuda" "$tests/cuda-sources"   # for the ABI and op-code tests
  et="$(ls "$root"/engine/target*/tessera-engine-*-tests.jar 2>/dev/null | head -1 || true)"
  [[ -n "$et" ]] || { echo "make-dist: engine test-jar missing (./mvnw -pl engine package -DskipTests)" >&2; exit 1; }
  cp "$et" "$tests/tessera-engine-tests.jar"
  (cd "$root" && ./mvnw -q -B dependency:copy \
      -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4 \
      -DoutputDirectory="$tests" -Dmdep.stripVersion=true) >&2
  cat > "$out/bin/test-gpu" <<'TESTS'
#!/bin/sh
# Runs the kernels test suite (GPU parity, memory, probe, geometry) and the MAE/CAE golden cases on the GPU
# (GoldenOnCudaTest) against the bundled runtime.
# Extra arguments go to the JUnit console launcher, e.g. --select-class dev.tessera.kernels.GemmCudaParityTest
here="$(cd "$(dirname "$0")/.." && pwd)"
t="$here/tests"
sel="--select-package=dev.tessera.kernels --select-class=dev.tessera.tests.golden.GoldenOnCudaTest"
case "$*" in *--select*) sel="" ;; esac
# shellcheck disable=SC2046,SC2086
exec "$here/runtime/bin/java" $(cat "$here/lib/jvm.flags") ${TESSERA_JAVA_OPTS:--Xmx24g} \
  -Dtessera.cuda.sources="$t/cuda-sources" -jar "$t/junit-platform-console-standalone.jar" execute \
  --class-path "$here/lib/tessera.jar:$t/kernels-test-classes:$t/golden-test-classes:$t/tessera-engine-tests.jar" \
  --exclude-tag=slow --details=tree --disable-banner $sel "$@"
TESTS
  chmod +x "$out/bin/test-gpu"
fi

bytes="$(du -sb "$out" | cut -f1)"
mib=$(( (bytes + 1048575) / 1048576 ))
echo "make-dist: $out is $mib MiB (runtime $(du -sh "$out/runtime" | cut -f1), jar $(du -sh "$out/lib/tessera.jar" | cut -f1))"
if (( bytes >= max_mib * 1048576 )); then
  echo "make-dist: FAILED: $mib MiB exceeds the $max_mib MiB budget" >&2
  exit 1
fi
