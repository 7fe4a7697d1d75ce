package dev.tessera.engine.optim;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParameterStoreTest {
    final Backend be = Backends.cpu();

    @Test
    void packsTrainableParametersInOrderAndKeepsTheirValues() {
        TinyModel model = new TinyModel(be, "a.weight", new int[] {2, 3}, "frozen", new int[] {4}, "a.bias", new int[] {2});
        model.namedParameters().get("frozen").setTrainable(false);
        float[] aw = model.namedParameters().get("a.weight").tensor().toArray();
        float[] ab = model.namedParameters().get("a.bias").tensor().toArray();
        float[] frozen = model.namedParameters().get("frozen").tensor().toArray();
        ParameterStore store = new ParameterStore(be, model);
        assertEquals(8, store.size());
        assertEquals(List.of("a.weight", "a.bias"), store.entries().stream().map(ParameterStore.Entry::name).toList());
        assertEquals(0, store.entry("a.weight").offset());
        assertEquals(6, store.entry("a.bias").offset());
        float[] flat = be.download(store.values());
        float[] expected = {aw[0], aw[1], aw[2], aw[3], aw[4], aw[5], ab[0], ab[1]};
        assertArrayEquals(expected, flat);
        assertArrayEquals(frozen, model.namedParameters().get("frozen").tensor().toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.entry("frozen"));
        assertTrue(e.getMessage().contains("frozen"), e.getMessage());
    }

    @Test
    void parametersAreViewsOfTheFlatBuffer() {
        TinyModel model = new TinyModel(be, "w", new int[] {2, 2}, "b", new int[] {2});
        ParameterStore store = new ParameterStore(be, model);
        be.upload(new float[] {1, 2, 3, 4, 5, 6}, store.values());
        assertArrayEquals(new float[] {1, 2, 3, 4}, model.namedParameters().get("w").tensor().toArray());
        assertArrayEquals(new float[] {5, 6}, model.namedParameters().get("b").tensor().toArray());
    }

    @Test
    void backwardAccumulatesIntoTheFlatGradientsAndZeroGradIsOneFill() {
        TinyModel model = new TinyModel(be, "w", new int[] {2, 3}, "b", new int[] {2});
        ParameterStore store = new ParameterStore(be, model);
        Tensor w = model.namedParameters().get("w").tensor(), b = model.namedParameters().get("b").tensor();
        Tensor x = Tensor.of(be, new float[] {1, 2, 3, -1, 0, 4}, 2, 3);
        // L = Σ (x·Wᵀ + b): dL/dW[o, i] = Σ_rows x[r, i] = [0, 2, 7] per output row; dL/db = rows = 2.
        x.linear(w, b).sum().backward();
        float[] expected = {0, 2, 7, 0, 2, 7, 2, 2};
        assertClose("grads", expected, be.download(store.grads()), 0, 0);
        x.linear(w, b).sum().backward();
        float[] twice = new float[8];
        for (int i = 0; i < 8; i++) twice[i] = 2 * expected[i];
        assertClose("accumulated grads", twice, be.download(store.grads()), 0, 0);
        store.zeroGrad();
        assertClose("zeroed", new float[8], be.download(store.grads()), 0, 0);
        assertClose("w.grad is the zeroed view", new float[6], w.grad().toArray(), 0, 0);
        w.clearGrad();
        store.reattachGrads();
        x.linear(w, b).sum().backward();
        assertClose("reattached", expected, be.download(store.grads()), 0, 0);
    }

    @Test
    void sharedTensorsAreRefused() {
        final class Shared extends dev.tessera.engine.nn.Module {
            Shared() {
                Tensor t = Tensor.zeros(be, 2);
                parameter("x", t);
                parameter("y", t);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ParameterStore(be, new Shared()));
        assertTrue(e.getMessage().contains("x") && e.getMessage().contains("y"), e.getMessage());
    }
}
