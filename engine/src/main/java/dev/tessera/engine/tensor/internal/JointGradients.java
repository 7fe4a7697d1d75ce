package dev.tessera.engine.tensor.internal;

import dev.tessera.engine.backend.Buffer;
import java.util.function.Consumer;

/**
 * Several gradients that one backend kernel computes together, in one pass over its inputs (layer norm's
 * dx, dγ, dβ; attention's dq, dk, dv). Each becomes a {@link Deferred} slot; the kernel runs once the tape
 * has given every slot its destination, which it does before the rule's next input — so when the tape is
 * done with the rule, the kernel has run. The kernels add, so new destinations come zero-filled.
 */
public final class JointGradients {
    private JointGradients() {}

    /**
     * One slot per input, null where {@code needed} is false; {@code kernel} receives the destinations
     * (null for inputs that need no gradient).
     */
    public static Deferred[] of(boolean[] needed, Consumer<Buffer[]> kernel) {
        Buffer[] dst = new Buffer[needed.length];
        Deferred[] slots = new Deferred[needed.length];
        int[] pending = {0};
        for (int i = 0; i < needed.length; i++) {
            if (!needed[i]) continue;
            int slot = i;
            pending[0]++;
            slots[i] = Deferred.adding(d -> {
                dst[slot] = d;
                if (--pending[0] == 0) kernel.accept(dst);
            });
        }
        return slots;
    }
}
