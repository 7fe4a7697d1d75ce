package dev.tessera.engine.ops;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.UnaryOp;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;

/**
 * Elementwise ops with NumPy broadcasting, each forward next to its backward rule. Broadcasting's backward
 * is a sum over the broadcast axes ({@link Reduce#sumToShape}): an input used N times receives N gradients.
 */
public final class Elementwise {
    private Elementwise() {}

    public static Tensor add(Tensor a, Tensor b) {
        return binary("add", BinaryOp.ADD, a, b, g -> {
            Tensor ga = Reduce.sumToShape(g, a.shape()), gb = Reduce.sumToShape(g, b.shape());
            if (ga == g && gb == g && a.requiresGrad() && b.requiresGrad()) {
                Grads.adopt(a, g);                       // g itself can go to one input only
                b.accumulateGrad(g);
            } else {
                Grads.adopt(a, ga);
                Grads.adopt(b, gb);
            }
        });
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary("sub", BinaryOp.SUB, a, b, g -> {
            if (b.requiresGrad()) Grads.adopt(b, Reduce.sumToShape(neg(g), b.shape()));   // before a may adopt g
            Grads.adopt(a, Reduce.sumToShape(g, a.shape()));
        });
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary("mul", BinaryOp.MUL, a, b, g -> {
            if (a.requiresGrad()) Grads.adopt(a, Reduce.sumToShape(mul(g, b), a.shape()));
            if (b.requiresGrad()) Grads.adopt(b, Reduce.sumToShape(mul(g, a), b.shape()));
        });
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary("div", BinaryOp.DIV, a, b, g -> {
            if (a.requiresGrad()) Grads.adopt(a, Reduce.sumToShape(div(g, b), a.shape()));
            // d(a/b)/db = −a/b²
            if (b.requiresGrad()) Grads.adopt(b, Reduce.sumToShape(neg(div(mul(g, a), mul(b, b))), b.shape()));
        });
    }

    public static Tensor addScalar(Tensor x, float s) {
        return unary("addScalar", UnaryOp.ADD_SCALAR, s, x, (g, y) -> Grads.adopt(x, g));
    }

    public static Tensor scale(Tensor x, float s) {
        return unary("scale", UnaryOp.SCALE, s, x, (g, y) -> Grads.adopt(x, scale(g, s)));
    }

    public static Tensor neg(Tensor x) {
        return unary("neg", UnaryOp.NEG, 0f, x, (g, y) -> Grads.adopt(x, neg(g)));
    }

    public static Tensor exp(Tensor x) {
        return unary("exp", UnaryOp.EXP, 0f, x, (g, y) -> Grads.adopt(x, mul(g, y)));
    }

    public static Tensor log(Tensor x) {
        return unary("log", UnaryOp.LOG, 0f, x, (g, y) -> Grads.adopt(x, div(g, x)));
    }

    public static Tensor sqrt(Tensor x) {
        // d√x/dx = 1/(2√x) = 0.5/y
        return unary("sqrt", UnaryOp.SQRT, 0f, x, (g, y) -> Grads.adopt(x, div(scale(g, 0.5f), y)));
    }

    public static Tensor square(Tensor x) {
        // d(x²)/dx = 2x
        return unary("square", UnaryOp.SQUARE, 0f, x, (g, y) -> Grads.adopt(x, mul(g, scale(x, 2f))));
    }

    public static Tensor pow(Tensor x, float p) {
        return unary("pow", UnaryOp.POW, p, x,
                (g, y) -> Grads.adopt(x, mul(g, scale(unaryRaw(UnaryOp.POW, p - 1f, x), p))));
    }

    public static Tensor tanh(Tensor x) {
        return unary("tanh", UnaryOp.TANH, 0f, x, (g, y) -> Grads.adopt(x, binaryRaw(BinaryOp.TANH_GRAD, y, g)));
    }

    public static Tensor relu(Tensor x) {
        return unary("relu", UnaryOp.RELU, 0f, x, (g, y) -> Grads.adopt(x, binaryRaw(BinaryOp.RELU_GRAD, x, g)));
    }

    public static Tensor gelu(Tensor x) {
        return unary("gelu", UnaryOp.GELU, 0f, x, (g, y) -> Grads.adopt(x, binaryRaw(BinaryOp.GELU_GRAD, x, g)));
    }

    // ------------------------------------------------------------------ plumbing

    /** Backward of a unary op, given the output gradient and the forward output y. */
    @FunctionalInterface
    interface UnaryBackward {
        void apply(Tensor gradOut, Tensor y);
    }

    private static Tensor unary(String name, UnaryOp op, float p, Tensor x, UnaryBackward backward) {
        requireFloat(name, x);
        Tensor[] y = new Tensor[1];
        y[0] = Tensor.result(name, unaryBuffer(op, p, x), x.shape(), g -> backward.apply(g, y[0]), x);
        return y[0];
    }

    private static Buffer unaryBuffer(UnaryOp op, float p, Tensor x) {
        Tensor c = x.isContiguous() ? x : Movement.contiguous(x.detach());
        Buffer out = x.backend().allocate(x.numel());
        x.backend().unary(op, p, c.buffer().slice(0, x.numel()), out);
        return out;
    }

    /** Forward only, not recorded: for use inside backward rules. */
    static Tensor unaryRaw(UnaryOp op, float p, Tensor x) {
        return Tensor.wrap(x.backend(), unaryBuffer(op, p, x), x.shape());
    }

    private static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b, dev.tessera.engine.tensor.BackwardFn bw) {
        requireFloat(name, a);
        requireFloat(name, b);
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(name + ": operands live on different backends ("
                    + a.backend().name() + ", " + b.backend().name() + ")");
        }
        int[] shape = Shape.broadcast(name, a.shape(), b.shape());
        return Tensor.result(name, binaryBuffer(op, a, b, shape), shape, bw, a, b);
    }

    static Tensor binaryRaw(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(op.name(), a.shape(), b.shape());
        return Tensor.wrap(a.backend(), binaryBuffer(op, a, b, shape), shape);
    }

    private static Buffer binaryBuffer(BinaryOp op, Tensor a, Tensor b, int[] shape) {
        Backend be = a.backend();
        Buffer out = be.allocate(Shape.numel(shape));
        be.binary(op, a.buffer(), Shape.broadcastStrides(a.shape(), a.strides(), shape),
                b.buffer(), Shape.broadcastStrides(b.shape(), b.strides(), shape), out, shape);
        return out;
    }

    static void requireFloat(String op, Tensor t) {
        if (t.isInt()) throw new IllegalArgumentException(op + ": expected a float32 tensor, got int32 " + t);
    }
}
