package dev.tessera.vit.testing;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;

/**
 * A test double that holds shapes but no data (PyTorch's "meta" device): allocation is free, uploads are
 * checked for length and dropped, and any computation fails. It lets the parameter-count tests build the
 * real module trees of ViT-L/H and MAE-L/H (300–660 M parameters) in seconds and without gigabytes of heap;
 * construction still runs every initialiser, so only the memory is skipped.
 */
public final class MetaBackend implements Backend {

    private record MetaBuffer(int length, boolean isInt) implements Buffer {
        @Override
        public Buffer slice(int offset, int len) {
            Buffer.checkRange("slice", this, offset, len);
            return new MetaBuffer(len, isInt);
        }
    }

    private long live;

    private static UnsupportedOperationException noData(String op) {
        return new UnsupportedOperationException(op + ": the meta backend holds shapes only (test double for parameter counts)");
    }

    private static void sameLength(String op, int n, Buffer b) {
        if (n != b.length()) throw new IllegalArgumentException(op + ": " + n + " host elements for a buffer of " + b.length());
    }

    @Override public String name() { return "meta"; }
    @Override public Buffer allocate(int length) { live += length; return new MetaBuffer(length, false); }
    @Override public Buffer allocateInts(int length) { live += length; return new MetaBuffer(length, true); }
    @Override public StepScope openScope() { return () -> {}; }
    @Override public MemoryStats memoryStats() { return new MemoryStats(0, 4 * live, 0, 0); }
    @Override public void upload(float[] src, Buffer dst) { sameLength("upload", src.length, dst); }
    @Override public float[] download(Buffer src) { throw noData("download"); }
    @Override public void uploadInts(int[] src, Buffer dst) { sameLength("uploadInts", src.length, dst); }
    @Override public int[] downloadInts(Buffer src) { throw noData("downloadInts"); }
    @Override public void fill(Buffer dst, float value) {}
    @Override public void copyStrided(Buffer src, int[] ss, Buffer dst, int[] ds, int[] shape, boolean acc) { throw noData("copyStrided"); }
    @Override public void unary(UnaryOp op, float p, Buffer x, Buffer out) { throw noData("unary"); }
    @Override public void binary(BinaryOp op, Buffer a, int[] as, Buffer b, int[] bs, Buffer out, int[] shape) { throw noData("binary"); }
    @Override public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) { throw noData("reduce"); }
    @Override public void addColumnSums(Buffer x, int rows, int cols, Buffer out) { throw noData("addColumnSums"); }
    @Override public void argmax(Buffer x, int outer, int length, int inner, Buffer out) { throw noData("argmax"); }
    @Override public void matmul(boolean ta, boolean tb, int batch, int m, int n, int k, float alpha, Buffer a, int abs,
                                 Buffer b, int bbs, float beta, Buffer c) { throw noData("matmul"); }
    @Override public void layerNormForward(Buffer x, Buffer w, Buffer b, Buffer out, Buffer mean, Buffer rstd, int rows, int cols,
                                           float eps) { throw noData("layerNormForward"); }
    @Override public void layerNormBackward(Buffer dout, Buffer x, Buffer w, Buffer mean, Buffer rstd, Buffer dx, Buffer dw,
                                            Buffer db, int rows, int cols) { throw noData("layerNormBackward"); }
    @Override public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) { throw noData("softmaxForward"); }
    @Override public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) { throw noData("softmaxBackward"); }
    @Override public void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse,
                                           float scale) { throw noData("attentionForward"); }
    @Override public void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse,
                                            Buffer dout, Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        throw noData("attentionBackward");
    }
    @Override public void gather(Buffer src, Buffer index, Buffer out, int outer, int sl, int il, int inner) { throw noData("gather"); }
    @Override public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dl, int il, int inner) { throw noData("scatterAdd"); }
    @Override public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore, Buffer idsKeep, Buffer mask) { throw noData("argsortMask"); }
    @Override public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) { throw noData("adamWRanges"); }
    @Override public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars) { throw noData("adamWRanges"); }
    @Override public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) { throw noData("adamW"); }
    @Override public boolean adamWNonFinite() { throw noData("adamWNonFinite"); }
    @Override public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) { throw noData("clipGlobalNorm"); }
    @Override public void synchronize() {}
    @Override public void close() {}
}
