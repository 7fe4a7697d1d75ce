package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;

/**
 * torch.nn.MaxPool2d(kernel_size=k) on NCHW tensors: stride k, no padding, floor mode — the pooling between the
 * groups of OpenAI's DALL-E dVAE encoder ({@code dall_e/encoder.py}, k = 2).
 *
 * <p>Built from backend primitives: one strided copy lays every k×k window out as a row
 * {@code [N·C·Ho·Wo, k·k]} (row-major in the window, the order PyTorch scans it), argmax picks each row's first
 * maximum, gather reads it; backward scatters the gradient to that element and copies the rows back onto the
 * input. Windows do not overlap (stride = kernel), so the copy back never adds two rows onto one pixel.
 */
public final class MaxPool2dOp {
    private MaxPool2dOp() {}

    /** x [N, C, H, W] → [N, C, ⌊H/k⌋, ⌊W/k⌋]. */
    public static Tensor maxPool2d(Tensor x, int k) {
        Elementwise.requireFloat("maxPool2d", x);
        if (x.rank() != 4) throw new ShapeException("maxPool2d: input " + Shape.str(x.shape()) + " (expected [N, C, H, W])");
        if (k < 1 || x.dim(2) < k || x.dim(3) < k) {
            throw new ShapeException("maxPool2d: kernel " + k + " for input " + Shape.str(x.shape()));
        }
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), ho = h / k, wo = w / k, rows = n * c * ho * wo;
        int[] windows = {n, c, ho, wo, k, k};
        int[] st = x.strides();
        int[] read = {st[0], st[1], k * st[2], k * st[3], st[2], st[3]};
        Backend be = x.backend();
        Buffer laid = be.allocateUninitialized(rows * k * k);
        be.copyStrided(x.buffer(), read, laid, Shape.contiguousStrides(windows), windows, false);
        Buffer index = be.allocateInts(rows);
        be.argmax(laid, rows, k * k, 1, index);
        Buffer out = be.allocateUninitialized(rows);
        be.gather(laid, index, out, rows, k * k, 1, 1);
        int[] dense = Shape.contiguousStrides(new int[] {n, c, h, w});
        int[] back = {dense[0], dense[1], k * dense[2], k * dense[3], dense[2], dense[3]};
        return recordFused("maxPool2d", wrap(be, out, n, c, ho, wo), g -> new Deferred[] {Deferred.adding(dx -> {
            Buffer dy = (g.isContiguous() ? g : g.contiguous()).buffer();
            Buffer dLaid = be.allocate(rows * k * k);
            be.scatterAdd(dy, index, dLaid, rows, k * k, 1, 1);
            be.copyStrided(dLaid, Shape.contiguousStrides(windows), dx, back, windows, true);
        })}, x);
    }
}
