package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.DebugScopes;
import java.util.List;
import java.util.Objects;

/**
 * The message of {@link DebugScopes}: which tensor was used after its step scope closed, which op made it,
 * and which engine call touched it — the outermost frame of the engine's own code on the stack, so
 * {@code Tensor.add} or {@code Linear.forward} rather than a helper deep inside.
 */
final class UseAfterScope {
    private UseAfterScope() {}

    static IllegalStateException error(Tensor t) {
        return new IllegalStateException("use after scope: Tensor" + Shape.str(t.shape())
                + (t.op != null ? " made by " + t.op : " (made directly, not by an op)") + " was used by " + caller()
                + " after the step scope that owned its memory closed; that memory is poisoned with NaN and may"
                + " already hold another step's data. Create what must outlive a step outside the scope, or copy"
                + " it to the host (toArray) before the scope closes");
    }

    private static String caller() {
        var engine = Tensor.class.getProtectionDomain().getCodeSource();
        List<StackWalker.StackFrame> frames = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(s -> s.takeWhile(f -> Objects.equals(f.getDeclaringClass().getProtectionDomain().getCodeSource(), engine))
                        .toList());
        StackWalker.StackFrame outer = frames.getLast();
        // the op methods are declared in TensorOps, but a reader called them on a Tensor
        Class<?> c = outer.getDeclaringClass() == TensorOps.class ? Tensor.class : outer.getDeclaringClass();
        return c.getSimpleName() + "." + outer.getMethodName();
    }
}
