package dev.tessera.interop;

import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.tensor.Shape;
import java.util.Arrays;

/**
 * The few host-side tensor edits the name mappings need: taking row blocks of a matrix (a fused qkv into q, k, v),
 * stacking them back, zeros, and scaling rows (folding LayerScale into the Linear before it). All float32.
 */
final class HostTensors {
    private HostTensors() {}

    /** {@code t} as float32 (F16/BF16/F64 values were already widened on read; only the label changes). */
    static TensorData f32(TensorData t, String name) {
        if (!t.isFloating()) throw new IllegalArgumentException("tensor '" + name + "' is " + t.dtype() + ", not a float");
        return t.dtype().equals("F32") ? t : TensorData.f32(t.floats(), t.shape());
    }

    /** Rows [from, to) of the first axis: {@code qkv.weight[D:2D]} is the key projection. */
    static TensorData rows(TensorData t, int from, int to) {
        int[] s = t.shape();
        int inner = t.numel() / s[0];
        s[0] = to - from;
        return TensorData.f32(Arrays.copyOfRange(t.floats(), from * inner, to * inner), s);
    }

    /** Concatenation along the first axis; every part has the same trailing shape. */
    static TensorData cat(String name, TensorData... parts) {
        int[] s = parts[0].shape();
        int rows = 0, n = 0;
        for (TensorData p : parts) {
            int[] ps = p.shape();
            if (ps.length != s.length || !Arrays.equals(Arrays.copyOfRange(ps, 1, ps.length), Arrays.copyOfRange(s, 1, s.length))) {
                throw new IllegalArgumentException("tensor '" + name + "': parts " + Shape.str(s) + " and " + Shape.str(ps) + " do not stack");
            }
            rows += ps[0];
            n += p.numel();
        }
        float[] out = new float[n];
        int at = 0;
        for (TensorData p : parts) {
            System.arraycopy(p.floats(), 0, out, at, p.numel());
            at += p.numel();
        }
        s[0] = rows;
        return TensorData.f32(out, s);
    }

    static TensorData zeros(int... shape) {
        return TensorData.f32(new float[Shape.numel(shape)], shape);
    }

    /** diag(g)·W for a [rows, …] tensor, or g ⊙ b for a vector: γ ⊙ (W x + b) = (diag(γ) W) x + γ ⊙ b. */
    static TensorData scaleRows(TensorData t, TensorData g) {
        int rows = t.shape()[0], inner = t.numel() / rows;
        if (g.numel() != rows) throw new IllegalArgumentException("scale of " + g.numel() + " for " + rows + " rows");
        float[] v = t.floats().clone(), s = g.floats();
        for (int r = 0; r < rows; r++) for (int j = 0; j < inner; j++) v[r * inner + j] *= s[r];
        return TensorData.f32(v, t.shape());
    }

    static boolean allZero(TensorData t) {
        for (float v : t.floats()) if (v != 0f) return false;
        return true;
    }
}
