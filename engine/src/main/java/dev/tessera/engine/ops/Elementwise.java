package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.UnaryOp;
import dev.tessera.engine.tensor.BackwardFn;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;

/**
 * Elementwise ops with NumPy broadcasting, each forward next to its backward rule. A rule may return a
 * gradient in the broadcast shape; the tape sums it down to the input's shape. Each rule computes only the
 * gradients that are needed (an input that does not require grad gets null).
 */
public final class Elementwise {
    private Elementwise() {}

    public static Tensor add(Tensor a, Tensor b) {
        return binary("add", BinaryOp.ADD, a, b, g -> new Tensor[] {g, g});
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary("sub", BinaryOp.SUB, a, b, g -> new Tensor[] {g, b.requiresGrad() ? neg(g) : null});
    }

    /** The example op of the engine README: forward on the backend, backward by the product rule. */
    public static Tensor mul(Tensor a, Tensor b) {
        return binary("mul", BinaryOp.MUL, a, b, g -> new Tensor[] {
                a.requiresGrad() ? mul(g, b) : null,       // ∂(a·b)/∂a = b
                b.requiresGrad() ? mul(g, a) : null});     // ∂(a·b)/∂b = a
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary("div", BinaryOp.DIV, a, b, g -> new Tensor[] {
                a.requiresGrad() ? div(g, b) : null,
                b.requiresGrad() ? neg(div(mul(g, a), mul(b, b))) : null});   // ∂(a/b)/∂b = −a/b²
    }

    public static Tensor addScalar(Tensor x, float s) {
        return unary("addScalar", UnaryOp.ADD_SCALAR, s, x, (g, y) -> g);
    }

    public static Tensor scale(Tensor x, float s) {
        return unary("scale", UnaryOp.SCALE, s, x, (g, y) -> scale(g, s));
    }

    public static Tensor neg(Tensor x) {
        return unary("neg", UnaryOp.NEG, 0f, x, (g, y) -> neg(g));
    }

    public static Tensor exp(Tensor x) {
        return unary("exp", UnaryOp.EXP, 0f, x, (g, y) -> mul(g, y));
    }

    public static Tensor log(Tensor x) {
        return unary("log", UnaryOp.LOG, 0f, x, (g, y) -> div(g, x));
    }

    public static Tensor sqrt(Tensor x) {
        return unary("sqrt", UnaryOp.SQRT, 0f, x, (g, y) -> div(scale(g, 0.5f), y));      // d√x/dx = 0.5/√x
    }

    public static Tensor square(Tensor x) {
        return unary("square", UnaryOp.SQUARE, 0f, x, (g, y) -> mul(g, scale(x, 2f)));    // d(x²)/dx = 2x
    }

    public static Tensor pow(Tensor x, float p) {
        return unary("pow", UnaryOp.POW, p, x, (g, y) -> mul(g, scale(unaryRaw(UnaryOp.POW, p - 1f, x), p)));
    }

    public static Tensor tanh(Tensor x) {
        return unary("tanh", UnaryOp.TANH, 0f, x, (g, y) -> binaryRaw(BinaryOp.TANH_GRAD, y, g));
    }

    public static Tensor relu(Tensor x) {
        return unary("relu", UnaryOp.RELU, 0f, x, (g, y) -> binaryRaw(BinaryOp.RELU_GRAD, x, g));
    }

    public static Tensor gelu(Tensor x) {
        return unary("gelu", UnaryOp.GELU, 0f, x, (g, y) -> binaryRaw(BinaryOp.GELU_GRAD, x, g));
    }

    // ------------------------------------------------------------------ plumbing

    /** The gradient of a unary op's input, from the output's gradient g and the forward output y. */
    @FunctionalInterface
    interface UnaryBackward {
        Tensor apply(Tensor g, Tensor y);
    }

    private static Tensor unary(String name, UnaryOp op, float p, Tensor x, UnaryBackward backward) {
        requireFloat(name, x);
        Tensor y = unaryRaw(op, p, x);
        return Tape.record(name, y, g -> new Tensor[] {backward.apply(g, y)}, x);
    }

    /** Forward only, not recorded: for use inside backward rules. */
    static Tensor unaryRaw(UnaryOp op, float p, Tensor x) {
        Tensor c = x.isContiguous() ? x : Movement.contiguous(x.detach());
        Buffer out = x.backend().allocateUninitialized(x.numel());
        x.backend().unary(op, p, c.buffer().slice(0, x.numel()), out);
        return wrap(x.backend(), out, x.shape());
    }

    private static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b, BackwardFn backward) {
        requireFloat(name, a);
        requireFloat(name, b);
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(name + ": operands live on different backends ("
                    + a.backend().name() + ", " + b.backend().name() + ")");
        }
        return Tape.record(name, binaryRaw(name, op, a, b), backward, a, b);
    }

    /** Forward only, not recorded: for use inside backward rules. */
    static Tensor binaryRaw(BinaryOp op, Tensor a, Tensor b) {
        return binaryRaw(op.name(), op, a, b);
    }

    private static Tensor binaryRaw(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(name, a.shape(), b.shape());
        Backend be = a.backend();
        Buffer out = be.allocateUninitialized(Shape.numel(shape));
        be.binary(op, a.buffer(), Shape.broadcastStrides(a.shape(), a.strides(), shape),
                b.buffer(), Shape.broadcastStrides(b.shape(), b.strides(), shape), out, shape);
        return wrap(be, out, shape);
    }

    static void requireFloat(String op, Tensor t) {
        if (t.isInt()) throw new IllegalArgumentException(op + ": expected a float32 tensor, got int32 " + t);
    }
}
