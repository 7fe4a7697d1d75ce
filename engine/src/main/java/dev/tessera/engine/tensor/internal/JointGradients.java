package dev.tessera.engine.tensor.internal;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Several gradients that one backend kernel computes together, in one pass over its inputs (layer norm's
 * dx, dγ, dβ; attention's dq, dk, dv). Each becomes a {@link Deferred} slot; the kernel runs once the tape
 * has given every slot its destination, which it does before the rule's next input — so when the tape is
 * done with the rule, the kernel has run. Kernels that only add get zero-filled new destinations ({@link #of});
 * kernels that can also overwrite ({@link #overwriting}) write new memory without the zero-fill.
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

    /**
     * As {@link #of}, for a kernel that can overwrite as well as add: it gets {@link GradMode#OVERWRITE} when every
     * needed destination is new uninitialised memory (no input already had a gradient, and no input appears
     * twice — the tape hands a repeated input its own earlier destination to add to), else
     * {@link GradMode#ACCUMULATE}, with the new destinations zero-filled first so that adding is right for all.
     */
    public static Deferred[] overwriting(Backend be, boolean[] needed, BiConsumer<Buffer[], GradMode> kernel) {
        return perSlot(needed, (dst, accumulate) -> {
            boolean allFresh = true;
            for (int j = 0; j < needed.length; j++) if (needed[j] && accumulate[j]) allFresh = false;
            if (!allFresh) {
                for (int j = 0; j < needed.length; j++) if (needed[j] && !accumulate[j]) be.fill(dst[j], 0f);
            }
            kernel.accept(dst, allFresh ? GradMode.OVERWRITE : GradMode.ACCUMULATE);
        });
    }

    /**
     * As {@link #of}, for a kernel that honours each destination's own mode: it gets the destinations and, per slot,
     * whether to add into it ({@code accumulate[i]}, the tape's flag) or overwrite it (new uninitialised memory) — no
     * zero-fill, so the arithmetic is exactly that of the gradients written one by one.
     */
    public static Deferred[] perSlot(boolean[] needed, BiConsumer<Buffer[], boolean[]> kernel) {
        Buffer[] dst = new Buffer[needed.length];
        boolean[] accumulate = new boolean[needed.length];
        Deferred[] slots = new Deferred[needed.length];
        int[] pending = {0};
        for (int i = 0; i < needed.length; i++) {
            if (!needed[i]) continue;
            int slot = i;
            pending[0]++;
            slots[i] = (d, add) -> {
                dst[slot] = d;
                accumulate[slot] = add;
                if (--pending[0] == 0) kernel.accept(dst, accumulate);
            };
        }
        return slots;
    }
}
