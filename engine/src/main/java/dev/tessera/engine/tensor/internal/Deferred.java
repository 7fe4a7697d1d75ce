package dev.tessera.engine.tensor.internal;

import dev.tessera.engine.backend.Buffer;
import java.util.function.Consumer;

/**
 * A gradient a {@link FusedBackward} rule returns before computing it, so that a GEMM or a fused kernel can
 * write it straight where it belongs. The tape picks the destination, a contiguous buffer of the input's size,
 * and calls {@link #write} once:
 * <ul>
 *   <li>the input already has a gradient: {@code dst} is it, {@code accumulate} is true (add to it);</li>
 *   <li>it has none yet: {@code dst} is new memory that becomes its gradient without a copy — uninitialised
 *       with {@code accumulate} false (overwrite every element), or, for a kernel that can only add
 *       ({@link #canOverwrite()} false), zero-filled with {@code accumulate} true.</li>
 * </ul>
 */
public interface Deferred {
    void write(Buffer dst, boolean accumulate);

    /** False for kernels that only add ({@code +=}): the tape then zero-fills a new destination first. */
    default boolean canOverwrite() {
        return true;
    }

    /** A gradient written by a kernel that adds into its destination (the backend's fused backward ops). */
    static Deferred adding(Consumer<Buffer> kernel) {
        return new Deferred() {
            @Override
            public void write(Buffer dst, boolean accumulate) {
                kernel.accept(dst);
            }

            @Override
            public boolean canOverwrite() {
                return false;
            }
        };
    }
}
