package dev.tessera.engine.io;

import dev.tessera.engine.tensor.Shape;
import java.util.Arrays;

/**
 * One tensor of a safetensors file on the host: its stored dtype, shape and values. Floating dtypes
 * (F32, F16, BF16) carry {@code floats} (F16/BF16 converted to float32 on read, rounded to nearest-even on
 * write); integer dtypes (I32, I64) carry {@code ints} (I64 values must fit in int32). The value arrays
 * are shared, not copied.
 */
public record TensorData(String dtype, int[] shape, float[] floats, int[] ints) {
    public TensorData {
        if (dtype == null || !SafeTensors.SUPPORTED.contains(dtype)) {
            throw new IllegalArgumentException("TensorData: dtype " + dtype + " is not one of " + SafeTensors.SUPPORTED);
        }
        boolean floating = isFloating(dtype);
        if (floating ? floats == null || ints != null : ints == null || floats != null) {
            throw new IllegalArgumentException("TensorData: dtype " + dtype + " needs " + (floating ? "floats" : "ints")
                    + " and only those");
        }
        shape = shape.clone();
        int n = Shape.numel(shape);
        int have = floating ? floats.length : ints.length;
        if (have != n) {
            throw new IllegalArgumentException("TensorData: " + have + " values for shape " + Shape.str(shape));
        }
    }

    public static TensorData f32(float[] values, int... shape) {
        return new TensorData("F32", shape, values, null);
    }

    public static TensorData i32(int[] values, int... shape) {
        return new TensorData("I32", shape, null, values);
    }

    public static TensorData i64(int[] values, int... shape) {
        return new TensorData("I64", shape, null, values);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int numel() {
        return Shape.numel(shape);
    }

    /**
     * Fails unless every value is finite, naming {@code file}, the tensor {@code name}, the value and its element:
     * a NaN or infinity read from a weight or checkpoint file is damage (or a diverged run), and training or
     * evaluating on it gives garbage that looks like a result. Integer tensors are always finite.
     */
    public void requireFinite(String file, String name) {
        if (floats == null) return;
        for (int i = 0; i < floats.length; i++) {
            if (!Float.isFinite(floats[i])) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' holds " + floats[i] + " at element " + i);
            }
        }
    }

    public boolean isFloating() {
        return isFloating(dtype);
    }

    static boolean isFloating(String dtype) {
        return dtype.equals("F32") || dtype.equals("F16") || dtype.equals("BF16");
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
