package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;

/**
 * BEiT's learned relative position bias (Bao et al. 2022, §2.4; {@code Attention} of BEiT's and CAE's
 * {@code modeling_finetune.py}), added to one block's attention logits before the softmax:
 * <pre>
 *   table  [(2G−1)² + 3, h]   zero-initialised, trainable           (relative_position_bias_table)
 *   index  [T, T], T = 1+G²   patch i → patch j: (Δrow + G−1)·(2G−1) + (Δcol + G−1),  Δ = i − j
 *                             cls → patch: R−3, patch → cls: R−2, cls → cls: R−1   (R = table rows)
 *   bias   [h, T, T]          bias[n, i, j] = table[index[i, j], n]
 * </pre>
 * Each block owns its table (the official fine-tuning turns {@code rel_pos_bias} into per-block tables; only
 * BEiT's shared variant has one for the model). The table is 2-D, so the usual rule decays it: CAE's
 * {@code run_class_finetuning.py} exempts it only under {@code --disable_weight_decay_on_rel_pos_bias}, which
 * is off by default, and {@code no_weight_decay()} names just {@code pos_embed} and {@code cls_token}. Its name
 * {@code blocks.i.attn.relative_position_bias_table} puts it in block i's layer-decay group. The table is the
 * attention's parameter ({@link Attention} registers it under that name); this class is its lookup.
 */
public final class RelativePositionBias {
    private final int grid, heads;
    private final Tensor index;   // int32 [T·T], not a checkpoint tensor: it follows from the grid

    public RelativePositionBias(Backend backend, int grid, int heads) {
        if (grid <= 0 || heads <= 0) {
            throw new IllegalArgumentException("RelativePositionBias: grid " + grid + " and heads " + heads + " must be positive");
        }
        this.grid = grid;
        this.heads = heads;
        int t = tokens();
        this.index = Tensor.ofInts(backend, index(grid), t * t);
    }

    /** (2G−1)² relative offsets plus the 3 cls entries. */
    public static int rows(int grid) {
        return (2 * grid - 1) * (2 * grid - 1) + 3;
    }

    /** BEiT's {@code relative_position_index} of a G×G grid with a leading cls token, row-major [T·T]. */
    public static int[] index(int grid) {
        int l = grid * grid, t = l + 1, span = 2 * grid - 1, r = rows(grid);
        int[] idx = new int[t * t];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j < l; j++) {
                int dRow = i / grid - j / grid + grid - 1, dCol = i % grid - j % grid + grid - 1;
                idx[(i + 1) * t + (j + 1)] = dRow * span + dCol;
            }
        }
        for (int j = 0; j < t; j++) idx[j] = r - 3;          // cls → token (row 0)
        for (int i = 0; i < t; i++) idx[i * t] = r - 2;      // token → cls (column 0)
        idx[0] = r - 1;                                      // cls → cls
        return idx;
    }

    /** A zero table of the right shape, [(2G−1)²+3, h] — BEiT's initial value. */
    public Tensor zeroTable(Backend backend) {
        return Tensor.zeros(backend, rows(grid), heads);
    }

    /** table [(2G−1)²+3, h] → the bias [h, T, T]; differentiable in the table (gather's adjoint scatter-adds). */
    public Tensor bias(Tensor table) {
        int t = tokens();
        if (table.rank() != 2 || table.dim(0) != rows(grid) || table.dim(1) != heads) {
            throw new IllegalArgumentException("RelativePositionBias: table " + java.util.Arrays.toString(table.shape())
                    + " is not [" + rows(grid) + ", " + heads + "] for a " + grid + "×" + grid + " grid");
        }
        return table.gather(0, index)                       // [T·T, h]
                .reshape(t, t, heads)
                .permute(2, 0, 1);                          // [h, T, T]
    }

    /** T = 1 + G², the sequence length the bias is for. */
    public int tokens() {
        return grid * grid + 1;
    }
}
