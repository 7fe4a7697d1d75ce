package dev.tessera.engine.tensor;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.CallLog;
import dev.tessera.engine.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tape's own contract: rules return, the tape adds (adopting memory only when no one else holds it), and the leaf hook. */
class TapeTest {
    final Backend be = Backends.cpu();

    /** A custom op written with the public API only: x³, its rule 3x²·g. */
    static Tensor cube(Tensor x) {
        Tensor y;
        try (var off = GradMode.noGrad()) {
            y = x.mul(x).mul(x);
        }
        return Tape.record("cube", y, g -> new Tensor[] {g.mul(x.square().mul(3f))}, x);
    }

    @Test
    void aCustomOpRecordsItsRuleAndPassesTheGradientCheck() {
        Tensor x = GradCheck.random(be, 1, -2f, 2f, 2, 3);
        Tensor y = cube(x);
        assertTrue(y.requiresGrad());
        assertEquals("Tensor[2, 3] requiresGrad <cube>", y.toString());
        GradCheck.check("cube", t -> cube(t[0]), x);
    }

    @Test
    void anOutputWithAHistoryCannotBeRecordedAgain() {
        Tensor x = GradCheck.random(be, 2, -1f, 1f, 3);
        Tensor y = x.exp();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Tape.record("mine", y, g -> new Tensor[] {g}, x));
        assertEquals("mine: the output Tensor[3] requiresGrad <exp> already has a history; compute it from detached"
                + " inputs or under GradMode.noGrad()", e.getMessage());
    }

    @Test
    void aRuleThatReturnsTheWrongShapeIsNamed() {
        Tensor x = GradCheck.random(be, 3, -1f, 1f, 2, 3);
        Tensor y = Tape.record("bad", x.detach().mul(2f), g -> new Tensor[] {Tensor.ones(be, 3, 3)}, x);
        ShapeException e = assertThrows(ShapeException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().startsWith("bad"), e.getMessage());
        Tensor z = Tape.record("short", x.detach().mul(2f), g -> new Tensor[0], x);
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertEquals("short backward returned 0 gradients for 1 inputs", s.getMessage());
    }

    /** A gradient in the broadcast shape is summed down by the tape: d Σ(a + b)/db for b [3] broadcast over [2, 3] is 2. */
    @Test
    void broadcastGradientsAreSummedDownByTheTape() {
        Tensor a = GradCheck.random(be, 4, -1f, 1f, 2, 3), b = GradCheck.random(be, 5, -1f, 1f, 3);
        Tensor y = Tape.record("plus", a.detach().add(b.detach()), g -> new Tensor[] {g, g}, a, b);
        y.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, a.grad().toArray());
        assertArrayEquals(new float[] {2, 2, 2}, b.grad().toArray());
    }

    /**
     * One returned tensor for two inputs is taken by the first only; the second gets a copy. If both held it,
     * the second backward would add into shared memory and each would read 3 instead of 2.
     */
    @Test
    void aGradientIsAdoptedByOneInputAtMost() {
        Tensor a = GradCheck.random(be, 6, -1f, 1f, 4), b = GradCheck.random(be, 7, -1f, 1f, 4);
        for (int pass = 0; pass < 2; pass++) {
            Tape.record("both", a.detach().add(b.detach()), g -> new Tensor[] {g, g}, a, b).sum().backward();
        }
        assertArrayEquals(new float[] {2, 2, 2, 2}, a.grad().toArray());
        assertArrayEquals(new float[] {2, 2, 2, 2}, b.grad().toArray());
    }

    /** Memory older than the pass (here a constant the rule returns) is copied, never adopted, so it stays intact. */
    @Test
    void olderMemoryIsCopiedNotAdopted() {
        Tensor c = Tensor.of(be, new float[] {1, 2, 3}, 3);
        Tensor x = GradCheck.random(be, 8, -1f, 1f, 3);
        for (int pass = 0; pass < 2; pass++) Tape.record("const", x.detach(), g -> new Tensor[] {c}, x).sum().backward();
        assertArrayEquals(new float[] {2, 4, 6}, x.grad().toArray());
        assertArrayEquals(new float[] {1, 2, 3}, c.toArray(), "the constant was not written to");
    }

    /**
     * The hook reports each leaf once, right after the last rule that adds to its gradient, with that gradient
     * complete. loss = Σ double(a)·c: the rules run mul (c's only consumer) then double (a's).
     */
    @Test
    void theLeafHookFiresWhenALeafsGradientIsFinal() {
        Tensor a = Tensor.of(be, new float[] {1, 2}, 2).requiresGrad(true);
        Tensor c = Tensor.of(be, new float[] {3, -1}, 2).requiresGrad(true);
        List<String> events = new ArrayList<>();
        Tensor doubled = Tape.record("double", a.detach().mul(2f), g -> {
            events.add("rule double");
            return new Tensor[] {g.mul(2f)};
        }, a);
        Tensor loss = doubled.mul(c).add(a.mul(0f)).sum();                 // a has a second consumer, nearer the loss
        loss.backward(leaf -> events.add((leaf == a ? "a " : "c ") + java.util.Arrays.toString(leaf.grad().toArray())));
        assertEquals(List.of("c [2.0, 4.0]", "rule double", "a [6.0, -2.0]"), events);
    }

    /**
     * The structural guarantee behind "no extra pass over memory": one Linear's backward, with its parameters
     * packed in the flat store and an input that has no gradient yet, is two GEMMs and a bias reduction — the
     * weight GEMM adds into the store (beta 1), the input GEMM writes new uninitialised memory (beta 0), the bias
     * gradient is added by one op without a temporary, and nothing is zero-filled or copied.
     */
    @Test
    void aLinearBackwardMakesNoExtraPassOverMemory() {
        CallLog log = new CallLog(be);
        class One extends Module {
            final Linear fc = module("fc", new Linear(log, 3, 2, true, new Rng(1)));
        }
        One m = new One();
        new ParameterStore(log, m);
        Tensor x = Tensor.of(log, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3).requiresGrad(true);
        Tensor y = m.fc.forward(x);
        Tensor seed = Tensor.ones(log, 4, 2);
        log.record();
        y.backward(seed);
        assertEquals(List.of(
                "allocateUninitialized 8", "copyStrided",               // the caller's seed, copied once
                "allocateUninitialized 12", "matmul beta 0",           // dx = dy·W into new memory
                "matmul beta 1",                                        // dW += dyᵀ·x, in the flat store
                "addColumnSums"),                                       // db += Σ_rows dy, one fused op
                log.stop());
        assertClose("dx", new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, x.grad().sub(colSums(m)).toArray(), 0, 0);
    }

    /** Each row of dx for dy = 1 is the column sums of W. */
    private Tensor colSums(Module m) {
        Tensor w = m.namedParameters().get("fc.weight").tensor();
        return w.sum(0, true).expand(4, 3);
    }

    /**
     * Views hand the output's gradient on: in a permute → reshape → exp chain, backward copies only where a
     * layout really changes (the sum's broadcast, the permute), and never zero-fills.
     */
    @Test
    void viewsPassTheGradientOnWithoutCopies() {
        CallLog log = new CallLog(be);
        Tensor x = Tensor.of(log, new float[24], 2, 3, 4).requiresGrad(true);
        Tensor loss = x.permute(1, 0, 2).reshape(3, 8).exp().sum();
        log.record();
        loss.backward();
        assertEquals(List.of(
                "allocateUninitialized 1", "fill",                      // the seed dLoss/dLoss = 1, on the device
                "allocateUninitialized 24", "copyStrided",             // sum: its broadcast gradient made dense
                "allocateUninitialized 24", "binary MUL",              // exp: g·y; reshape and contiguous hand it on
                "allocateUninitialized 24", "copyStrided"),            // permute: the layout changes back
                log.stop());
        assertArrayEquals(new float[24], x.grad().sub(1f).toArray());
    }
}
