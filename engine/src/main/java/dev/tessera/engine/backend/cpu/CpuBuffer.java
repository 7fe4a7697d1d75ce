package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.Buffer;

/**
 * A view onto a Java array: {@code floats[offset .. offset+length)} (or {@code ints[...]}). The array is the
 * allocation the pool recycles; views share it.
 */
final class CpuBuffer implements Buffer {
    final float[] floats;
    final int[] ints;
    final int offset;
    private final int length;
    /** The scope that owns the array, kept only with {@code DebugScopes.ON} (null: persistent, or not tracked). */
    private final CpuBackend.Scope scope;

    CpuBuffer(float[] floats, int[] ints, int offset, int length, CpuBackend.Scope scope) {
        this.floats = floats;
        this.ints = ints;
        this.offset = offset;
        this.length = length;
        this.scope = scope;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public Buffer slice(int offset, int length) {
        Buffer.checkRange("slice", this, offset, length);
        return new CpuBuffer(floats, ints, this.offset + offset, length, scope);
    }

    @Override
    public boolean released() {
        return scope != null && scope.closed;
    }

    @Override
    public boolean isInt() {
        return ints != null;
    }

    /** The backing float array; callers index from {@link #offset}. */
    static float[] f(Buffer b) {
        CpuBuffer c = cast(b);
        if (c.floats == null) throw new IllegalArgumentException("expected a float32 buffer, got int32");
        return c.floats;
    }

    static int[] i(Buffer b) {
        CpuBuffer c = cast(b);
        if (c.ints == null) throw new IllegalArgumentException("expected an int32 buffer, got float32");
        return c.ints;
    }

    static int off(Buffer b) {
        return cast(b).offset;
    }

    static CpuBuffer cast(Buffer b) {
        if (b instanceof CpuBuffer c) return c;
        throw new IllegalArgumentException("buffer " + b + " does not belong to the CPU backend");
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + (ints != null ? "int32" : "float32") + ", offset " + offset + ", length " + length
                + (scope != null ? ", scope #" + scope.generation + (scope.closed ? " (closed)" : "") : "") + "]";
    }
}
