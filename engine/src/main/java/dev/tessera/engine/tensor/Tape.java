package dev.tessera.engine.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation over the graph that ops recorded (Baydin et al. 2018, §3.2): sort the graph
 * topologically once, seed d(loss)/d(loss) = 1, then visit tensors from the loss back to the leaves,
 * each node pushing its output gradient into its inputs. Afterwards the graph is released: intermediate
 * tensors forget their nodes and gradients, only leaves (parameters) keep theirs.
 */
final class Tape {
    private Tape() {}

    static void backward(Tensor root, Tensor seed) {
        List<Tensor> order = topologicalOrder(root);
        try (var off = GradMode.noGrad()) {
            root.accumulateGrad(seed);
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Node n = t.node;
                if (n != null && t.grad != null) n.backward().apply(t.grad);
            }
        }
        for (Tensor t : order) {
            if (t.node != null) {
                t.node = null;
                t.grad = null;
            }
        }
    }

    /** Inputs before outputs; iterative DFS, because a ViT graph is thousands of nodes deep. */
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
                if (in.requiresGrad() && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return Collections.unmodifiableList(order);
    }
}
