package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.ops.Reduce;
import dev.tessera.engine.tensor.internal.Deferred;
import dev.tessera.engine.tensor.internal.FusedBackward;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reverse-mode differentiation (Baydin et al. 2018, §3.2), in micrograd's shape. Recording: the output of every
 * op remembers the op's inputs and its backward rule ({@link #record}). Playing back ({@link Tensor#backward()}):
 * sort the graph so that every tensor comes after its inputs, seed dLoss/dLoss = 1, and visit the tensors from
 * the loss back to the leaves. Each rule returns the gradients of its inputs, and the tape adds each one into
 * that input's {@code grad} — a tensor that feeds two ops receives two. Afterwards the graph is released:
 * intermediate tensors forget their history and gradient; leaves (parameters) keep theirs.
 *
 * <p>Adding a gradient has one optimisation, here and nowhere else ({@link #give}): an input without a
 * gradient yet takes the returned tensor itself when no one else can hold that memory — it was allocated during
 * this pass (a rule's result, or a view of the output's gradient, which the tape never reads again) and no
 * other input of the same rule took it. Attention's backward so copies nothing at its reshapes and permutes.
 * Fused rules return {@link Deferred} gradients, which the tape has a GEMM or kernel write straight into the
 * input's gradient, or into new memory that becomes it.
 */
public final class Tape {
    private Tape() {}

    /**
     * Makes {@code output} the result of {@code op} on {@code inputs}: when grad mode is on and an input requires
     * grad, {@code output} requires grad and remembers {@code backward}. This is also how to write a new op:
     * compute the output from detached inputs (or under {@link GradMode#noGrad()}), then record its rule.
     */
    public static Tensor record(String op, Tensor output, BackwardFn backward, Tensor... inputs) {
        return attach(op, output, backward, null, inputs);
    }

    static Tensor recordFused(String op, Tensor output, FusedBackward backward, Tensor... inputs) {
        return attach(op, output, null, backward, inputs);
    }

    private static Tensor attach(String op, Tensor out, BackwardFn backward, FusedBackward fused, Tensor[] inputs) {
        if (out.node != null || out.requiresGrad) {
            throw new IllegalStateException(op + ": the output " + out + " already has a history; compute it from"
                    + " detached inputs or under GradMode.noGrad()");
        }
        out.op = op;
        if (GradMode.isEnabled()) {
            for (Tensor in : inputs) {
                if (in.requiresGrad) {
                    out.requiresGrad = true;
                    out.node = new Node(inputs.clone(), backward, fused);
                    break;
                }
            }
        }
        return out;
    }

    static void backward(Tensor root, Tensor seed, Consumer<Tensor> leafReady) {
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, int[]> uses = leafReady == null ? null : leafUses(order);
        long passStart = Tensor.allocationsSoFar();
        try (var off = GradMode.noGrad()) {
            // dLoss/dLoss as a device fill, not an upload: a step captured as a CUDA graph may not copy from the host
            if (seed == null) seed = Tensor.ones(root.backend(), root.shape());
            give("backward", root, seed, passStart, new long[1], 0);
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                if (t.node == null) continue;
                if (t.grad != null) runRule(t, passStart);
                for (Tensor in : t.node.inputs()) {
                    int[] left = uses == null ? null : uses.get(in);
                    if (left != null && --left[0] == 0) leafReady.accept(in);
                }
            }
            if (leafReady != null && root.node == null) leafReady.accept(root);
        } finally {
            for (Tensor t : order) {
                if (t.node != null) {
                    t.node = null;
                    t.grad = null;
                }
            }
        }
    }

    private static void runRule(Tensor t, long passStart) {
        Tensor[] inputs = t.node.inputs();
        if (t.node.backward() != null) {
            Tensor[] grads = checkCount(t, t.node.backward().apply(t.grad));
            long[] taken = new long[inputs.length];
            for (int i = 0; i < inputs.length; i++) give(t.op, inputs[i], grads[i], passStart, taken, i);
        } else {
            Deferred[] grads = checkCount(t, t.node.fused().apply(t.grad));
            for (int i = 0; i < inputs.length; i++) give(t.op, inputs[i], grads[i], i);
        }
    }

    /**
     * x.grad += g; or, when x has no gradient yet, x.grad = g if g's memory was allocated during this pass and
     * not taken by an earlier input of the rule ({@code taken[0 .. i)}), else a copy of g.
     */
    private static void give(String op, Tensor x, Tensor g, long passStart, long[] taken, int i) {
        if (g == null || !x.requiresGrad) return;
        if (!Arrays.equals(g.shape(), x.shape())) {
            if (!Arrays.equals(Shape.broadcast(op, x.shape(), g.shape()), g.shape())) {
                throw new ShapeException(op + " backward: gradient " + Shape.str(g.shape()) + " for input " + i
                        + " of shape " + Shape.str(x.shape()));
            }
            g = Reduce.sumToShape(g, x.shape());           // broadcasting's backward: sum the copies up
        }
        Backend be = x.backend();
        int[] shape = x.shape(), dense = Shape.contiguousStrides(shape);
        if (x.grad != null) {
            Buffer acc = x.grad.buffer();
            be.binary(BinaryOp.ADD, acc, dense, g.buffer(), g.strides(), acc, shape);
            return;
        }
        boolean free = g.storage > passStart && g.isContiguous();
        for (int j = 0; free && j < i; j++) free = taken[j] != g.storage;
        if (free) {
            x.grad = g;
            g.op = null;                                   // a gradient is a leaf's value, not an op's output
            taken[i] = g.storage;
        } else {
            x.grad = Tensor.owning(be, be.allocateUninitialized(x.numel()), shape);
            be.copyStrided(g.buffer(), g.strides(), x.grad.buffer(), dense, shape, false);
        }
    }

    /** Has {@code d} written into x's gradient, or into new memory that becomes it. */
    private static void give(String op, Tensor x, Deferred d, int i) {
        if (d == null) return;
        if (!x.requiresGrad) {
            throw new IllegalStateException(op + " backward returned a gradient for input " + i + ", which needs none");
        }
        if (x.grad != null) {
            d.write(x.grad.buffer(), true);
            return;
        }
        Backend be = x.backend();
        boolean overwrite = d.canOverwrite();
        Buffer dst = overwrite ? be.allocateUninitialized(x.numel()) : be.allocate(x.numel());
        x.grad = Tensor.owning(be, dst, x.shape());
        d.write(dst, !overwrite);
    }

    private static <G> G[] checkCount(Tensor t, G[] grads) {
        if (grads.length != t.node.inputs().length) {
            throw new IllegalStateException(t.op + " backward returned " + grads.length + " gradients for "
                    + t.node.inputs().length + " inputs");
        }
        return grads;
    }

    /** For each leaf that requires grad: how many recorded inputs are it, i.e. rules that may add to its gradient. */
    private static Map<Tensor, int[]> leafUses(List<Tensor> order) {
        Map<Tensor, int[]> uses = new IdentityHashMap<>();
        for (Tensor t : order) {
            if (t.node == null) continue;
            for (Tensor in : t.node.inputs()) {
                if (in.requiresGrad && in.node == null) uses.computeIfAbsent(in, k -> new int[1])[0]++;
            }
        }
        return uses;
    }

    /** Inputs before outputs; an iterative depth-first search, because a ViT graph is thousands of nodes deep. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.node == null ? new Tensor[0] : t.node.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in.requiresGrad && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
