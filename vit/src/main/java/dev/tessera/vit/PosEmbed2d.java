package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;

/**
 * The fixed 2-D sin-cos position table of MAE ({@code util/pos_embed.py}) and CAE
 * ({@code build_2d_sincos_position_embedding}), docs/vit.md#position-embedding.
 *
 * <p>With Q = D/4 and ω_k = 10000^(−k/Q), k = 0..Q−1, patch (row r, column c) gets
 * <pre>
 *   dims      MAE order     CAE order
 *   [0, Q)    sin(c·ω_k)    sin(r·ω_k)
 *   [Q, 2Q)   cos(c·ω_k)    cos(r·ω_k)
 *   [2Q, 3Q)  sin(r·ω_k)    sin(c·ω_k)
 *   [3Q, 4Q)  cos(r·ω_k)    cos(c·ω_k)
 * </pre>
 * sin and cos are concatenated, not interleaved. Patch n = r·G + c (raster order); the optional cls row 0 is
 * all zeros. MAE's first half encodes the column even though its code calls it {@code emb_h}
 * (facebookresearch/mae#18); the CAE table is the MAE table with its two halves swapped.
 *
 * <p>Precision follows each source: MAE computes ω and the products in float64 (NumPy) and casts the finished
 * table to float32; CAE computes everything in float32 (torch). They differ by about 1e-7.
 */
public final class PosEmbed2d {
    private PosEmbed2d() {}

    /** Which coordinate the first half of the table encodes. */
    public enum Order {
        /** First half = column (x), second half = row (y); float64 then cast (MAE). */
        MAE,
        /** First half = row (y), second half = column (x); float32 throughout (CAE). */
        CAE
    }

    /**
     * The table as a row-major float array of shape [(cls ? 1 : 0) + G², D].
     *
     * @param dim D, divisible by 4
     * @param gridSize G patches per side
     * @param clsRow prepend the all-zero cls row
     */
    public static float[] table(int dim, int gridSize, boolean clsRow, Order order) {
        if (dim % 4 != 0) throw new IllegalArgumentException("sin-cos position table: dim " + dim + " is not divisible by 4");
        int q = dim / 4, first = clsRow ? 1 : 0;
        float[] out = new float[(first + gridSize * gridSize) * dim];
        for (int r = 0; r < gridSize; r++) {
            for (int c = 0; c < gridSize; c++) {
                int base = (first + r * gridSize + c) * dim;
                int a = order == Order.MAE ? c : r; // coordinate of the first half
                int b = order == Order.MAE ? r : c; // coordinate of the second half
                for (int k = 0; k < q; k++) {
                    if (order == Order.MAE) {
                        double omega = 1.0 / Math.pow(10000.0, k / (double) q);
                        out[base + k] = (float) Math.sin(a * omega);
                        out[base + q + k] = (float) Math.cos(a * omega);
                        out[base + 2 * q + k] = (float) Math.sin(b * omega);
                        out[base + 3 * q + k] = (float) Math.cos(b * omega);
                    } else {
                        // float32 at every step, as torch does: ω = 1 / 10000^(k/Q), then a·ω, then sin/cos.
                        float omega = 1f / (float) Math.pow(10000.0, (float) k / (float) q);
                        float xa = a * omega, xb = b * omega;
                        out[base + k] = (float) Math.sin(xa);
                        out[base + q + k] = (float) Math.cos(xa);
                        out[base + 2 * q + k] = (float) Math.sin(xb);
                        out[base + 3 * q + k] = (float) Math.cos(xb);
                    }
                }
            }
        }
        return out;
    }

    /** The table with its zero cls row as a tensor [1, 1 + G², D], the shape of {@code pos_embed}. */
    public static Tensor tensor(Backend backend, int dim, int gridSize, Order order) {
        return Tensor.of(backend, table(dim, gridSize, true, order), 1, 1 + gridSize * gridSize, dim);
    }
}
