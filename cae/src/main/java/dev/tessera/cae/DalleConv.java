package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.Conv2dOp;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * {@code dall_e/utils.py Conv2d}: a square, odd kernel with "same" padding (kw − 1)/2, stride 1, parameters named
 * {@code w} [n_out, n_in, kw, kw] and {@code b} [n_out]; initialised w ~ N(0, 1/(n_in·kw²)), b = 0 as there. The
 * official layer runs in float16 on CUDA; Tessera always computes in float32 (its CPU path).
 */
public final class DalleConv extends Module {
    private final Parameter w, b;
    private final int padding;

    public DalleConv(Backend backend, int nIn, int nOut, int kw, Rng rng) {
        if (kw < 1 || kw % 2 == 0) throw new IllegalArgumentException("DALL-E Conv2d: kernel width must be odd, got " + kw);
        this.w = parameter("w", Tensor.of(backend, rng.normal(nOut * nIn * kw * kw, 0f, (float) (1 / Math.sqrt(nIn * kw * kw))),
                nOut, nIn, kw, kw));
        this.b = parameter("b", Tensor.zeros(backend, nOut));
        this.padding = (kw - 1) / 2;
    }

    /** x [N, n_in, H, W] → [N, n_out, H, W]. */
    public Tensor forward(Tensor x) {
        return Conv2dOp.conv2d(x, w.tensor(), b.tensor(), 1, padding);
    }
}
