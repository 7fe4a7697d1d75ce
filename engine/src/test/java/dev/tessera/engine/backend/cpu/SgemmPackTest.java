package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SgemmVector#packBTransposed} (16×16 register transposes where the vector width allows) and
 * {@link SgemmVector#packATransposed} (8-float moves) against the element-by-element packs they replaced, kept
 * here as the references: the panels and slivers must be the same bits for every width, k-slab, offset and
 * leading dimension, including the zero padding of a panel or sliver cut by the edge.
 */
class SgemmPackTest {

    /** The reference: B~ panel q holds columns jc+q·NR … as [kc][NR], element (p, j) = b[j·ldb + p]; past nc zero. */
    static void packBTransposedReference(float[] b, int bo, int ldb, int pc, int kc, int jc, int nc, float[] bp) {
        int nr = SgemmVector.NR;
        for (int j0 = 0; j0 < nc; j0 += nr) {
            int w = Math.min(nr, nc - j0), panel = j0 * kc;
            for (int j = 0; j < w; j++) {
                int src = bo + (jc + j0 + j) * ldb + pc;
                for (int p = 0; p < kc; p++) bp[panel + p * nr + j] = b[src + p];
            }
            for (int j = w; j < nr; j++) {
                for (int p = 0; p < kc; p++) bp[panel + p * nr + j] = 0f;
            }
        }
    }

    @Test
    void packedPanelsEqualTheElementLoop() {
        SplittableRandom rnd = new SplittableRandom(13);
        int nr = SgemmVector.NR;
        int[] kcs = {1, 15, 16, 17, 31, 32, 33, 64, 100, 192, 256};
        int[] ncs = {1, 5, nr / 2 - 1, nr / 2, nr / 2 + 1, nr - 1, nr, nr + 1, 2 * nr + 7, 3 * nr, 100};
        int cases = 0;
        for (int kc : kcs) {
            for (int nc : ncs) {
                for (int trial = 0; trial < 3; trial++) {
                    int pc = rnd.nextInt(5), jc = rnd.nextInt(4), bo = rnd.nextInt(7);
                    int ldb = pc + kc + rnd.nextInt(3);
                    float[] b = new float[bo + (jc + nc) * ldb + 3];
                    for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
                    int size = (nc + nr - 1) / nr * nr * kc;
                    // Garbage in both outputs: every slot, padding included, must be written.
                    float[] want = new float[size], got = new float[size];
                    java.util.Arrays.fill(want, Float.NaN);
                    java.util.Arrays.fill(got, 42f);
                    packBTransposedReference(b, bo, ldb, pc, kc, jc, nc, want);
                    SgemmVector.packBTransposed(b, bo, ldb, pc, kc, jc, nc, got);
                    String where = "kc=" + kc + " nc=" + nc + " pc=" + pc + " jc=" + jc + " bo=" + bo + " ldb=" + ldb;
                    assertSameBits(want, got, i -> where + ": packed slot " + i + " (panel " + i / (nr * kc)
                            + ", k-step " + i % (nr * kc) / nr + ", column " + i % nr + ")");
                    cases++;
                }
            }
        }
        assertEquals(kcs.length * ncs.length * 3, cases);
    }

    /** The reference: A~ sliver s holds rows ic+s·MR … as [kc][MR], element (i, p) = a[(pc+p)·lda + ic + i]; past mc zero. */
    static void packATransposedReference(float[] a, int ao, int lda, int pc, int kc, int ic, int mc, float[] ap) {
        int mr = SgemmVector.MR, slivers = (mc + mr - 1) / mr;
        for (int sl = 0; sl < slivers; sl++) {
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < mr; r++) {
                    int i = sl * mr + r;
                    ap[sl * mr * kc + p * mr + r] = i < mc ? a[ao + (pc + p) * lda + ic + i] : 0f;
                }
            }
        }
    }

    @Test
    void transposedASliversEqualTheElementLoop() {
        SplittableRandom rnd = new SplittableRandom(17);
        int mr = SgemmVector.MR;
        int[] kcs = {1, 2, 3, 7, 64, 257};
        int[] mcs = {1, mr - 1, mr, mr + 1, 2 * mr, 4 * mr + 3, 24 * mr, 24 * mr + 2};
        int cases = 0;
        for (int kc : kcs) {
            for (int mc : mcs) {
                for (int trial = 0; trial < 3; trial++) {
                    int pc = rnd.nextInt(4), ic = rnd.nextInt(5), ao = rnd.nextInt(6);
                    int lda = ic + mc + rnd.nextInt(3);
                    // Trial 0 ends the array right after the last element read, so the vector move must stop short.
                    int extra = trial == 0 ? 0 : rnd.nextInt(9);
                    float[] a = new float[ao + (pc + kc - 1) * lda + ic + mc + extra];
                    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                    int size = (mc + mr - 1) / mr * mr * kc;
                    float[] want = new float[size], got = new float[size];
                    java.util.Arrays.fill(want, Float.NaN);
                    java.util.Arrays.fill(got, 42f);
                    packATransposedReference(a, ao, lda, pc, kc, ic, mc, want);
                    SgemmVector.packATransposed(a, ao, lda, pc, kc, ic, mc, got);
                    String where = "kc=" + kc + " mc=" + mc + " pc=" + pc + " ic=" + ic + " ao=" + ao + " lda=" + lda;
                    assertSameBits(want, got, i -> where + ": packed slot " + i + " (sliver " + i / (mr * kc)
                            + ", k-step " + i % (mr * kc) / mr + ", row " + i % mr + ")");
                    cases++;
                }
            }
        }
        assertEquals(kcs.length * mcs.length * 3, cases);
    }

    private static void assertSameBits(float[] want, float[] got, java.util.function.IntFunction<String> slot) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) assertEquals(want[i], got[i], slot.apply(i));
        }
    }
}
