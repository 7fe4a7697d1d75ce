package dev.tessera.kernels;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared plumbing of the GPU parity tests (JUnit tag "gpu").
 *
 * <p>Skipping: {@link #startOrNull} returns null when {@link CudaProbe} says no device is usable and prints
 * the reason, so a CI log shows {@code [gpu] skipped: no CUDA device: no CUDA driver (libcuda.so.1 not found)};
 * {@link #assumeGpu} in each class's @BeforeEach then skips every test with that message.
 *
 * <p>THE TOLERANCE RULE (the engine's {@code Close.assertClose}): element i passes when
 * {@code |gpu − cpu| ≤ atol + rtol·|cpu|}. The CPU reference accumulates in double where it can; the kernels
 * accumulate in float in a different order (trees, tiles, FMAs), so each test derives atol from how many
 * terms a result sums and rtol from the float epsilon (ε = 2⁻²³ ≈ 1.2e-7), and says so in a comment:
 * <ul>
 *   <li>elementwise maps: CUDA's expf/logf/tanhf/erff/powf are within 1–4 ulp; rtol 1e-6 (≈ 8 ulp) and a
 *       small atol for results near 0;</li>
 *   <li>sums over L terms of magnitude ≤ 1: float error grows with L (about ε·L in the worst realistic case),
 *       so atol is proportional to L;</li>
 *   <li>exceptions, each documented where used: MAX/argmax/gather/copy are exact (0 tolerance); AdamW is
 *       bit-identical by construction; cuBLAS in TF32 mode multiplies 10-bit mantissas, so its atol is ~1e-3·√k.</li>
 * </ul>
 */
final class GpuTestSupport {
    private GpuTestSupport() {}

    /** The reference: all cores, since parity tests on a GPU box run big shapes. */
    static final CpuBackend CPU = new CpuBackend();

    /**
     * A backend on device 0, or null when CUDA is unusable here — then the reason is printed once per test
     * class and every test of the class skips through {@link #assumeGpu} (so Surefire counts them as skipped).
     */
    static CudaBackend startOrNull() {
        return startOrNull(CudaOptions.fromSystemProperties());
    }

    /** As above with {@code options}; {@code -Dtessera.cuda.sync=true} (the first pass of gpu-pass.sh) is added to them. */
    static CudaBackend startOrNull(CudaOptions options) {
        CudaStatus s = CudaProbe.probe();
        if (!s.available()) {
            System.out.println("[gpu] " + skipMessage());
            return null;
        }
        boolean sync = options.syncAfterLaunch() || Boolean.getBoolean("tessera.cuda.sync");
        return new CudaBackend(0, new CudaOptions(options.useCublas(), options.tf32(), sync));
    }

    /**
     * {@code gpu} itself, or — when a kernel faulted in it (a sticky error) — a fresh backend after closing it (the
     * close resets the primary context). The close's own exception repeats the fault and is only printed.
     */
    static CudaBackend restartIfFaulted(CudaBackend gpu) {
        if (gpu == null) return null;
        try {
            gpu.synchronize();   // a sticky error persists: this surfaces it (and marks the context) if a test left one
        } catch (RuntimeException e) {
            // reported by the test that caused it; only the fault's stickiness matters here
        }
        if (!gpu.faulted()) return gpu;
        try {
            gpu.close();
        } catch (RuntimeException e) {
            System.out.println("[gpu] closing the faulted backend: " + CudaProbe.oneLine(e));
        }
        System.out.println("[gpu] a kernel fault poisoned the context; starting a fresh backend for the next test");
        return startOrNull();
    }

    /** Call from @BeforeEach: skips the test, with the probe's reason, when there is no backend. */
    static void assumeGpu(CudaBackend gpu) {
        Assumptions.assumeTrue(gpu != null, GpuTestSupport::skipMessage);
    }

    static String skipMessage() {
        return "skipped: no CUDA device: " + CudaProbe.probe().reason();
    }

    /**
     * {@code Close.assertClose} after checking that infinities sit at the same places with the same signs
     * (|∞ − ∞| is NaN, which the plain rule would reject); matching infinities are then compared as 0.
     */
    static void assertCloseWithInfinities(String name, float[] expected, float[] actual, int[] shape, double atol,
                                          double rtol) {
        float[] e = expected.clone(), a = actual.clone();
        for (int i = 0; i < e.length && i < a.length; i++) {
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                if (e[i] != a[i]) {
                    org.junit.jupiter.api.Assertions.fail(name + ": element " + i + " expected " + e[i] + " got " + a[i]);
                }
                e[i] = 0;
                a[i] = 0;
            }
        }
        dev.tessera.engine.testing.Close.assertClose(name, e, a, shape, atol, rtol);
    }

    static float[] uniform(long seed, int n, float lo, float hi) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextFloat();
        return v;
    }

    static Buffer put(Backend be, float[] v) {
        Buffer b = be.allocate(v.length);
        be.upload(v, b);
        return b;
    }

    static Buffer putInts(Backend be, int[] v) {
        Buffer b = be.allocateInts(v.length);
        be.uploadInts(v, b);
        return b;
    }

    /** The same data uploaded to the CPU reference and the GPU. */
    record Pair(Buffer cpu, Buffer gpu) {
        static Pair of(Backend gpu, float[] v) {
            return new Pair(put(CPU, v), put(gpu, v));
        }

        static Pair ints(Backend gpu, int[] v) {
            return new Pair(putInts(CPU, v), putInts(gpu, v));
        }

        static Pair zeros(Backend gpu, int n) {
            return new Pair(CPU.allocate(n), gpu.allocate(n));
        }

        /** Null on both sides ("gradient not needed"). */
        static Pair none() {
            return new Pair(null, null);
        }
    }
}
