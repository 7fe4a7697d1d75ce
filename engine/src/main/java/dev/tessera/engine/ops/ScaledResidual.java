package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A transformer block's residual branch, {@code x + drop_path(gamma * a)} (BEiT/CAE blocks: LayerScale from CaiT,
 * Touvron et al. 2021; drop path as timm), as one op ({@link Backend#scaledResidual}) instead of a multiply by
 * gamma, a multiply by the drop-path mask and an add, each a full pass over [N, T, D]. Same values, gradients and
 * random draws as that composition ({@code ScaledResidualTest}): the mask is drawn by {@link Dropout#dropPathKeep}
 * from the same generator, every element is rounded as the separate ops round it, and gamma's gradient is summed
 * one axis at a time as broadcasting's backward sums it. Views and other shapes take the composed form itself.
 */
public final class ScaledResidual {
    private ScaledResidual() {}

    /**
     * {@code x + dropPath(a·gamma, p)}; x and a [N, T, D], gamma [D] or null (no LayerScale). Without gamma and with
     * drop path off (p = 0 or not training) this is {@code x.add(a)}.
     */
    public static Tensor add(Tensor x, Tensor a, Tensor gamma, float p, RandomGenerator rng, boolean training) {
        float[] keep = Dropout.dropPathKeep("scaledResidual", x, p, rng, training);
        if (gamma == null && keep == null) return x.add(a);
        int[] shape = x.shape();
        if (x.rank() != 3 || !Arrays.equals(shape, a.shape()) || x.isInt() || a.isInt() || !x.isContiguous()
                || !a.isContiguous() || (gamma != null && (gamma.rank() != 1 || gamma.dim(0) != shape[2] || gamma.isInt()
                || !gamma.isContiguous()))) {
            // Other shapes keep the composed form (same draws, same arithmetic); the model blocks are [N, T, D].
            // So do views (CAE's first regressor block adds onto the expanded mask token): a contiguous copy would
            // be one more node in the graph, which changes the order in which the view's several uses add up
            // their gradients, and so the last bits of the mask token's gradient.
            Tensor t = gamma == null ? a : a.mul(gamma);
            return x.add(keep == null ? t : t.mul(Tensor.of(x.backend(), keep, Dropout.maskShape(x))));
        }
        Backend be = x.backend();
        int samples = shape[0], rows = shape[1], cols = shape[2];
        Tensor xc = x, ac = a, gc = gamma;
        Buffer keepBuf = null;
        if (keep != null) {
            keepBuf = be.allocateUninitialized(samples);
            be.upload(keep, keepBuf);
        }
        Buffer out = be.allocateUninitialized(samples * rows * cols);
        be.scaledResidual(xc.buffer(), ac.buffer(), gc == null ? null : gc.buffer(), keepBuf, samples, rows, cols, out);
        Buffer keepFinal = keepBuf;
        Tensor[] inputs = gc == null ? new Tensor[] {xc, ac} : new Tensor[] {xc, ac, gc};
        return Tape.record("scaledResidual", wrap(be, out, shape), g -> {
            Tensor gg = g.isContiguous() ? g : g.contiguous();
            Tensor da = null, dgamma = null;
            Buffer daBuf = ac.requiresGrad() ? be.allocateUninitialized(samples * rows * cols) : null;
            Buffer dgBuf = gc != null && gc.requiresGrad() ? be.allocateUninitialized(cols) : null;
            if (daBuf != null || dgBuf != null) {
                be.scaledResidualBackward(gg.buffer(), ac.buffer(), gc == null ? null : gc.buffer(), keepFinal,
                        samples, rows, cols, daBuf, false, dgBuf);
            }
            if (daBuf != null) da = wrap(be, daBuf, shape);
            if (dgBuf != null) dgamma = wrap(be, dgBuf, cols);
            // x's gradient is g itself, as the add's rule gives it.
            return gc == null ? new Tensor[] {g, da} : new Tensor[] {g, da, dgamma};
        }, inputs);
    }
}
