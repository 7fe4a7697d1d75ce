package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.StepScope;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import jcuda.driver.CUevent;

/**
 * Times our attention kernels and the backend's GEMMs on the shapes of MAE-B/16 and ViT-B, for the comparison with
 * PyTorch's SDPA and cuBLAS in {@code bench/compare/pytorch_kernels.py} (same names, same shapes; kernels/gpu-pass.sh
 * joins the two). Each figure is the median of {@value #REPS} runs after {@value #WARMUP} warm-up runs, timed with
 * CUDA events around the work alone.
 *
 * <pre>
 *   java … -cp tessera.jar dev.tessera.kernels.KernelTimings [batch]     # batch 64 by default
 * </pre>
 * Output: one {@code name<TAB>milliseconds} line per measurement, comments start with '#'. GEMMs run on the GEMM the
 * backend chose (cuBLAS when found: "gemm.fp32", "gemm.tf32") and on our own kernels ("gemm.fp32-own").
 */
public final class KernelTimings {
    static final int WARMUP = 3, REPS = 10;

    private KernelTimings() {}

    /** An attention shape: heads·batch, query and key lengths, head dimension. */
    record Attention(String label, int heads, int lq, int lk, int d) {}

    /** A GEMM shape of the row-major contract (C[m,n] = op(A)·op(B), inner size k). */
    record Gemm(String label, boolean ta, boolean tb, int m, int n, int k) {
        String layout() {
            return (ta ? "T" : "N") + (tb ? "T" : "N");
        }
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        Attention[] attention = {
            new Attention("mae-b-encoder", 12, 50, 50, 64),          // 25% of 196 patches kept, plus cls
            new Attention("mae-b-decoder", 16, 197, 197, 32),        // 512 wide, 16 heads
            new Attention("cae-b-regressor", 12, 98, 196, 64),       // masked queries over all patch positions
        };
        int tokens = batch * 197;
        Gemm[] gemms = {
            new Gemm("vit-b-qkv", false, true, tokens, 2304, 768),
            new Gemm("vit-b-fc1", false, true, tokens, 3072, 768),
            new Gemm("vit-b-fc2", false, true, tokens, 768, 3072),
            new Gemm("vit-b-fc1-dgrad", false, false, tokens, 768, 3072),
            new Gemm("vit-b-fc1-wgrad", true, false, 3072, 768, tokens),
        };
        System.out.println("# Tessera kernel timings, batch " + batch + ": median of " + REPS + " after " + WARMUP
                + " warm-up, CUDA events; name<TAB>ms");
        try (CudaBackend gpu = new CudaBackend(0, new CudaOptions(true, false, false))) {
            System.out.println("# device: " + gpu.name() + "; matmul: " + gpu.gemmDescription());
            for (Attention a : attention) attention(gpu, a, batch);
            for (Gemm g : gemms) {
                if (gpu.gemmDescription().startsWith("cuBLAS")) gemm(gpu, g, "fp32", false);
                gemm(gpu, g, "fp32-own", true);
            }
        }
        try (CudaBackend gpu = new CudaBackend(0, new CudaOptions(true, true, false))) {
            if (gpu.gemmUsesTf32()) {
                for (Gemm g : gemms) gemm(gpu, g, "tf32", false);
            } else {
                System.out.println("# tf32: not measured, matmul runs " + gpu.gemmDescription());
            }
        }
    }

    static void attention(CudaBackend gpu, Attention a, int batch) {
        int bh = a.heads() * batch;
        String shape = " " + a.label() + " bh=" + bh + " lq=" + a.lq() + " lk=" + a.lk() + " d=" + a.d();
        try (StepScope _ = gpu.openScope()) {
            Random r = new Random(3);
            Buffer q = random(gpu, r, bh * a.lq() * a.d()), k = random(gpu, r, bh * a.lk() * a.d());
            Buffer v = random(gpu, r, bh * a.lk() * a.d()), dout = random(gpu, r, bh * a.lq() * a.d());
            Buffer out = gpu.allocate(bh * a.lq() * a.d()), lse = gpu.allocate(bh * a.lq());
            Buffer dq = gpu.allocate(bh * a.lq() * a.d()), dk = gpu.allocate(bh * a.lk() * a.d());
            Buffer dv = gpu.allocate(bh * a.lk() * a.d());
            float scale = (float) (1 / Math.sqrt(a.d()));
            print("attention.forward" + shape, time(gpu, () -> gpu.attentionForward(AttentionLayout.contiguous(bh, a.lq(), a.lk(), a.d()), q, k, v, out, lse, scale)));
            print("attention.backward" + shape, time(gpu, () -> gpu.attentionBackward(AttentionLayout.contiguous(bh, a.lq(), a.lk(), a.d()), q, k, v, out, lse, dout, dq, dk, dv, scale,
                GradMode.ACCUMULATE)));
        }
    }

    static void gemm(CudaBackend gpu, Gemm g, String precision, boolean own) {
        try (StepScope _ = gpu.openScope()) {
            Random r = new Random(5);
            Buffer a = random(gpu, r, g.m() * g.k()), b = random(gpu, r, g.k() * g.n()), c = gpu.allocate(g.m() * g.n());
            Runnable work = own
                    ? () -> gpu.gemmKernels().gemm(GemmCuda.choose(1, g.m(), g.n(), gpu.status().multiprocessors()), g.ta(), g.tb(),
                            1, g.m(), g.n(), g.k(), 1f, a, 0, b, 0, 0f, c)
                    : () -> gpu.matmul(g.ta(), g.tb(), 1, g.m(), g.n(), g.k(), 1f, a, 0, b, 0, 0f, c);
            double ms = time(gpu, work);
            print("gemm." + precision + " " + g.label() + " " + g.layout() + " " + g.m() + "x" + g.n() + "x" + g.k(), ms);
            System.out.printf(Locale.ROOT, "#   %.1f TFLOP/s%n", 2.0 * g.m() * g.n() * g.k() / (ms * 1e-3) / 1e12);
        }
    }

    /** Median milliseconds of {@code work} between two CUDA events on the backend's stream. */
    static double time(CudaBackend gpu, Runnable work) {
        CudaContext ctx = gpu.context();
        CudaDriver d = ctx.driver();
        CUevent start = d.createEvent(true), end = d.createEvent(true);
        try {
            double[] ms = new double[REPS];
            for (int i = 0; i < WARMUP + REPS; i++) {
                d.record(start, ctx.stream());
                work.run();
                d.record(end, ctx.stream());
                d.waitEvent(end);
                if (i >= WARMUP) ms[i - WARMUP] = d.elapsedMillis(start, end);
            }
            gpu.synchronize();
            Arrays.sort(ms);
            return ms[REPS / 2];
        } finally {
            d.destroyEvent(start);
            d.destroyEvent(end);
        }
    }

    private static void print(String name, double ms) {
        System.out.printf(Locale.ROOT, "%s\t%.4f%n", name, ms);
        System.out.flush();
    }

    private static Buffer random(CudaBackend gpu, Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        Buffer b = gpu.allocate(n);
        gpu.upload(v, b);
        return b;
    }
}
