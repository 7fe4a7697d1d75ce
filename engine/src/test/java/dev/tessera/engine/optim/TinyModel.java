package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.tensor.Tensor;

/** A module with arbitrary dotted parameter names and shapes, values 0.1·(i+1)·(-1)^i in order. */
final class TinyModel extends Module {
    TinyModel(Backend be, Object... namesAndShapes) {
        int k = 0;
        for (int i = 0; i < namesAndShapes.length; i += 2) {
            int[] shape = (int[]) namesAndShapes[i + 1];
            Tensor t = Tensor.zeros(be, shape);
            float[] v = new float[t.numel()];
            for (int j = 0; j < v.length; j++, k++) v[j] = 0.1f * (k + 1) * (k % 2 == 0 ? 1 : -1);
            t.copyFrom(v);
            parameter((String) namesAndShapes[i], t);
        }
    }
}
