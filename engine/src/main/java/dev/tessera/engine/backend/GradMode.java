package dev.tessera.engine.backend;

/**
 * How a fused backward primitive writes a gradient buffer. {@link #ACCUMULATE} ({@code +=}) is the backend's
 * default convention (a tensor may feed several consumers; see {@link Backend}); {@link #OVERWRITE} is for a
 * destination the caller has just allocated uninitialised and that the call covers completely, which saves the
 * zero-fill (and, on a GPU, the memset launch) that accumulating into fresh memory needs.
 */
public enum GradMode {
    ACCUMULATE,
    OVERWRITE
}
