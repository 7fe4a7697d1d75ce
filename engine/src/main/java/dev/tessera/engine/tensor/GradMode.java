package dev.tessera.engine.tensor;

/**
 * Whether ops record themselves on the autograd tape. Evaluation, the optimizer step and CAE's alignment
 * target run inside {@code try (var off = GradMode.noGrad()) { ... }}: nothing they compute keeps a
 * backward rule, so nothing flows back into the weights they read (stop-gradient, docs/cae.md#alignment).
 * The flag is per thread, as in PyTorch.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Disables recording until the returned handle is closed; restores the previous state (nestable). */
    public static Restore noGrad() {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = false;
        return () -> flag[0] = previous;
    }

    /** A handle whose close() restores the previous grad mode; it throws nothing. */
    @FunctionalInterface
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }
}
