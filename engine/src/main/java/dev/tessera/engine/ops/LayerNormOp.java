package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.JointGradients;
import java.util.Arrays;

/**
 * Layer norm over the last axis (Ba et al. 2016; torch.nn.functional.layer_norm, biased variance), one fused
 * backend op. Forward saves each row's mean and rstd = 1/√(σ² + eps), so backward reads x once more and
 * never recomputes statistics (llm.c's layernorm_forward/backward split). ViT, MAE and CAE use eps = 1e-6
 * (docs/vit.md#block). The backward formula is written out in {@code backend.cpu.LayerNormCpu}.
 */
public final class LayerNormOp {
    private LayerNormOp() {}

    /**
     * x [.., C], weight [C], bias [C] → [.., C]. A null weight (bias) means 1 (0): the non-affine norm.
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Elementwise.requireFloat("layerNorm", x);
        if (x.rank() < 1) throw new ShapeException("layerNorm: needs rank >= 1, got a scalar");
        int[] shape = x.shape();
        int cols = shape[shape.length - 1];
        int rows = Shape.numel(Arrays.copyOf(shape, shape.length - 1));
        Backend be = x.backend();
        Tensor w = weight != null ? affine("weight", weight, shape) : Tensor.ones(be, cols);
        Tensor b = bias != null ? affine("bias", bias, shape) : Tensor.zeros(be, cols);
        Tensor xc = Movement.contiguous(x);
        Buffer out = be.allocateUninitialized(rows * cols);
        Buffer mean = be.allocateUninitialized(rows), rstd = be.allocateUninitialized(rows);
        be.layerNormForward(xc.buffer(), w.buffer(), b.buffer(), out, mean, rstd, rows, cols, eps);
        return recordFused("layerNorm", wrap(be, out, shape), g -> JointGradients.of(
                new boolean[] {xc.requiresGrad(), w.requiresGrad(), b.requiresGrad()},
                d -> be.layerNormBackward(g.buffer(), xc.buffer(), w.buffer(), mean, rstd, d[0], d[1], d[2], rows, cols)),
                xc, w, b);
    }

    private static Tensor affine(String what, Tensor p, int[] xShape) {
        Elementwise.requireFloat("layerNorm", p);
        if (p.rank() != 1 || p.dim(0) != xShape[xShape.length - 1]) {
            throw new ShapeException("layerNorm: " + what + " " + Shape.str(p.shape()) + " for input "
                    + Shape.str(xShape) + " (expected [" + xShape[xShape.length - 1] + "])");
        }
        return Movement.contiguous(p);
    }
}
