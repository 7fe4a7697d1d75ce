package dev.tessera.kernels;

/**
 * A cuBLASLt matmul with a fused epilogue, as the descriptor values {@link CublasLt13#matmul} sets: the row-major
 * request mapped to column-major exactly as {@link GemmMapping} does (D is Tessera's Cᵀ), plus an epilogue that
 * cuBLASLt applies before storing D.
 *
 * <p>Why the epilogues line up with Tessera's layers: D's rows are C's columns, so a vector over D's rows is a
 * vector over C's columns — a Linear's bias. For {@code y[N, out] = x[N, in]·W[out, in]ᵀ + b} (the NT layout), D =
 * yᵀ is [out, N] and {@link Epilogue#BIAS} adds b[out] to every column of D, i.e. to every row of y. For the
 * weight gradient {@code dW[out, in] = dy[N, out]ᵀ·x[N, in]} (the TN layout), D = dWᵀ = xᵀ·dy is [in, out] and
 * {@link Epilogue#BGRADB} writes Σ over k = N of op(B) = dy, per column of D: the bias gradient db[out].
 *
 * <p>Layouts describe each stored matrix before its op: cuBLAS's A is [m, k] when not transposed and [k, m] when
 * transposed, B is [k, n] or [n, k], C and D are [m, n]; leading dimensions as in {@link GemmMapping}.
 *
 * @param gemm     the mapped call (dimensions, ops, leading dimensions, batch strides)
 * @param epilogue what cuBLASLt does to the product before storing it
 */
record LtMatmulPlan(GemmMapping gemm, Epilogue epilogue) {

    /** cublasLtEpilogue_t values (cublasLt.h). */
    enum Epilogue {
        /** D = alpha·op(A)·op(B) + beta·C. */
        DEFAULT(1),
        /** … + bias[row of D]: a Linear layer's bias, exact. */
        BIAS(4),
        /**
         * GELU(… + bias). cuBLASLt's GELU is the tanh approximation (PyTorch uses this epilogue only for
         * {@code approximate='tanh'}); MAE/CAE's ViT blocks use the exact erf GELU (timm's nn.GELU), which differs by
         * up to ~1e-3, so Tessera's layers keep their own GELU and this stays available for tanh-GELU models.
         */
        GELU_BIAS(36),
        /** Also writes bias[column of D] = Σ over k of op(B): the bias gradient of a weight-gradient GEMM. */
        BGRADB(512);

        final int code;

        Epilogue(int code) {
            this.code = code;
        }

        boolean readsBias() {
            return this == BIAS || this == GELU_BIAS;
        }
    }

    /** Rows, columns and leading dimension of one stored column-major matrix, as cublasLtMatrixLayoutCreate takes them. */
    record Layout(long rows, long cols, long ld, long batchStride) {}

    /** A plan for the row-major request (a bias has C's n columns; a BGRADB bias gradient C's m rows). */
    static LtMatmulPlan of(boolean transA, boolean transB, int batch, int m, int n, int k, int aBatchStride,
                           int bBatchStride, Epilogue epilogue) {
        if (epilogue != Epilogue.DEFAULT && batch != 1) {
            throw new IllegalArgumentException("cuBLASLt epilogue " + epilogue + " is planned for one matrix, got batch " + batch);
        }
        return new LtMatmulPlan(GemmMapping.of(transA, transB, batch, m, n, k, aBatchStride, bBatchStride), epilogue);
    }

    Layout a() {
        GemmMapping g = gemm;
        return g.transA() == GemmMapping.OP_N ? new Layout(g.m(), g.k(), g.lda(), g.strideA())
                : new Layout(g.k(), g.m(), g.lda(), g.strideA());
    }

    Layout b() {
        GemmMapping g = gemm;
        return g.transB() == GemmMapping.OP_N ? new Layout(g.k(), g.n(), g.ldb(), g.strideB())
                : new Layout(g.n(), g.k(), g.ldb(), g.strideB());
    }

    /** C and D share this layout (D overwrites C in place when beta is 0 and they are the same buffer). */
    Layout d() {
        return new Layout(gemm.m(), gemm.n(), gemm.ldc(), gemm.strideC());
    }

    /** Length of the bias (BIAS, GELU_BIAS: D's rows) or bias-gradient (BGRADB: D's columns) vector. */
    long vectorLength() {
        return switch (epilogue) {
            case DEFAULT -> 0;
            case BIAS, GELU_BIAS -> gemm.m();
            case BGRADB -> gemm.n();
        };
    }
}
