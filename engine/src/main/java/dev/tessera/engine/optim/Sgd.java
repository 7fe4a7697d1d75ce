package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;

/**
 * Stochastic gradient descent with momentum and L2 weight decay, as torch.optim.SGD (dampening 0):
 * d = g + wd·p; buf ← momentum·buf + d; p ← p − lr·buf (buf = d, no momentum, when momentum is 0); with
 * Nesterov the step uses d + momentum·buf instead of buf (torch's {@code nesterov=True}, which timm's
 * {@code create_optimizer} picks for {@code --opt sgd}: CAE's attentive probe). torch starts buf as a copy of
 * the first d, which is what a zero buffer gives too. One parameter group: weight decay applies to every packed
 * parameter. Built from backend primitives over the flat store.
 */
public final class Sgd {
    private final ParameterStore store;
    private final float momentum;
    private final float weightDecay;
    private final boolean nesterov;
    private final Buffer buf;

    public Sgd(ParameterStore store, float momentum, float weightDecay) {
        this(store, momentum, weightDecay, false);
    }

    public Sgd(ParameterStore store, float momentum, float weightDecay, boolean nesterov) {
        if (nesterov && !(momentum > 0)) throw new IllegalArgumentException("Sgd: Nesterov needs momentum > 0, got " + momentum);
        if (!(momentum >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Sgd: need momentum >= 0 and weight decay >= 0, got " + momentum + ", " + weightDecay);
        }
        this.store = store;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buf = momentum != 0 ? store.backend().allocate(store.size()) : null;
    }

    public void step(float lr) {
        int n = store.size();
        if (n == 0) return;
        Backend be = store.backend();
        Buffer p = store.values(), g = store.grads();
        int[] shape = {n}, unit = {1};
        try (StepScope _ = be.openScope()) {
            Buffer d = g, tmp = be.allocate(n);
            if (weightDecay != 0) {
                be.unary(UnaryOp.SCALE, weightDecay, p, tmp);
                be.binary(BinaryOp.ADD, tmp, unit, g, unit, tmp, shape);
                d = tmp;
            }
            if (buf != null) {
                be.unary(UnaryOp.SCALE, momentum, buf, buf);
                be.binary(BinaryOp.ADD, buf, unit, d, unit, buf, shape);
                if (nesterov) {                                         // d + momentum·buf
                    Buffer look = be.allocate(n);
                    be.unary(UnaryOp.SCALE, momentum, buf, look);
                    be.binary(BinaryOp.ADD, look, unit, d, unit, look, shape);
                    d = look;
                } else {
                    d = buf;
                }
            }
            be.unary(UnaryOp.SCALE, -lr, d, tmp);
            be.binary(BinaryOp.ADD, p, unit, tmp, unit, p, shape);
        }
    }

    /** The momentum buffer on the host, laid out like the store (null without momentum), for checkpoints. */
    public float[] momentumBuffer() {
        return buf == null ? null : store.backend().download(buf);
    }

    public void loadMomentumBuffer(float[] values) {
        if (buf == null || values == null || values.length != buf.length()) {
            throw new IllegalArgumentException("Sgd.loadMomentumBuffer: expected " + (buf == null ? "no buffer (momentum 0)"
                    : buf.length() + " values") + ", got " + (values == null ? "null" : values.length));
        }
        store.backend().upload(values, buf);
    }
}
