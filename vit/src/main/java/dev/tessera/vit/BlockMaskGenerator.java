package dev.tessera.vit;

import java.util.random.RandomGenerator;

/**
 * Block-wise masking (BEiT, Bao et al. 2022, Algorithm 1) in CAE's exact-count form, docs/cae.md#masking. Used by CAE
 * for its masks and by MAE's "block" sampling ablation (MAE paper Table 1f).
 *
 * <p>Rectangles of random area (in patches) and log-uniform aspect ratio are dropped on the G_h×G_w grid
 * until exactly {@code numMasking} cells are masked. Per rectangle (up to 10 attempts):
 * <pre>
 *   area   = uniform(minNumPatches, budget)          budget = min(M − count, maxNumPatches)
 *   aspect = exp(uniform(log minAspect, log maxAspect))
 *   h = round(√(area·aspect)),  w = round(√(area/aspect))        (round half to even, as Python)
 *   if w &lt; G_w and h &lt; G_h:                                    (a block never spans a full side)
 *       top ∈ [0, G_h − h], left ∈ [0, G_w − w]                  (inclusive)
 *       new = h·w − already-masked cells inside;  accept when 0 &lt; new ≤ budget
 * </pre>
 * BEiT stops when an outer round adds nothing and can return fewer than M; CAE removed that exit so every
 * mask has exactly M cells, which the fixed-count gathers downstream need. We do the same.
 *
 * <p>Random draws use the same sequence of calls as Python's {@code random} (uniform, uniform, randint,
 * randint), but not Python's generator, so masks are not bit-identical to the official code's.
 */
public final class BlockMaskGenerator {
    /** Outer rounds after which we give up (never reached for sane settings; guards against an endless loop). */
    private static final int MAX_ROUNDS = 1_000_000;

    private final int height, width, numMasking, minNumPatches, maxNumPatches;
    private final double logAspectLo, logAspectHi;

    /**
     * @param height rows of the patch grid (14 for 224/16)
     * @param width columns of the patch grid
     * @param numMasking M, the exact number of masked cells per mask
     * @param minNumPatches smallest rectangle area drawn (CAE/BEiT scripts pass 16; the class default is 4)
     * @param maxNumPatches largest rectangle area, or ≤ 0 for M
     * @param minAspect smallest aspect ratio (0.3); the largest is 1/minAspect
     */
    public BlockMaskGenerator(int height, int width, int numMasking, int minNumPatches, int maxNumPatches, double minAspect) {
        if (numMasking < 0 || numMasking > height * width) {
            throw new IllegalArgumentException("block masking: " + numMasking + " masked cells on a " + height + "×" + width + " grid");
        }
        if (minAspect <= 0 || minAspect > 1) throw new IllegalArgumentException("block masking: minAspect " + minAspect + " not in (0, 1]");
        if (numMasking > 0 && (height < 2 || width < 2)) {
            // A block is strictly smaller than the grid on each side, so a 1-wide grid can hold none.
            throw new IllegalArgumentException("block masking needs a grid of at least 2×2, got " + height + "×" + width);
        }
        this.height = height;
        this.width = width;
        this.numMasking = numMasking;
        this.minNumPatches = minNumPatches;
        this.maxNumPatches = maxNumPatches > 0 ? maxNumPatches : numMasking;
        this.logAspectLo = Math.log(minAspect);
        this.logAspectHi = Math.log(1 / minAspect);
    }

    /** CAE's settings for a square grid: min 16 patches per block, aspect in [0.3, 1/0.3]. */
    public static BlockMaskGenerator cae(int gridSize, int numMasking) {
        return new BlockMaskGenerator(gridSize, gridSize, numMasking, 16, 0, 0.3);
    }

    public int numMasking() {
        return numMasking;
    }

    /** One mask in raster order (index r·width + c); true = masked. Exactly {@link #numMasking()} are true. */
    public boolean[] next(RandomGenerator rng) {
        boolean[] mask = new boolean[height * width];
        int count = 0;
        for (int round = 0; count != numMasking; round++) {
            if (round == MAX_ROUNDS) {
                throw new IllegalStateException("block masking: could not place " + numMasking + " cells on a "
                        + height + "×" + width + " grid (min block " + minNumPatches + ")");
            }
            int budget = Math.min(numMasking - count, maxNumPatches);
            count += placeBlock(mask, budget, rng);
        }
        return mask;
    }

    /** Up to 10 attempts to place one rectangle adding between 1 and {@code budget} new cells; returns how many. */
    private int placeBlock(boolean[] mask, int budget, RandomGenerator rng) {
        int delta = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            // Python's uniform(a, b) = a + (b − a)·U[0,1), also when b < a (then it samples [b, a]).
            double area = minNumPatches + (budget - minNumPatches) * rng.nextDouble();
            double aspect = Math.exp(logAspectLo + (logAspectHi - logAspectLo) * rng.nextDouble());
            int h = (int) Math.rint(Math.sqrt(area * aspect));
            int w = (int) Math.rint(Math.sqrt(area / aspect));
            if (w < width && h < height) {
                int top = rng.nextInt(height - h + 1), left = rng.nextInt(width - w + 1);
                int already = 0;
                for (int i = top; i < top + h; i++) for (int j = left; j < left + w; j++) if (mask[i * width + j]) already++;
                int fresh = h * w - already;
                if (fresh > 0 && fresh <= budget) {
                    for (int i = top; i < top + h; i++) {
                        for (int j = left; j < left + w; j++) {
                            if (!mask[i * width + j]) {
                                mask[i * width + j] = true;
                                delta++;
                            }
                        }
                    }
                }
            }
            if (delta > 0) break;
        }
        return delta;
    }
}
