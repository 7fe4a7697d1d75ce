package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.Precision;
import java.util.HashSet;
import java.util.Set;

/**
 * Which kernels run {@code Backend.matmul} and the attention ops of a {@link CudaBackend} in its {@link Precision},
 * chosen when the backend starts, and the line that says so ({@code tessera info}, the backend's log line, every
 * bench result):
 * <ul>
 *   <li>fp32: matmul on the {@link GemmSelection} choice (cuBLAS when found, else gemm.cu), attention on
 *       attention.cu ({@link AttentionCuda}) — what ran before precision modes existed;</li>
 *   <li>tf32: matmul on our tf32 tensor-core GEMM ({@link GemmMmaCuda.Variant#TF32}: {@code cvt.rna.tf32} of each
 *       operand, fp32 sums), attention fp32 on attention.cu. Not cuBLAS's TF32 mode: how cuBLAS converts to tf32 is
 *       not documented, ours is, and the CPU backend reproduces it;</li>
 *   <li>bf16: matmul on the bf16 tensor-core GEMM ({@link GemmMmaCuda.Variant#BF16}), attention on the
 *       FlashAttention-2 kernels ({@link FlashAttentionCuda}) for head dims 32, 64 and 128. cuBLAS is not used:
 *       its bf16 GEMMs need bf16 storage, and the engine stores fp32. Another head dim runs fp32 attention.cu, with a
 *       warning the first time and in the description (no model preset has one).</li>
 * </ul>
 * The tensor-core kernels need compute capability 8.0: an older GPU asked for tf32 or bf16 is refused when the
 * backend starts ({@link #problem}), never run in fp32 under the tf32/bf16 label.
 */
final class PrecisionKernels {
    private static final System.Logger LOG = System.getLogger(PrecisionKernels.class.getName());
    static final int MIN_CC_MAJOR = 8;

    private final Precision precision;
    private final GemmSelection.Choice fp32Gemm;
    private final GemmMmaCuda mma;
    private final AttentionCuda attention;
    private final FlashAttentionCuda flash;
    private final Set<Integer> fp32HeadDims = new HashSet<>();

    PrecisionKernels(Precision precision, GemmSelection.Choice fp32Gemm, LaunchContext lc, AttentionCuda attention) {
        this.precision = precision;
        this.fp32Gemm = fp32Gemm;
        this.mma = new GemmMmaCuda(lc);
        this.attention = attention;
        this.flash = new FlashAttentionCuda(lc);
    }

    /** Null when {@code status}'s GPU can run {@code p}, else the one-line reason. */
    static String problem(CudaStatus status, Precision p) {
        if (p == Precision.FP32 || status.ccMajor() >= MIN_CC_MAJOR) return null;
        return "--precision " + p.label() + " needs tensor cores with " + p.label() + " (compute capability " + MIN_CC_MAJOR
                + ".0 or newer); " + status.deviceName() + " has " + status.computeCapability() + " (use --precision fp32)";
    }

    Precision precision() {
        return precision;
    }

    /** Which GEMM runs matmul in this precision and why. */
    String gemmDescription() {
        return switch (precision) {
            case FP32 -> fp32Gemm.description();
            case TF32 -> "Tessera tf32 tensor-core GEMM (gemm_mma.cu, mma.sync m16n8k8, cvt.rna.tf32, fp32 accumulation) for"
                    + " --precision tf32 (fp32 would run " + fp32Gemm.description() + ")";
            case BF16 -> mma.describe() + " for --precision bf16; cuBLAS is not used (its bf16 GEMMs need bf16 storage;"
                    + " fp32 would run " + fp32Gemm.description() + ")";
        };
    }

    /** Which attention kernels run and why. */
    String attentionDescription() {
        if (precision != Precision.BF16) {
            return "attention.cu (fp32, V2 for head dims <= 128, V1 above)" + (precision == Precision.TF32 ? ": tf32 covers GEMMs only" : "");
        }
        return "FlashAttention-2 bf16 tensor cores (attention_flash.cu) for head dims 32, 64, 128; fp32 attention.cu for any other"
                + (fp32HeadDims.isEmpty() ? "" : " (ran fp32 for head dims " + fp32HeadDims + ")");
    }

    /** True when matmul's products run on TF32 tensor cores (ours in tf32, or cuBLAS with TF32 asked for in fp32). */
    boolean gemmUsesTf32() {
        return precision == Precision.TF32 || (precision == Precision.FP32 && fp32Gemm.gemm().tf32());
    }

    void matmul(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a, int aBatchStride,
                CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        switch (precision) {
            case FP32 -> fp32Gemm.gemm().gemm(transA, transB, batch, m, n, k, alpha, a, aBatchStride, b, bBatchStride, beta, c);
            case TF32 -> mma.gemmTf32(transA, transB, batch, m, n, k, alpha, a, aBatchStride, b, bBatchStride, beta, c);
            case BF16 -> mma.gemm(transA, transB, batch, m, n, k, alpha, (Buffer) a, aBatchStride, b, bBatchStride, beta, c);
        }
    }

    void attentionForward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        int d = lay.headDim();
        if (usesFlash(d)) flash.forward(lay, q, k, v, out, lse, scale);
        else attention.forward(AttentionCuda.choose(d), AttentionCuda.V1_DEFAULT_BLOCK, lay, q, k, v, out, lse, scale);
    }

    void attentionBackward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout, Buffer dq,
                           Buffer dk, Buffer dv, float scale, GradMode mode) {
        int d = lay.headDim();
        if (usesFlash(d)) flash.backward(lay, q, k, v, out, lse, dout, dq, dk, dv, scale, mode);
        else attention.backward(AttentionCuda.choose(d), AttentionCuda.V1_DEFAULT_BLOCK, lay, q, k, v, out, lse, dout, dq, dk, dv,
                scale, mode);
    }

    private boolean usesFlash(int headDim) {
        if (precision != Precision.BF16) return false;
        if (FlashAttentionCuda.supports(headDim)) return true;
        if (fp32HeadDims.add(headDim)) {
            LOG.log(System.Logger.Level.WARNING, "--precision bf16: attention with head dim {0} runs in fp32 (attention.cu);"
                    + " the bf16 flash kernels take head dims 32, 64 and 128", headDim);
        }
        return false;
    }

    /** For {@code tessera info}: what each precision would run on {@code status}'s GPU with {@code fp32Gemm}. */
    static String plan(CudaStatus status, String fp32Gemm) {
        String tc = problem(status, Precision.BF16);
        if (tc != null) return "fp32: " + fp32Gemm + "; tf32, bf16: refused (compute capability " + status.computeCapability() + " < 8.0)";
        return "fp32: " + fp32Gemm + " + attention.cu; tf32: gemm_mma.cu tf32 + attention.cu (fp32); bf16: gemm_mma.cu bf16 +"
                + " attention_flash.cu (head dims 32/64/128)";
    }
}
