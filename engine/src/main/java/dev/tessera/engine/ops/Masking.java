package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;

/**
 * MAE's random masking as one device op (models_mae.py {@code random_masking}): from the noise [N, L] it makes
 * ids_shuffle = argsort(noise), ids_restore = argsort(ids_shuffle), ids_keep = ids_shuffle[:, :len_keep] and the
 * 0 keep / 1 remove mask, on the backend ({@link Backend#argsortMask}), so nothing is sorted on the host and only
 * the noise is uploaded. None of the results carries a gradient: they are indices and a constant mask.
 */
public final class Masking {
    private Masking() {}

    /** The four results; the index tensors are int32. */
    public record Shuffle(Tensor idsShuffle, Tensor idsRestore, Tensor idsKeep, Tensor mask) {}

    /** @param noise [N, L] float; the {@code keep} smallest of each row are kept (ties: the earlier patch first) */
    public static Shuffle argsort(Tensor noise, int keep) {
        Elementwise.requireFloat("argsortMask", noise);
        if (noise.rank() != 2) throw new ShapeException("argsortMask: noise must be [N, L], got " + Shape.str(noise.shape()));
        int n = noise.dim(0), l = noise.dim(1);
        if (keep < 0 || keep > l) throw new IllegalArgumentException("argsortMask: keep " + keep + " of " + l + " tokens");
        Tensor nc = Movement.contiguous(noise);
        Backend be = noise.backend();
        Buffer shuffle = be.allocateIntsUninitialized(n * l), restore = be.allocateIntsUninitialized(n * l);
        Buffer kept = be.allocateIntsUninitialized(n * keep), mask = be.allocateUninitialized(n * l);
        be.argsortMask(nc.buffer(), n, l, keep, shuffle, restore, kept, mask);
        return new Shuffle(wrap(be, shuffle, n, l), wrap(be, restore, n, l), wrap(be, kept, n, keep), wrap(be, mask, n, l));
    }
}
