package dev.tessera.engine.backend;

/** Reductions along one axis of a [outer, length, inner] view. */
public enum ReduceOp {
    SUM, MAX
}
