package dev.tessera.cae;

import dev.tessera.vit.BlockMaskGenerator;
import java.util.random.RandomGenerator;

/**
 * Which patches CAE hides: a boolean mask over the G×G patch grid (raster order, {@code true} = masked) with
 * EXACTLY M masked cells, drawn from a seeded {@link RandomGenerator} (docs/cae.md#masking).
 *
 * <ul>
 *   <li>{@link Kind#BLOCK}: BEiT's block-wise algorithm in CAE's exact-count form (loop until exactly M, no
 *       early exit; Python half-to-even rounding; aspect log-uniform in [0.3, 1/0.3]; blocks strictly
 *       smaller than the grid on each side; inclusive randint bounds). The algorithm itself lives in
 *       {@link BlockMaskGenerator} (vit), which MAE's block-masking ablation shares; this class only fixes
 *       CAE's settings.</li>
 *   <li>{@link Kind#RANDOM}: CAE's RandomMaskingGenerator — a uniformly random set of exactly M cells.</li>
 * </ul>
 *
 * <p>Settings for grids other than 14×14 (Tessera's choice, see cae/README.md):
 * <ul>
 *   <li>M defaults to round(L·98/196) with Python's half-to-even rounding: 98 of 196 (the official scripts'
 *       50%), 24 of 49 (24.5 rounds to even), 128 of 256.</li>
 *   <li>min_num_patches = max(1, round(16·L/196)): the official 16 scaled with the grid, so a block covers the
 *       same fraction of the image as in the official setting (16 on 14×14, 4 on 7×7 — also BEiT's class
 *       default). Unscaled, a 16-cell minimum on a 7×7 grid would make the first block a third of the image.</li>
 *   <li>max_num_patches = M (the official default when not given).</li>
 * </ul>
 */
public final class CaeMaskGenerator {

    /** Block-wise (BEiT/CAE) or uniformly random masking. */
    public enum Kind { BLOCK, RANDOM }

    /** The official aspect range's lower end; the upper end is its inverse. */
    public static final double MIN_ASPECT = 0.3;

    private final Kind kind;
    private final int height, width, numMasked;
    private final BlockMaskGenerator blocks;   // BLOCK only

    /** Full control, as the official constructor (input_size, num_masking_patches, min, max, min_aspect). */
    public CaeMaskGenerator(Kind kind, int height, int width, int numMasked, int minNumPatches, int maxNumPatches,
                            double minAspect) {
        int l = height * width;
        if (height < 2 || width < 2) throw new IllegalArgumentException("mask grid must be at least 2×2, got " + height + "×" + width);
        if (numMasked < 1 || numMasked >= l) {
            throw new IllegalArgumentException("numMasked must be in [1, " + (l - 1) + "] on a " + height + "×" + width
                    + " grid (CAE needs at least one visible and one masked patch), got " + numMasked);
        }
        if (minNumPatches < 1 || maxNumPatches < 1) {
            throw new IllegalArgumentException("min/max patches per block must be >= 1, got " + minNumPatches + ", " + maxNumPatches);
        }
        this.kind = kind;
        this.height = height;
        this.width = width;
        this.numMasked = numMasked;
        this.blocks = kind == Kind.BLOCK
                ? new BlockMaskGenerator(height, width, numMasked, minNumPatches, maxNumPatches, minAspect)
                : null;
    }

    /** Square grid G×G with M masked and the scaled defaults above. */
    public CaeMaskGenerator(Kind kind, int grid, int numMasked) {
        this(kind, grid, grid, numMasked, defaultMinNumPatches(grid * grid), numMasked, MIN_ASPECT);
    }

    /** The official 50%: round(L·98/196) with half-to-even rounding (98 for 196, 24 for 49). */
    public static int defaultNumMasked(int numPatches) {
        return (int) Math.rint(numPatches * 98.0 / 196.0);
    }

    /** The official 16 scaled with the grid: max(1, round(16·L/196)) (16 for 196, 4 for 49). */
    public static int defaultMinNumPatches(int numPatches) {
        return Math.max(1, (int) Math.rint(16.0 * numPatches / 196.0));
    }

    public Kind kind() {
        return kind;
    }

    public int numMasked() {
        return numMasked;
    }

    public int numPatches() {
        return height * width;
    }

    /** A mask of L = H·W cells in raster order (cell r·W + c), exactly M of them true. */
    public boolean[] next(RandomGenerator rng) {
        return kind == Kind.BLOCK ? blocks.next(rng) : random(rng);
    }

    /** Exactly M ones at uniformly random cells: a partial Fisher–Yates shuffle of the cell indices. */
    private boolean[] random(RandomGenerator rng) {
        int l = height * width;
        int[] cells = new int[l];
        for (int i = 0; i < l; i++) cells[i] = i;
        boolean[] mask = new boolean[l];
        for (int i = 0; i < numMasked; i++) {
            int j = i + rng.nextInt(l - i);
            int t = cells[i];
            cells[i] = cells[j];
            cells[j] = t;
            mask[cells[i]] = true;
        }
        return mask;
    }
}
