package dev.tessera.mae;

import dev.tessera.vit.BlockMaskGenerator;
import java.util.random.RandomGenerator;

/**
 * How MAE picks the patches to remove (MAE paper §4.1, Table 1f: random 75% is best; block-wise and grid-wise
 * sampling are the ablations).
 *
 * <p>Every strategy is expressed as the per-sample {@code noise [N, L]} that {@link MaskedAutoencoder#randomMasking}
 * argsorts, so there is exactly one masking code path and tests can pass the same noise to PyTorch:
 * the {@code len_keep} patches with the SMALLEST noise are kept. Non-random strategies give each patch they
 * want visible a noise in [0, 0.5) and each patch they want removed a noise in [0.5, 1); the random part inside
 * each half only orders patches within the group (that order is the encoder's token order).
 * <ul>
 *   <li>{@link #RANDOM}: noise ~ U[0, 1) — a uniformly random subset of size len_keep (the official method).</li>
 *   <li>{@link #BLOCK}: BEiT-style rectangles ({@link BlockMaskGenerator}, exact count) cover exactly
 *       L − len_keep patches. Minimum block area 16 as BEiT/CAE on a 14×14 grid, reduced on small grids
 *       to ⌊(G−1)²/4⌋ (at least 1) so that blocks, which are strictly smaller than the grid, can fit.</li>
 *   <li>{@link #GRID}: keep the top-left patch of every 2×2 cell (row and column even), remove the rest —
 *       the paper's "keep one of every four". For even G that is exactly L/4 (ratio 0.75). For odd G there are
 *       ⌈G/2⌉² grid patches; argsort still keeps len_keep = ⌊L·(1 − ratio)⌋ of them (if that is fewer, a random
 *       subset of the grid patches; if more, some random non-grid patches join them).</li>
 * </ul>
 */
public enum MaskingStrategy {
    RANDOM,
    BLOCK,
    GRID;

    /**
     * Noise for {@code n} images on a G×G grid, row-major [n, G²].
     *
     * @param lenKeep number of visible patches the caller will keep (block masking removes exactly G² − lenKeep)
     */
    public float[] noise(int n, int gridSize, int lenKeep, RandomGenerator rng) {
        int l = gridSize * gridSize;
        if (lenKeep < 0 || lenKeep > l) throw new IllegalArgumentException("len_keep " + lenKeep + " for " + l + " patches");
        float[] noise = new float[n * l];
        switch (this) {
            case RANDOM -> {
                for (int i = 0; i < noise.length; i++) noise[i] = rng.nextFloat();
            }
            case GRID -> {
                for (int s = 0; s < n; s++) {
                    for (int r = 0; r < gridSize; r++) {
                        for (int c = 0; c < gridSize; c++) {
                            boolean visible = r % 2 == 0 && c % 2 == 0;
                            noise[s * l + r * gridSize + c] = split(visible, rng);
                        }
                    }
                }
            }
            case BLOCK -> {
                int minPatches = Math.max(1, Math.min(16, (gridSize - 1) * (gridSize - 1) / 4));
                BlockMaskGenerator gen = new BlockMaskGenerator(gridSize, gridSize, l - lenKeep, minPatches, 0, 0.3);
                for (int s = 0; s < n; s++) {
                    boolean[] removed = gen.next(rng);
                    for (int i = 0; i < l; i++) noise[s * l + i] = split(!removed[i], rng);
                }
            }
        }
        return noise;
    }

    /** Visible → [0, 0.5), removed → [0.5, 1). */
    private static float split(boolean visible, RandomGenerator rng) {
        float u = 0.5f * rng.nextFloat();
        return visible ? u : 0.5f + u;
    }

    /** Case-insensitive parse with an error listing the valid names. */
    public static MaskingStrategy parse(String s) {
        for (MaskingStrategy m : values()) if (m.name().equalsIgnoreCase(s)) return m;
        throw new IllegalArgumentException("unknown masking strategy '" + s + "'; valid: random, block, grid");
    }
}
