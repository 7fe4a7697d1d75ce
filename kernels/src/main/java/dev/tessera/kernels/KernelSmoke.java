package dev.tessera.kernels;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import java.util.Random;

/**
 * Launches every kernel of every version once, on small awkward shapes, and waits: the workload that
 * {@code compute-sanitizer} (memcheck: out-of-bounds and misaligned accesses; racecheck: shared-memory races) runs
 * in {@code kernels/gpu-pass.sh}. It checks no values — the parity tests do that — only that nothing touches
 * memory it should not; kept small because the sanitizer slows kernels down a hundredfold. The calls mirror the ones
 * KernelAbiTest records, with real buffers and valid indices.
 *
 * <pre>
 *   compute-sanitizer --tool memcheck java … -cp tessera.jar dev.tessera.kernels.KernelSmoke
 * </pre>
 */
public final class KernelSmoke {
    private KernelSmoke() {}

    public static void main(String[] args) {
        try (CudaBackend gpu = new CudaBackend(0)) {
            run(gpu);
            System.out.println("kernel smoke: every kernel launched and synchronized on " + gpu.name());
        }
    }

    static void run(CudaBackend gpu) {
        Random r = new Random(1);
        try (StepScope _ = gpu.openScope()) {
            StridedCuda st = gpu.strided();
            st.copy(f(gpu, r, 63), new int[] {9, 1}, f(gpu, r, 63), new int[] {1, 7}, new int[] {7, 9}, false, 256);
            st.copy(f(gpu, r, 63), new int[] {9, 1}, f(gpu, r, 9), new int[] {0, 1}, new int[] {7, 9}, true, 256);
            st.unary(UnaryOp.GELU, 0f, f(gpu, r, 65), f(gpu, r, 65), 256);
            st.binary(BinaryOp.ADD, f(gpu, r, 63), new int[] {9, 1}, f(gpu, r, 9), new int[] {0, 1}, f(gpu, r, 63),
                    new int[] {7, 9}, 256);

            for (ReduceCuda.Variant v : ReduceCuda.Variant.values()) {
                gpu.reduceKernels().reduce(new ReduceCuda.Plan(v, 128, 3), ReduceOp.SUM, f(gpu, r, 7 * 37 * 5), 7, 37, 5,
                        f(gpu, r, 35));
            }
            gpu.reduceKernels().argmax(f(gpu, r, 7 * 37 * 5), 7, 37, 5, gpu.allocateInts(35), 128);

            for (GemmCuda.Variant v : GemmCuda.Variant.values()) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        gpu.gemmKernels().gemm(v, ta, tb, 2, 67, 33, 17, 1f, f(gpu, r, 2 * 67 * 17), 67 * 17,
                                f(gpu, r, 17 * 33), 0, 0.5f, f(gpu, r, 2 * 67 * 33));
                    }
                }
            }
            // the tensor-core rungs: bf16 over fp32 storage, tf32, and bf16 storage (two values per 32-bit element)
            GemmMmaCuda mma = new GemmMmaCuda(gpu.launchContext());
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    mma.gemm(ta, tb, 2, 67, 33, 18, 1f, f(gpu, r, 2 * 67 * 18), 67 * 18, f(gpu, r, 18 * 33), 0, 0.5f,
                            f(gpu, r, 2 * 67 * 33));
                    mma.gemmTf32(ta, tb, 2, 67, 33, 18, 1f, f(gpu, r, 2 * 67 * 18), 67 * 18, f(gpu, r, 18 * 33), 0, 0.5f,
                            f(gpu, r, 2 * 67 * 33));
                    mma.gemmBf16(ta, tb, 2, 67, 33, 18, 1f, bf16(gpu, r, 2 * 67 * 18), 67 * 18, bf16(gpu, r, 18 * 33), 0,
                            0.5f, f(gpu, r, 2 * 67 * 33));
                }
            }
            gpu.matmul(false, true, 1, 67, 33, 17, 1f, f(gpu, r, 67 * 17), 0, f(gpu, r, 33 * 17), 0, 0f, f(gpu, r, 67 * 33));

            for (LayerNormCuda.Variant v : LayerNormCuda.Variant.values()) {
                int rows = 37, cols = 70;
                Buffer x = f(gpu, r, rows * cols), mean = gpu.allocate(rows), rstd = gpu.allocate(rows);
                gpu.layerNorm().forward(v, 64, x, f(gpu, r, cols), f(gpu, r, cols), f(gpu, r, rows * cols), mean, rstd, rows,
                        cols, 1e-5f);
                gpu.layerNorm().backward(v, 64, f(gpu, r, rows * cols), x, f(gpu, r, cols), mean, rstd,
                        f(gpu, r, rows * cols), f(gpu, r, cols), f(gpu, r, cols), rows, cols);
                // dx alone, and a row wider than the fused backward takes: the separate kernels
                gpu.layerNorm().backward(v, 64, f(gpu, r, rows * cols), x, f(gpu, r, cols), mean, rstd,
                        f(gpu, r, rows * cols), null, null, rows, cols);
                int wide = 1100;
                Buffer xw = f(gpu, r, 3 * wide), mw = gpu.allocate(3), rw = gpu.allocate(3);
                gpu.layerNorm().forward(v, 64, xw, f(gpu, r, wide), f(gpu, r, wide), f(gpu, r, 3 * wide), mw, rw, 3, wide,
                        1e-5f);
                gpu.layerNorm().backward(v, 64, f(gpu, r, 3 * wide), xw, f(gpu, r, wide), mw, rw, f(gpu, r, 3 * wide),
                        f(gpu, r, wide), f(gpu, r, wide), 3, wide);
            }

            for (SoftmaxCuda.Variant v : SoftmaxCuda.Variant.values()) {
                Buffer out = gpu.allocate(37 * 70);
                gpu.softmax().forward(v, 64, f(gpu, r, 37 * 70), out, 37, 70, false);
                gpu.softmax().backward(v, 64, f(gpu, r, 37 * 70), out, f(gpu, r, 37 * 70), 37, 70, false);
            }

            for (AttentionCuda.Variant v : AttentionCuda.Variant.values()) {
                int bh = 3, lq = 19, lk = 35, d = 40;
                AttentionLayout lay = AttentionLayout.contiguous(bh, lq, lk, d);
                Buffer q = f(gpu, r, bh * lq * d), k = f(gpu, r, bh * lk * d), vv = f(gpu, r, bh * lk * d);
                Buffer out = gpu.allocate(bh * lq * d), lse = gpu.allocate(bh * lq);
                gpu.attention().forward(v, 64, lay, q, k, vv, out, lse, 0.15f);
                gpu.attention().backward(v, 64, lay, q, k, vv, out, lse, f(gpu, r, bh * lq * d), f(gpu, r, bh * lq * d),
                        f(gpu, r, bh * lk * d), f(gpu, r, bh * lk * d), 0.15f, GradMode.ACCUMULATE);
                // q, k, v inside one packed [n, t, 3D] buffer, gradients overwritten: the strides the models use
                AttentionLayout packed = AttentionLayout.packedQkv(2, lq, 2, d);
                Buffer qkv = f(gpu, r, 2 * lq * 6 * d), dqkv = gpu.allocate(2 * lq * 6 * d);
                Buffer pOut = gpu.allocate(2 * lq * 2 * d), pLse = gpu.allocate(4 * lq);
                gpu.attention().forward(v, 64, packed, qkv, qkv, qkv, pOut, pLse, 0.15f);
                gpu.attention().backward(v, 64, packed, qkv, qkv, qkv, pOut, pLse, f(gpu, r, 2 * lq * 2 * d), dqkv, dqkv, dqkv,
                        0.15f, GradMode.OVERWRITE);
            }

            FlashAttentionCuda flash = new FlashAttentionCuda(gpu.launchContext());
            for (int d : new int[] {32, 64, 128}) {
                int bh = 3, lq = 19, lk = 35;       // lq ≠ lk and neither a multiple of the tile: CAE's cross-attention
                AttentionLayout lay = AttentionLayout.tokenMajor(1, bh, lq, lk, d);
                Buffer q = f(gpu, r, bh * lq * d), k = f(gpu, r, bh * lk * d), vv = f(gpu, r, bh * lk * d);
                Buffer out = gpu.allocate(bh * lq * d), lse = gpu.allocate(bh * lq);
                flash.forward(lay, q, k, vv, out, lse, 0.15f);
                flash.backward(lay, q, k, vv, out, lse, f(gpu, r, bh * lq * d), f(gpu, r, bh * lq * d), f(gpu, r, bh * lk * d),
                        f(gpu, r, bh * lk * d), 0.15f, GradMode.OVERWRITE);
            }

            int[] idx = {4, 0, 2, 1, 3, 1, 0, 2};
            Buffer index = gpu.allocateInts(idx.length);
            gpu.uploadInts(idx, index);
            gpu.gather(f(gpu, r, 2 * 5 * 6), index, gpu.allocate(2 * 4 * 6), 2, 5, 4, 6);
            gpu.scatterAdd(f(gpu, r, 2 * 4 * 6), index, f(gpu, r, 2 * 5 * 6), 2, 5, 4, 6);

            gpu.adamW(f(gpu, r, 1000), f(gpu, r, 1000), f(gpu, r, 1000), gpu.allocate(1000),
                    new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, 1));

            gpu.argsortMask(f(gpu, r, 3 * 49), 3, 49, 12, gpu.allocateInts(3 * 49), gpu.allocateInts(3 * 49),
                    gpu.allocateInts(3 * 12), gpu.allocate(3 * 49));
            Buffer table = gpu.allocateInts(5);
            gpu.uploadInts(new int[] {700, 3, 0, 300, 997}, table);       // [700, 1000) and [3, 700)
            gpu.adamWRanges(f(gpu, r, 1000), f(gpu, r, 1000), f(gpu, r, 1000), gpu.allocate(1000), table, 2,
                    new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
            for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
                gpu.gemmKernels().epilogue(v, f(gpu, r, 70 * 33), f(gpu, r, 45 * 33), f(gpu, r, 45), 70, 45, 33, true,
                        gpu.allocate(70 * 45), gpu.allocate(70 * 45));
            }
            for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
                gpu.gemmKernels().weightGrad(v, f(gpu, r, 77 * 45), f(gpu, r, 77 * 33), 77, 45, 33, f(gpu, r, 45 * 33), true,
                        f(gpu, r, 45), false);
            }
            gpu.addColumnSums(f(gpu, r, 77 * 45), 77, 45, f(gpu, r, 45));
            gpu.scaledResidual(f(gpu, r, 3 * 7 * 45), f(gpu, r, 3 * 7 * 45), f(gpu, r, 45), f(gpu, r, 3), 3, 7, 45,
                    gpu.allocate(3 * 7 * 45));
            gpu.scaledResidualBackward(f(gpu, r, 3 * 7 * 45), f(gpu, r, 3 * 7 * 45), f(gpu, r, 45), f(gpu, r, 3), 3, 7, 45,
                    f(gpu, r, 3 * 7 * 45), true, gpu.allocate(45));
            gpu.clipGlobalNorm(f(gpu, r, 5000), 0.5f, gpu.allocate(1));
            gpu.synchronize();
        }
    }

    /** {@code n} random bf16 values, packed two per int32 element. */
    private static Buffer bf16(Backend gpu, Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        int[] packed = Bf16.pack(v);
        Buffer b = gpu.allocateInts(packed.length);
        gpu.uploadInts(packed, b);
        return b;
    }

    private static Buffer f(Backend gpu, Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        Buffer b = gpu.allocate(n);
        gpu.upload(v, b);
        return b;
    }
}
