package dev.tessera.engine.backend.cpu;

/**
 * Token gather along the middle axis and its adjoint, the CPU reference for {@code GatherCuda}.
 * gather: out[o, j, :] = src[o, idx[o, j], :]   (MAE keeps ids_keep; un-shuffles with ids_restore)
 * scatterAdd: dst[o, idx[o, j], :] += src[o, j, :]   (backward of gather; indices may repeat)
 * Work is split over o, so repeated indices within one sample never race. Indices are checked in one serial
 * pass first, so a bad index fails with its position before anything is written, on the caller's thread.
 */
public final class GatherCpu {
    private GatherCpu() {}

    public static void gather(Parallel par, float[] src, int so, int[] idx, int io, float[] out, int oo,
                              int outer, int srcLen, int idxLen, int inner) {
        checkIndices("gather", idx, io, outer, idxLen, srcLen);
        par.forRange(outer, 1, (from, to) -> {
            for (int o = from; o < to; o++) {
                for (int j = 0; j < idxLen; j++) {
                    int t = idx[io + o * idxLen + j];
                    System.arraycopy(src, so + (o * srcLen + t) * inner, out, oo + (o * idxLen + j) * inner, inner);
                }
            }
        });
    }

    public static void scatterAdd(Parallel par, float[] src, int so, int[] idx, int io, float[] dst, int dso,
                                  int outer, int dstLen, int idxLen, int inner) {
        checkIndices("scatterAdd", idx, io, outer, idxLen, dstLen);
        par.forRange(outer, 1, (from, to) -> {
            for (int o = from; o < to; o++) {
                for (int j = 0; j < idxLen; j++) {
                    int t = idx[io + o * idxLen + j];
                    int d = dso + (o * dstLen + t) * inner, s = so + (o * idxLen + j) * inner;
                    for (int c = 0; c < inner; c++) dst[d + c] += src[s + c];
                }
            }
        });
    }

    private static void checkIndices(String op, int[] idx, int io, int outer, int idxLen, int bound) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idxLen; j++) {
                int t = idx[io + o * idxLen + j];
                if (t < 0 || t >= bound) {
                    throw new IndexOutOfBoundsException(op + ": index " + t + " at [" + o + ", " + j
                            + "] is outside [0, " + bound + ")");
                }
            }
        }
    }
}
