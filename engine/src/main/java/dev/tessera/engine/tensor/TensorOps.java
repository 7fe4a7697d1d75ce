package dev.tessera.engine.tensor;

import dev.tessera.engine.ops.AttentionOp;
import dev.tessera.engine.ops.Elementwise;
import dev.tessera.engine.ops.GatherOp;
import dev.tessera.engine.ops.LayerNormOp;
import dev.tessera.engine.ops.MatMul;
import dev.tessera.engine.ops.Movement;
import dev.tessera.engine.ops.Reduce;
import dev.tessera.engine.ops.SoftmaxOp;

/**
 * The op methods of {@link Tensor} — {@code x.add(y)}, {@code x.matmul(w)}, … — one line each, grouped by op
 * family. Each is a door into its family in {@code dev.tessera.engine.ops}, where the forward sits next to its
 * backward rule. They live in this superclass only so that {@code Tensor.java} stays the tensor itself.
 */
public abstract sealed class TensorOps permits Tensor {
    TensorOps() {}

    private Tensor self() {
        return (Tensor) this;
    }

    // ------------------------------------------------------------------ elementwise (ops.Elementwise)

    public Tensor add(Tensor o) { return Elementwise.add(self(), o); }
    public Tensor sub(Tensor o) { return Elementwise.sub(self(), o); }
    public Tensor mul(Tensor o) { return Elementwise.mul(self(), o); }
    public Tensor div(Tensor o) { return Elementwise.div(self(), o); }
    public Tensor add(float s) { return Elementwise.addScalar(self(), s); }
    public Tensor sub(float s) { return Elementwise.addScalar(self(), -s); }
    public Tensor mul(float s) { return Elementwise.scale(self(), s); }
    public Tensor div(float s) { return Elementwise.scale(self(), 1f / s); }
    public Tensor neg() { return Elementwise.neg(self()); }
    public Tensor exp() { return Elementwise.exp(self()); }
    public Tensor log() { return Elementwise.log(self()); }
    public Tensor sqrt() { return Elementwise.sqrt(self()); }
    public Tensor pow(float p) { return Elementwise.pow(self(), p); }
    public Tensor square() { return Elementwise.square(self()); }
    public Tensor tanh() { return Elementwise.tanh(self()); }
    public Tensor relu() { return Elementwise.relu(self()); }
    /** Exact GELU, x·Φ(x) (docs/vit.md#block). */
    public Tensor gelu() { return Elementwise.gelu(self()); }

    // ------------------------------------------------------------------ movement (ops.Movement)

    /** Same data, new shape; one entry may be -1. A view when contiguous, else a copy. */
    public Tensor reshape(int... newShape) { return Movement.reshape(self(), newShape); }
    /** Alias of reshape, for readers coming from PyTorch. */
    public Tensor view(int... newShape) { return Movement.reshape(self(), newShape); }
    public Tensor permute(int... order) { return Movement.permute(self(), order); }
    public Tensor transpose(int a, int b) { return Movement.transpose(self(), a, b); }
    public Tensor contiguous() { return Movement.contiguous(self()); }
    /** Elements [start, start+length) along {@code axis}, as a view. */
    public Tensor narrow(int axis, int start, int length) { return Movement.narrow(self(), axis, start, length); }
    /** Broadcast view to {@code shape} (stride 0 on expanded axes); backward sums. */
    public Tensor expand(int... newShape) { return Movement.expand(self(), newShape); }
    public Tensor[] split(int axis, int... sizes) { return Movement.split(self(), axis, sizes); }
    public static Tensor concat(int axis, Tensor... parts) { return Movement.concat(axis, parts); }

    // ------------------------------------------------------------------ reductions (ops.Reduce)

    public Tensor sum(int[] axes, boolean keepDim) { return Reduce.sum(self(), axes, keepDim); }
    public Tensor sum(int axis, boolean keepDim) { return Reduce.sum(self(), new int[] {axis}, keepDim); }
    /** Sum of all elements, a scalar. */
    public Tensor sum() { return Reduce.sumAll(self()); }
    public Tensor mean(int[] axes, boolean keepDim) { return Reduce.mean(self(), axes, keepDim); }
    public Tensor mean(int axis, boolean keepDim) { return Reduce.mean(self(), new int[] {axis}, keepDim); }
    public Tensor mean() { return Reduce.meanAll(self()); }
    /** torch.var over {@code axes}; {@code unbiased} divides by n−1 (Bessel), else by n. */
    public Tensor var(int[] axes, boolean unbiased, boolean keepDim) { return Reduce.var(self(), axes, unbiased, keepDim); }
    /** Maximum along {@code axis}; the gradient goes to the first maximal element. */
    public Tensor max(int axis, boolean keepDim) { return Reduce.max(self(), axis, keepDim); }
    /** Index of the first maximum along {@code axis}, int32, that axis removed. */
    public Tensor argmax(int axis) { return Reduce.argmax(self(), axis); }

    // ------------------------------------------------------------------ normalisation (ops.LayerNormOp, ops.SoftmaxOp)

    /** Layer norm over the last axis, weight and bias [C] (either may be null: 1 and 0). */
    public Tensor layerNorm(Tensor weight, Tensor bias, float eps) { return LayerNormOp.layerNorm(self(), weight, bias, eps); }
    public Tensor softmax(int axis) { return SoftmaxOp.softmax(self(), axis); }
    public Tensor logSoftmax(int axis) { return SoftmaxOp.logSoftmax(self(), axis); }

    // ------------------------------------------------------------------ indexing (ops.GatherOp)

    /** out[.., j, ..] = this[.., index[.., j], ..]; index int32 of shape shape[:axis] + [K]. */
    public Tensor gather(int axis, Tensor index) { return GatherOp.gather(self(), axis, index); }
    /** The adjoint of gather: a tensor with {@code size} at {@code axis}, out[.., index[.., j], ..] += this[.., j, ..]. */
    public Tensor scatterAdd(int axis, Tensor index, int size) { return GatherOp.scatterAdd(self(), axis, index, size); }

    // ------------------------------------------------------------------ matrix multiply (ops.MatMul)

    /** [.., m, k] · [k, n] (shared weight) or batched [B.., m, k] · [B.., k, n]. */
    public Tensor matmul(Tensor o) { return MatMul.matmul(self(), o); }
    /** x·Wᵀ + b with W [out, in] (torch.nn.Linear); bias may be null. */
    public Tensor linear(Tensor weight, Tensor bias) { return MatMul.linear(self(), weight, bias); }

    // ------------------------------------------------------------------ attention (ops.AttentionOp)

    /** softmax(q·kᵀ·scale)·v, fused; q [B, H, Lq, dh], k and v [B, H, Lk, dh] → [B, H, Lq, dh]. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, float scale) { return AttentionOp.attention(q, k, v, scale); }
    /** Token-major, fused: q [N, Lq, D], k and v [N, Lk, D] split into {@code heads} along D → [N, Lq, D], heads concatenated. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, int heads, float scale) { return AttentionOp.attention(q, k, v, heads, scale); }
    /** Self-attention on this qkv [N, T, 3D] (timm's reshape(N, T, 3, heads, D/heads) order) → [N, T, D], fused, no head split/merge copies. */
    public Tensor selfAttention(int heads, float scale) { return AttentionOp.selfAttention(self(), heads, scale); }
}
