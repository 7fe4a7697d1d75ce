package dev.tessera.tests.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParamGroup;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.tensor.Tensor;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The golden files' optimizer check: 5 AdamW steps (lr 1e-3 constant, β (0.9, 0.95), eps 1e-8, wd 0.05 with
 * no decay for rank-1 parameters and ".bias" names — docs/mae.md#pretraining-recipe) on the same inputs, comparing the loss before
 * each step and a few parameters after the last.
 */
final class Steps {
    private Steps() {}

    /** Runs the steps; {@code loss} builds the loss of one forward pass with the current parameters. */
    static void check(Golden g, Backend be, Module model, Supplier<Tensor> loss) {
        ParameterStore store = new ParameterStore(be, model);
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f).withBetas(0.9f, 0.95f).withEps(1e-8f));
        assertDecayGroupsMatch(g, opt);
        float[] expected = g.floats("steps.losses");
        float[] actual = new float[expected.length];
        for (int s = 0; s < expected.length; s++) {
            try (StepScope scope = be.openScope()) {
                store.zeroGrad();
                Tensor l = loss.get();
                actual[s] = l.item();
                l.backward();
                opt.step(1e-3f);
            }
        }
        g.assertRelative("steps.losses", expected, actual, 1e-4);
        for (String key : g.file.tensors().keySet()) {
            if (!key.startsWith("steps.final.")) continue;
            String name = key.substring("steps.final.".length());
            g.assertRelative(key, g.floats(key), model.namedParameters().get(name).tensor().toArray(), 1e-3);
        }
    }

    private static void assertDecayGroupsMatch(Golden g, AdamW opt) {
        Set<String> noDecay = new TreeSet<>();
        for (ParamGroup pg : opt.groups()) if (!pg.decay()) noDecay.addAll(pg.names());
        Set<String> expected = new TreeSet<>();
        g.config.path("optimizer").path("no_weight_decay").forEach(n -> expected.add(n.asText()));
        assertEquals(expected, noDecay, g.name + ": parameters without weight decay");
    }
}
