package dev.tessera.engine.ops;

import dev.tessera.engine.tensor.Tensor;

/**
 * Handing a gradient to an input without copying it. Backward rules produce gradients that nobody else
 * holds: a fresh tensor (mul(g, b), neg(g), a reduction), or the output's own gradient g passed through a
 * view (reshape, expand of nothing, the identity of contiguous/add), which the tape never reads again once
 * the output's rule has run. When the input has no gradient yet, such a tensor can simply become it — the
 * tape would otherwise allocate zeros and add the tensor into them (two passes over memory, for every
 * reshape/permute/contiguous in attention's backward). Later consumers of the input then accumulate into
 * the adopted buffer, which is exactly what they would have done with the zero-initialised one.
 *
 * <p>The one rule for callers: pass a gradient to {@link #adopt} at most once per rule, and only when the rule
 * does not read it again afterwards (add gives g to its first input this way and accumulates a copy into
 * its second). Leaves that already own a gradient (parameters: slices of the flat gradient store) are
 * always accumulated into, never re-pointed.
 */
final class Grads {
    private Grads() {}

    /** x.grad ← g when x has no gradient yet (a strided g is first materialised), else x.grad += g. */
    static void adopt(Tensor x, Tensor g) {
        if (!x.requiresGrad()) return;
        if (x.grad() != null || g.isInt() || !java.util.Arrays.equals(g.shape(), x.shape())) {
            x.accumulateGrad(g);                         // also reports a shape mismatch
            return;
        }
        x.setGrad(g.isContiguous() ? g : Movement.contiguous(g));
    }
}
