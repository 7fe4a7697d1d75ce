package dev.tessera.engine.backend;

/**
 * A window onto memory owned by one {@link Backend}: {@code length} float32 (or int32) elements starting at
 * some offset inside a larger allocation. Views are cheap and never copy; a tensor's storage is always a
 * Buffer view, so narrowing a tensor or pointing a parameter into the flat parameter store is just
 * {@link #slice}. Only the backend that made a buffer may read or write it.
 */
public interface Buffer {
    /** Number of elements in this view. */
    int length();

    /** A view of {@code length} elements starting {@code offset} elements into this view. */
    Buffer slice(int offset, int length);

    /** True for an int32 buffer (token indices, labels); false for float32. */
    boolean isInt();

    /**
     * True once the step scope that owned this memory has closed (the memory may already hold another step's
     * data). Backends track it where it is cheap; the CPU backend only with {@link DebugScopes#ON}.
     */
    default boolean released() {
        return false;
    }

    /** Checks {@code offset + length <= length()} and names the caller when not. */
    static void checkRange(String what, Buffer b, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > b.length()) {
            throw new IllegalArgumentException(what + ": range [" + offset + ", " + ((long) offset + length)
                    + ") is outside a buffer of " + b.length() + " elements");
        }
    }
}
