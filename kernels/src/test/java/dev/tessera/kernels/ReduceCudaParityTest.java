package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * reduce.cu vs ReduceCpu: SUM and MAX with every variant (V3 at several chunk counts) and block size, over
 * shapes that stress each version — one element, an empty axis, short rows, logits [64, 1000], a ViT-S bias
 * gradient [1, 12608, 384], token means [64, 197, 384], a full sum of 1.2M elements, and odd inner sizes.
 * The default rule ({@link ReduceCuda#choose}) runs too. argmax is checked exactly, with ties and NaNs.
 *
 * <p>Tolerances: MAX and argmax are exact. SUM accumulates in float (tree, chunked or sequential) where the
 * CPU uses double; with |x| ≤ 1 the error is bounded by about ε·length·|x|, so atol = 1e-6·length (≈ 8ε per
 * term) and rtol 1e-5.
 */
class ReduceCudaParityTest extends GpuTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1), Arguments.of(3, 0, 2), Arguments.of(5000, 3, 1), Arguments.of(64, 1000, 1),
                Arguments.of(1, 12608, 384), Arguments.of(64, 197, 384), Arguments.of(1, 1_200_007, 1),
                Arguments.of(7, 33, 5), Arguments.of(2, 129, 31));
    }

    static List<ReduceCuda.Plan> plans(int outer, int length, int inner) {
        var V = ReduceCuda.Variant.values();
        return List.of(new ReduceCuda.Plan(V[0], 32, 0), new ReduceCuda.Plan(V[0], 256, 0),
                new ReduceCuda.Plan(V[1], 32, 0), new ReduceCuda.Plan(V[1], 256, 0), new ReduceCuda.Plan(V[1], 1024, 0),
                new ReduceCuda.Plan(V[2], 256, 1), new ReduceCuda.Plan(V[2], 128, 7), new ReduceCuda.Plan(V[2], 256, 64),
                ReduceCuda.choose(outer, length, inner, gpu.status().multiprocessors()));
    }

    @ParameterizedTest(name = "outer={0} length={1} inner={2}")
    @MethodSource("shapes")
    void matchesCpuReference(int outer, int length, int inner) {
        float[] x = uniform(41, outer * length * inner, -1f, 1f);
        int outputs = outer * inner;
        for (ReduceOp op : ReduceOp.values()) {
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair px = Pair.of(gpu, x);
                var out = CPU.allocate(outputs);
                CPU.reduce(op, px.cpu(), outer, length, inner, out);
                float[] expected = CPU.download(out);
                double atol = op == ReduceOp.SUM ? 1e-6 * Math.max(1, length) : 0, rtol = op == ReduceOp.SUM ? 1e-5 : 0;
                for (ReduceCuda.Plan plan : plans(outer, length, inner)) {
                    try (StepScope _ = gpu.openScope()) {
                        var g = gpu.allocate(outputs);
                        gpu.reduceKernels().reduce(plan, op, px.gpu(), outer, length, inner, g);
                        GpuTestSupport.assertCloseWithInfinities(op + " " + plan + " [" + outer + ", " + length + ", " + inner + "]",
                                expected, gpu.download(g), new int[] {outer, inner}, atol, rtol);
                    }
                }
            }
        }
    }

    @Test
    void argmaxMatchesExactlyIncludingTiesAndNaN() {
        int outer = 6, length = 1000, inner = 3;
        float[] x = uniform(42, outer * length * inner, -1f, 1f);
        // row 0: a tie between k = 10 and k = 900 (first wins); row 1: NaN at 500 beats everything after and before
        for (int i = 0; i < inner; i++) {
            x[(0 * length + 10) * inner + i] = 5f;
            x[(0 * length + 900) * inner + i] = 5f;
            x[(1 * length + 500) * inner + i] = Float.NaN;
            x[(1 * length + 700) * inner + i] = Float.NaN;
            x[(2 * length + 999) * inner + i] = 9f;   // the last element
            x[(3 * length) * inner + i] = 9f;         // the first element
        }
        for (int block : new int[] {32, 256, 1024}) {
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair px = Pair.of(gpu, x);
                var ci = CPU.allocateInts(outer * inner);
                var gi = gpu.allocateInts(outer * inner);
                CPU.argmax(px.cpu(), outer, length, inner, ci);
                gpu.reduceKernels().argmax(px.gpu(), outer, length, inner, gi, block);
                assertArrayEquals(CPU.downloadInts(ci), gpu.downloadInts(gi), "argmax block " + block);
            }
        }
    }

    @Test
    void maxPropagatesNaNLikeJava() {
        float[] x = {1f, Float.NaN, 3f, -0f, 0f, -1f};
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Pair px = Pair.of(gpu, x);
            var c = CPU.allocate(2);
            CPU.reduce(ReduceOp.MAX, px.cpu(), 2, 3, 1, c);
            for (ReduceCuda.Plan plan : plans(2, 3, 1)) {
                var g = gpu.allocate(2);
                gpu.reduceKernels().reduce(plan, ReduceOp.MAX, px.gpu(), 2, 3, 1, g);
                float[] e = CPU.download(c), a = gpu.download(g);
                for (int i = 0; i < 2; i++) {
                    org.junit.jupiter.api.Assertions.assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(a[i]),
                            plan + " element " + i + ": expected " + e[i] + " got " + a[i]);
                }
            }
        }
    }
}
