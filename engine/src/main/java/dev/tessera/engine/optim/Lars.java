package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;

/**
 * LARS (You et al. 2017) exactly as MAE's linear probe uses it ({@code util/lars.py}, docs/mae.md#linear-probe), per
 * parameter:
 * <pre>
 *   rank &gt; 1:  d = g + wd·w;  q = η·‖w‖/‖d‖ (q = 1 if either norm is 0);  d = q·d
 *   rank ≤ 1:  d = g          (biases and norm weights skip decay and the trust ratio)
 *   mu ← m·mu + d;  w ← w − lr·mu
 * </pre>
 * Defaults of the probe: momentum 0.9, trust coefficient η = 0.001, weight decay 0. Norms are computed on
 * the backend ({@link Norms}); each costs one scalar download, fine for a probe head's two parameters.
 */
public final class Lars {
    private final ParameterStore store;
    private final float momentum;
    private final float weightDecay;
    private final float trustCoefficient;
    private final Buffer mu;

    public Lars(ParameterStore store, float momentum, float weightDecay, float trustCoefficient) {
        if (!(momentum >= 0) || !(weightDecay >= 0) || !(trustCoefficient > 0)) {
            throw new IllegalArgumentException("Lars: need momentum >= 0, weight decay >= 0, trust coefficient > 0; got "
                    + momentum + ", " + weightDecay + ", " + trustCoefficient);
        }
        this.store = store;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.trustCoefficient = trustCoefficient;
        this.mu = store.backend().allocate(store.size());
    }

    /** MAE linear probing: momentum 0.9, weight decay 0, trust coefficient 0.001. */
    public static Lars linearProbe(ParameterStore store) {
        return new Lars(store, 0.9f, 0f, 0.001f);
    }

    public void step(float lr) {
        Backend be = store.backend();
        for (ParameterStore.Entry e : store.entries()) {
            int n = e.length();
            if (n == 0) continue;
            Buffer w = store.values().slice(e.offset(), n), g = store.grads().slice(e.offset(), n);
            Buffer m = mu.slice(e.offset(), n);
            int[] shape = {n}, unit = {1};
            try (StepScope _ = be.openScope()) {
                Buffer d = g;
                if (e.rank() > 1) {
                    d = be.allocate(n);
                    be.unary(UnaryOp.SCALE, weightDecay, w, d);
                    be.binary(BinaryOp.ADD, d, unit, g, unit, d, shape);
                    double wNorm = Norms.norm(be, w), dNorm = Norms.norm(be, d);
                    double q = wNorm > 0 && dNorm > 0 ? trustCoefficient * wNorm / dNorm : 1.0;
                    be.unary(UnaryOp.SCALE, (float) q, d, d);
                }
                be.unary(UnaryOp.SCALE, momentum, m, m);
                be.binary(BinaryOp.ADD, m, unit, d, unit, m, shape);
                Buffer step = be.allocate(n);
                be.unary(UnaryOp.SCALE, -lr, m, step);
                be.binary(BinaryOp.ADD, w, unit, step, unit, w, shape);
            }
        }
    }

    /** The momentum buffer on the host, laid out like the store, for checkpoints. */
    public float[] momentumBuffer() {
        return store.backend().download(mu);
    }

    public void loadMomentumBuffer(float[] values) {
        if (values == null || values.length != mu.length()) {
            throw new IllegalArgumentException("Lars.loadMomentumBuffer: expected " + mu.length() + " values, got "
                    + (values == null ? "null" : values.length));
        }
        store.backend().upload(values, mu);
    }
}
