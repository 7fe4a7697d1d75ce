package dev.tessera.engine.backend;

/**
 * The step-scope safety net, off by default and on in the test suite. When a {@link StepScope} closes, its
 * buffers go back to the pool and the next step reuses them, so a tensor that outlives its scope would
 * silently read another step's data. With the net on, a closing scope poisons what it releases (float
 * buffers become NaN) and marks its buffers {@link Buffer#released() released}; {@code Tensor.buffer()} checks
 * the mark on every access and fails with a message naming the tensor's op and the op that touched it.
 *
 * <p>Turn it on with {@code -Dtessera.debug.scopes=true} (the parent POM passes it to every Surefire run) or,
 * for a {@code ./tessera} run, with the environment variable {@code TESSERA_DEBUG_SCOPES=1}. Off, every check
 * is behind this {@code static final} flag, which the JIT folds away.
 */
public final class DebugScopes {
    private DebugScopes() {}

    /** Whether released buffers are poisoned and checked. */
    public static final boolean ON = Boolean.getBoolean("tessera.debug.scopes")
            || "1".equals(System.getenv("TESSERA_DEBUG_SCOPES"));
}
