/**
 * The engine: tensors with reverse-mode autograd, the {@code Backend} contract and its CPU implementation,
 * {@code nn} modules, optimisers, seeded randomness and weight files.
 *
 * <p>Exported: the packages a model, a trainer or a backend is written against. Not exported:
 * {@code dev.tessera.engine.tensor.internal}, the hooks the op families need ({@code wrap}, {@code record},
 * {@code rebind}, …), so they stay out of every other module's reach.
 */
module dev.tessera.engine {
    // The CPU kernels use the Vector API; an incubator module must be named wherever it is read.
    requires transitive jdk.incubator.vector;
    // SafeTensors parses its JSON header with Jackson (no Jackson type is part of the engine's API).
    requires com.fasterxml.jackson.databind;

    exports dev.tessera.engine.backend;
    exports dev.tessera.engine.backend.cpu;
    exports dev.tessera.engine.dist;
    exports dev.tessera.engine.io;
    exports dev.tessera.engine.nn;
    exports dev.tessera.engine.ops;
    exports dev.tessera.engine.optim;
    exports dev.tessera.engine.random;
    exports dev.tessera.engine.tensor;
}
