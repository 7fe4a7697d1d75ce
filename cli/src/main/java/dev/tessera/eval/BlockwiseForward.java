package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A frozen {@link VisionTransformer}'s forward pass for evaluation, computed block by block so that memory holds
 * one block's activations at a time. In a single step scope every temporary of all blocks stays alive until the
 * scope closes — for mae-tiny at 256 images that is about 2.6 GB (12 blocks × ~216 MB of qkv, MLP and residual
 * buffers) — while here each block runs in its own nested scope and only its output [N, 1+L, D] is copied out,
 * so the peak is one block's ~220 MB plus the block outputs. The numbers are exactly
 * {@link VisionTransformer#forwardFeatures} / {@link VisionTransformer#features}: the same modules in the same
 * order (checked by the tests). Runs under no-grad; the caller owns the outer scope.
 */
final class BlockwiseForward {
    private BlockwiseForward() {}

    /** Tokens entering block {@code upTo} (all blocks when upTo = depth): [N, 1+L, D]. */
    static Tensor tokens(VisionTransformer vit, Tensor images, int upTo) {
        Backend be = images.backend();
        List<Block> blocks = vit.blocks();
        if (upTo < 0 || upTo > blocks.size()) throw new IllegalArgumentException("block " + upTo + " of " + blocks.size());
        try (var _ = GradMode.noGrad()) {
            Map<String, Tensor> state = vit.stateDict();
            int n = images.dim(0), d = vit.config().dim();
            int[] shape = {n, 1 + vit.config().numPatches(), d};
            Tensor x = nested(be, shape, () -> {
                Tensor t = vit.patchEmbed().forward(images);                                      // [N, L, D]
                return Tensor.concat(1, state.get("cls_token").expand(n, 1, d), t).add(state.get("pos_embed")); // [N, 1+L, D]
            });
            for (int i = 0; i < upTo; i++) {
                Block b = blocks.get(i);
                Tensor in = x;
                x = nested(be, shape, () -> b.forward(in));
            }
            return x;
        }
    }

    /** {@link VisionTransformer#forwardFeatures}: all blocks, then the final norm when the model has one. */
    static Tensor forwardFeatures(VisionTransformer vit, Tensor images) {
        Tensor x = tokens(vit, images, vit.blocks().size());
        Module norm = vit.children().get("norm");
        if (norm == null) return x;
        try (var _ = GradMode.noGrad()) {
            return nested(images.backend(), x.shape(), () -> ((LayerNorm) norm).forward(x));
        }
    }

    /** {@link VisionTransformer#features}: [N, D] for CLS or AVG pooling. */
    static Tensor features(VisionTransformer vit, Tensor images, Pool pool) {
        Module norm = vit.children().get("norm"), fcNorm = vit.children().get("fc_norm");
        if (pool == Pool.CLS && norm == null) {
            throw new IllegalArgumentException("CLS features of a model built with pool AVG: it has fc_norm, not the final norm the cls"
                    + " feature needs");
        }
        Tensor x = forwardFeatures(vit, images);                                                  // [N, 1+L, D]
        int n = x.dim(0), l = x.dim(1) - 1, d = x.dim(2);
        try (var _ = GradMode.noGrad()) {
            if (pool == Pool.CLS) return x.narrow(1, 0, 1).reshape(n, d);                        // [N, D]
            Tensor avg = x.narrow(1, 1, l).mean(1, false);                                       // [N, D] cls excluded
            return fcNorm != null ? ((LayerNorm) fcNorm).forward(avg) : avg;
        }
    }

    /**
     * Computes {@code f} in a nested scope and copies its result (of {@code shape}) into a tensor allocated
     * beforehand in the enclosing scope, so that everything else {@code f} allocated is released at once.
     */
    private static Tensor nested(Backend be, int[] shape, Supplier<Tensor> f) {
        Tensor out = Tensor.zeros(be, shape);                       // owned by the caller's scope
        try (StepScope _ = be.openScope()) {
            Tensor y = f.get();
            if (!java.util.Arrays.equals(y.shape(), shape)) {
                throw new IllegalStateException("blockwise forward: expected " + Shape.str(shape) + ", got " + Shape.str(y.shape()));
            }
            be.copyStrided(y.buffer(), y.strides(), out.buffer(), Shape.contiguousStrides(shape), shape, false);
        }
        return out;
    }
}
