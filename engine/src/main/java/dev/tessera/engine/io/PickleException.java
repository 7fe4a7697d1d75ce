package dev.tessera.engine.io;

/**
 * A pickle could not be read: damaged data, an opcode Tessera does not support, or a Python global that the
 * whitelist refuses ({@link #refusedGlobal()} then names it, e.g. {@code posix.system}). The message is one line
 * naming the file and the problem.
 */
public final class PickleException extends RuntimeException {
    private final String refusedGlobal;

    PickleException(String message, String refusedGlobal) {
        super(message);
        this.refusedGlobal = refusedGlobal;
    }

    /** The module.name the reader refused to import or call, or null when the problem is something else. */
    public String refusedGlobal() {
        return refusedGlobal;
    }
}
