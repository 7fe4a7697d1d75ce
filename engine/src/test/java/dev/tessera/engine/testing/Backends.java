package dev.tessera.engine.testing;

import dev.tessera.engine.backend.cpu.CpuBackend;

/** The CPU backend shared by a test class (2 threads, as on CI, so parallel paths are exercised). */
public final class Backends {
    private Backends() {}

    private static final CpuBackend CPU = new CpuBackend(2);

    public static CpuBackend cpu() {
        return CPU;
    }
}
