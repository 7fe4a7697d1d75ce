package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;

/**
 * Sums of squares of flat buffers computed on the backend with its primitives (square, then two levels of
 * one-axis sums), so norms work on any device and only one float comes back to the host. Chunking bounds
 * the scratch memory to 1 Mi floats however large the buffer (ViT-L's gradients are 300 M floats) and
 * keeps each partial sum short, which helps float accuracy on devices that sum in float.
 */
final class Norms {
    private Norms() {}

    static final int CHUNK = 1 << 20;

    /** Σ x², with temporaries in a nested scope released before returning. */
    static double sumOfSquares(Backend be, Buffer x) {
        int n = x.length();
        if (n == 0) return 0;
        int chunk = Math.min(n, CHUNK), chunks = (n + chunk - 1) / chunk;
        try (StepScope _ = be.openScope()) {
            Buffer squares = be.allocate(chunk), partial = be.allocate(chunks), total = be.allocate(1);
            for (int c = 0; c < chunks; c++) {
                int from = c * chunk, len = Math.min(chunk, n - from);
                Buffer sq = squares.slice(0, len);
                be.unary(UnaryOp.SQUARE, 0f, x.slice(from, len), sq);
                be.reduce(ReduceOp.SUM, sq, 1, len, 1, partial.slice(c, 1));
            }
            be.reduce(ReduceOp.SUM, partial, 1, chunks, 1, total);
            return be.download(total)[0];
        }
    }

    /** ‖x‖₂. */
    static double norm(Backend be, Buffer x) {
        return Math.sqrt(sumOfSquares(be, x));
    }
}
