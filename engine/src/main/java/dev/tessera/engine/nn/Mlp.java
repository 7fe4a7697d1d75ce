package dev.tessera.engine.nn;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * The transformer feed-forward block (timm {@code Mlp}): fc1 → exact GELU → fc2, with timm's names
 * {@code fc1}, {@code fc2} so checkpoint keys read {@code blocks.i.mlp.fc1.weight}. ViTs use hidden = 4·dim
 * (docs/vit.md#block, docs/vit.md#presets). timm's dropout inside the Mlp is 0 in every MAE/CAE config, so it is not modelled.
 */
public final class Mlp extends Module {
    private final Linear fc1;
    private final Linear fc2;

    /** in → hidden → in, both Linears with bias. */
    public Mlp(Backend backend, int in, int hidden, Rng rng) {
        this(backend, in, hidden, in, rng);
    }

    public Mlp(Backend backend, int in, int hidden, int out, Rng rng) {
        this.fc1 = module("fc1", new Linear(backend, in, hidden, true, rng));
        this.fc2 = module("fc2", new Linear(backend, hidden, out, true, rng));
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        return fc2.forward(fc1.forwardGelu(x));
    }

    public Linear fc1() {
        return fc1;
    }

    public Linear fc2() {
        return fc2;
    }
}
