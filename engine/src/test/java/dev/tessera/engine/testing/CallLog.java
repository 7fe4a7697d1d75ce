package dev.tessera.engine.testing;

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
import java.util.ArrayList;
import java.util.List;

/**
 * A backend that runs every call on a {@link dev.tessera.engine.backend.cpu.CpuBackend} and, while recording,
 * writes down which primitive was called (memory, copies and kernels; buffer sizes for allocations, beta for
 * GEMMs). Structural tests assert on the list: how many passes over memory an op's backward makes.
 *
 * <p>{@link #poisoningUninitialized} makes every {@link #allocateUninitialized} buffer start as NaN, the worst a
 * backend may hand out there: an op that reads such memory before writing it then shows up as NaN.
 */
public final class CallLog implements Backend {
    private final Backend cpu;
    private final boolean poison;
    private final List<String> calls = new ArrayList<>();
    private boolean recording;

    public CallLog(Backend cpu) {
        this(cpu, false);
    }

    private CallLog(Backend cpu, boolean poison) {
        this.cpu = cpu;
        this.poison = poison;
    }

    /** A backend on {@code cpu} whose uninitialised allocations are filled with NaN. */
    public static CallLog poisoningUninitialized(Backend cpu) {
        return new CallLog(cpu, true);
    }

    /** Starts a fresh list. */
    public void record() {
        calls.clear();
        recording = true;
    }

    /** Stops recording and returns what was called since {@link #record()}. */
    public List<String> stop() {
        recording = false;
        return List.copyOf(calls);
    }

    private void log(String call) {
        if (recording) calls.add(call);
    }

    @Override public String name() { return "log(" + cpu.name() + ")"; }
    @Override public Buffer allocate(int length) { log("allocate " + length); return cpu.allocate(length); }
    @Override
    public Buffer allocateUninitialized(int length) {
        log("allocateUninitialized " + length);
        Buffer b = cpu.allocateUninitialized(length);
        if (poison) cpu.fill(b, Float.NaN);
        return b;
    }
    @Override public Buffer allocateInts(int length) { log("allocateInts " + length); return cpu.allocateInts(length); }
    @Override public StepScope openScope() { return cpu.openScope(); }
    @Override public MemoryStats memoryStats() { return cpu.memoryStats(); }
    @Override public void upload(float[] src, Buffer dst) { log("upload"); cpu.upload(src, dst); }
    @Override public float[] download(Buffer src) { return cpu.download(src); }
    @Override public void uploadInts(int[] src, Buffer dst) { log("uploadInts"); cpu.uploadInts(src, dst); }
    @Override public int[] downloadInts(Buffer src) { return cpu.downloadInts(src); }
    @Override public void fill(Buffer dst, float value) { log("fill"); cpu.fill(dst, value); }

    @Override
    public void copyStrided(Buffer src, int[] srcStrides, Buffer dst, int[] dstStrides, int[] shape, boolean accumulate) {
        log(accumulate ? "copyStrided +=" : "copyStrided");
        cpu.copyStrided(src, srcStrides, dst, dstStrides, shape, accumulate);
    }

    @Override public void unary(UnaryOp op, float param, Buffer x, Buffer out) { log("unary " + op); cpu.unary(op, param, x, out); }

    @Override
    public void binary(BinaryOp op, Buffer a, int[] aStrides, Buffer b, int[] bStrides, Buffer out, int[] shape) {
        log("binary " + op);
        cpu.binary(op, a, aStrides, b, bStrides, out, shape);
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
        log("reduce " + op);
        cpu.reduce(op, x, outer, length, inner, out);
    }

    @Override
    public void argmax(Buffer x, int outer, int length, int inner, Buffer outIndices) {
        log("argmax");
        cpu.argmax(x, outer, length, inner, outIndices);
    }

    @Override
    public void matmul(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                       Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        log("matmul beta " + (int) beta);
        cpu.matmul(transA, transB, batch, m, n, k, alpha, a, aBatchStride, b, bBatchStride, beta, c);
    }

    @Override
    public void layerNormForward(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                                 int rows, int cols, float eps) {
        log("layerNormForward");
        cpu.layerNormForward(x, weight, bias, out, mean, rstd, rows, cols, eps);
    }

    @Override
    public void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                                  Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        log("layerNormBackward");
        cpu.layerNormBackward(dout, x, weight, mean, rstd, dx, dweight, dbias, rows, cols);
    }

    @Override
    public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) {
        log("softmaxForward");
        cpu.softmaxForward(x, out, rows, cols, log);
    }

    @Override
    public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
        log("softmaxBackward");
        cpu.softmaxBackward(dout, out, dx, rows, cols, log);
    }

    @Override
    public void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        log("attentionForward");
        cpu.attentionForward(layout, q, k, v, out, lse, scale);
    }

    @Override
    public void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                                  Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        log("attentionBackward");
        cpu.attentionBackward(layout, q, k, v, out, lse, dout, dq, dk, dv, scale, mode);
    }

    @Override
    public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner) {
        log("gather");
        cpu.gather(src, index, out, outer, srcLength, indexLength, inner);
    }

    @Override
    public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner) {
        log("scatterAdd");
        cpu.scatterAdd(src, index, dst, outer, dstLength, indexLength, inner);
    }

    @Override public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore, Buffer idsKeep, Buffer mask) { log("argsortMask"); cpu.argsortMask(noise, rows, length, keep, idsShuffle, idsRestore, idsKeep, mask); }
    @Override public void addColumnSums(Buffer x, int rows, int cols, Buffer out) { log("addColumnSums"); cpu.addColumnSums(x, rows, cols, out); }
    @Override public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) { log("adamWRanges " + count); cpu.adamWRanges(param, grad, m, v, ranges, count, step); }
    @Override public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars) { log("adamWRanges " + count); cpu.adamWRanges(param, grad, m, v, ranges, count, scalars); }
    @Override public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) { log("adamW"); cpu.adamW(param, grad, m, v, step); }
    @Override public boolean adamWNonFinite() { return cpu.adamWNonFinite(); }
    @Override public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) { log("clipGlobalNorm"); cpu.clipGlobalNorm(grads, maxNorm, norm); }
    @Override public void synchronize() { cpu.synchronize(); }
    @Override public void close() { cpu.close(); }
}
