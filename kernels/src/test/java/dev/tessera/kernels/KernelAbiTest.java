package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Java↔CUDA calling convention, checked without a GPU. cuLaunchKernel copies each argument with the size
 * the kernel declares, so a Java int where the kernel has a pointer (or a missing argument) corrupts
 * memory silently. This test parses every {@code extern "C" __global__} signature in src/main/cuda, drives
 * every launcher through every variant with fake device buffers and a recording launcher, and checks that
 * each launch passes exactly the declared number of arguments with matching types (float* / int* / int /
 * float / Dims8 / AttnLayout). It also checks that every kernel in the fatbin is launched by some Java code path.
 * (Two arguments of the same type in swapped order cannot be caught this way; the GPU parity tests would.)
 */
class KernelAbiTest {

    record Launch(String kernel, LaunchConfig config, List<String> kinds) {}

    static Map<String, List<String>> signatures() throws IOException {
        Map<String, List<String>> sigs = new TreeMap<>();
        Pattern p = Pattern.compile("extern \"C\" __global__ void\\s+(?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\s*\\(([^)]*)\\)");
        try (Stream<Path> files = Files.list(CudaSources.dir())) {
            for (Path f : files.filter(x -> x.toString().endsWith(".cu")).toList()) {
                Matcher m = p.matcher(expandKernelMacros(Files.readString(f)));
                while (m.find()) {
                    List<String> types = new ArrayList<>();
                    for (String param : m.group(2).split(",")) {
                        String t = param.replace("const", " ").replace("__restrict__", " ").trim().replaceAll("\\s+", " ");
                        t = t.substring(0, t.lastIndexOf(' ')).replace(" ", "");  // drop the parameter name
                        types.add(t);
                    }
                    sigs.put(m.group(1), types);
                }
            }
        }
        return sigs;
    }

    /**
     * The source with every {@code #define NAME(params) … extern "C" __global__ …} macro removed and each of its
     * invocations {@code NAME(args)} at the start of a line replaced by the body with the arguments substituted
     * (and {@code ##} pasted), so kernels stamped out per layout or head dimension are parsed like written ones.
     */
    static String expandKernelMacros(String source) {
        String text = source.replace("\\\n", " ");
        Pattern def = Pattern.compile("(?m)^#define (\\w+)\\(([^)]*)\\)(.*extern \"C\" __global__.*)$");
        Matcher d = def.matcher(text);
        List<String[]> macros = new ArrayList<>();
        while (d.find()) macros.add(new String[] {d.group(1), d.group(2), d.group(3)});
        text = d.replaceAll("");
        StringBuilder expanded = new StringBuilder(text);
        for (String[] macro : macros) {
            String[] params = macro[1].split(",");
            Matcher call = Pattern.compile("(?m)^" + macro[0] + "\\(([^)]*)\\)").matcher(text);
            while (call.find()) {
                String[] args = call.group(1).split(",");
                String body = macro[2];
                for (int i = 0; i < params.length; i++) {
                    body = body.replaceAll("\\b" + Pattern.quote(params[i].trim()) + "\\b", Matcher.quoteReplacement(args[i].trim()));
                }
                expanded.append('\n').append(body.replaceAll("\\s*##\\s*", ""));
            }
        }
        return expanded.toString();
    }

    static boolean compatible(String passed, String declared) {
        return switch (passed) {
            case "ptr" -> declared.endsWith("*");
            case "bf16_t*" -> declared.equals("bf16_t*");
            default -> passed.equals(declared);
        };
    }

    @Test
    void everyLaunchMatchesItsKernelSignature() throws IOException {
        Map<String, List<String>> sigs = signatures();
        assertTrue(sigs.size() > 20, "parsed " + sigs.keySet());
        List<Launch> launches = new ArrayList<>();
        KernelLauncher recorder = (k, c, a) -> launches.add(new Launch(k, c, a.kinds()));
        DeviceAllocator alloc = new DeviceAllocator(new DeviceAllocatorTest.FakeDevice(1L << 40));
        Object owner = new Object();
        LaunchContext lc = new LaunchContext(recorder, alloc, owner, 132);
        Bufs b = new Bufs(alloc, owner);

        StridedCuda st = new StridedCuda(lc);
        st.copy(b.f(64), new int[] {8, 1}, b.f(64), new int[] {1, 8}, new int[] {8, 8}, false, 256);
        st.copy(b.f(64), new int[] {8, 1}, b.f(8), new int[] {0, 1}, new int[] {8, 8}, true, 256);
        st.unary(UnaryOp.GELU, 0f, b.f(64), b.f(64), 256);
        st.binary(BinaryOp.ADD, b.f(64), new int[] {8, 1}, b.f(8), new int[] {0, 1}, b.f(64), new int[] {8, 8}, 256);

        ReduceCuda rd = new ReduceCuda(lc);
        for (ReduceCuda.Variant v : ReduceCuda.Variant.values()) {
            rd.reduce(new ReduceCuda.Plan(v, 128, 4), ReduceOp.SUM, b.f(1000), 10, 20, 5, b.f(50));
        }
        rd.argmax(b.f(1000), 10, 20, 5, b.i(50), 128);

        GemmCuda gm = new GemmCuda(lc);
        for (GemmCuda.Variant v : GemmCuda.Variant.values()) {
            gm.gemm(v, true, false, 2, 8, 9, 10, 1f, b.f(160), 80, b.f(90), 0, 0f, b.f(144));
        }

        LayerNormCuda ln = new LayerNormCuda(lc);
        for (LayerNormCuda.Variant v : LayerNormCuda.Variant.values()) {
            ln.forward(v, 64, b.f(60), b.f(6), b.f(6), b.f(60), b.f(10), b.f(10), 10, 6, 1e-5f);
            ln.backward(v, 64, b.f(60), b.f(60), b.f(6), b.f(10), b.f(10), b.f(60), b.f(6), b.f(6), 10, 6);
            ln.backward(v, 64, b.f(60), b.f(60), b.f(6), b.f(10), b.f(10), null, null, b.f(6), 10, 6);
            ln.backward(v, 64, b.f(60), b.f(60), b.f(6), b.f(10), b.f(10), b.f(60), null, null, 10, 6);  // dx alone
        }

        SoftmaxCuda sm = new SoftmaxCuda(lc);
        for (SoftmaxCuda.Variant v : SoftmaxCuda.Variant.values()) {
            sm.forward(v, 64, b.f(60), b.f(60), 10, 6, true);
            sm.backward(v, 64, b.f(60), b.f(60), b.f(60), 10, 6, false);
        }

        AttentionCuda at = new AttentionCuda(lc);
        AttentionLayout contiguous = AttentionLayout.contiguous(2, 5, 7, 8), packed = AttentionLayout.packedQkv(2, 5, 3, 8);
        for (AttentionCuda.Variant v : AttentionCuda.Variant.values()) {
            at.forward(v, 64, contiguous, b.f(2 * 5 * 8), b.f(2 * 7 * 8), b.f(2 * 7 * 8), b.f(2 * 5 * 8), b.f(10), 0.3f);
            at.backward(v, 64, contiguous, b.f(80), b.f(112), b.f(112), b.f(80), b.f(10), b.f(80), b.f(80), b.f(112), null,
                    0.3f, GradMode.ACCUMULATE);
            CudaBuffer qkv = b.f(2 * 5 * 72), dqkv = b.f(2 * 5 * 72);
            at.backward(v, 64, packed, qkv, qkv, qkv, b.f(2 * 5 * 24), b.f(30), b.f(2 * 5 * 24), dqkv, dqkv, dqkv, 0.3f,
                    GradMode.OVERWRITE);
        }

        GemmMmaCuda mma = new GemmMmaCuda(lc);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                mma.gemm(ta, tb, 2, 8, 9, 10, 1f, b.f(160), 80, b.f(90), 0, 0f, b.f(144));
                mma.gemmTf32(ta, tb, 2, 8, 9, 10, 1f, b.f(160), 80, b.f(90), 0, 0f, b.f(144));
                mma.gemmBf16(ta, tb, 2, 8, 9, 10, 1f, b.i(80), 80, b.f(45), 0, 0f, b.f(144));
            }
        }

        FlashAttentionCuda fa = new FlashAttentionCuda(lc);
        for (int d : new int[] {32, 64, 128}) {
            AttentionLayout lay = AttentionLayout.contiguous(2, 5, 7, d);
            fa.forward(lay, b.f(2 * 5 * d), b.f(2 * 7 * d), b.f(2 * 7 * d), b.f(2 * 5 * d), b.f(10), 0.3f);
            fa.backward(lay, b.f(10 * d), b.f(14 * d), b.f(14 * d), b.f(10 * d), b.f(10), b.f(10 * d), b.f(10 * d), b.f(14 * d),
                    null, 0.3f, GradMode.ACCUMULATE);
            AttentionLayout cross = AttentionLayout.tokenMajor(2, 2, 5, 7, d);
            fa.backward(cross, b.f(20 * d), b.f(28 * d), b.f(28 * d), b.f(20 * d), b.f(20), b.f(20 * d), b.f(20 * d), b.f(28 * d),
                    b.f(28 * d), 0.3f, GradMode.OVERWRITE);
        }

        GatherCuda ga = new GatherCuda(new CudaContext(new RecordingDriver(1L << 40), LaunchCensus.H100), lc);
        ga.gather(b.f(60), b.i(8), b.f(48), 2, 5, 4, 6, 256);
        ga.scatterAdd(b.f(48), b.i(8), b.f(60), 2, 5, 4, 6, 256);

        AdamWCuda adamW = new AdamWCuda(new CudaContext(new RecordingDriver(1L << 40), LaunchCensus.H100), lc);
        adamW.step(b.f(100), b.f(100), b.f(100), b.f(100), new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1), 256);
        adamW.stepRanges(b.f(100), b.f(100), b.f(100), b.f(100), b.i(5), 2, b.f(AdamWStep.SCALARS), 256);
        for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
            new GemmCuda(lc).epilogue(v, b.f(70 * 33), b.f(45 * 33), b.f(45), 70, 45, 33, true, b.f(70 * 45), b.f(70 * 45));
            new GemmCuda(lc).epilogue(v, b.f(70 * 33), b.f(45 * 33), null, 70, 45, 33, false, null, b.f(70 * 45));
        }
        for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
            new GemmCuda(lc).weightGrad(v, b.f(77 * 45), b.f(77 * 33), 77, 45, 33, b.f(45 * 33), false, b.f(45), true);
        }
        new ColumnSumsCuda(lc).addColumnSums(b.f(77 * 45), 77, 45, b.f(45));
        new ResidualCuda(lc).forward(b.f(3 * 7 * 45), b.f(3 * 7 * 45), b.f(45), null, 3, 7, 45, b.f(3 * 7 * 45));
        new ResidualCuda(lc).backward(b.f(3 * 7 * 45), b.f(3 * 7 * 45), b.f(45), b.f(3), 3, 7, 45, b.f(3 * 7 * 45), true, b.f(45));
        new GradClipCuda(lc).clip(b.f(5000), 0.5f, b.f(1), 256);
        new MaskingCuda(lc).argsortMask(b.f(3 * 49), 3, 49, 12, b.i(3 * 49), b.i(3 * 49), b.i(3 * 12), b.f(3 * 49), 256);

        TreeSet<String> launched = new TreeSet<>();
        for (Launch l : launches) {
            List<String> declared = sigs.get(l.kernel());
            if (declared == null) fail("kernel " + l.kernel() + " is launched from Java but not defined in src/main/cuda");
            assertEquals(declared.size(), l.kinds().size(), l.kernel() + ": argument count; declared " + declared
                    + ", passed " + l.kinds());
            for (int i = 0; i < declared.size(); i++) {
                assertTrue(compatible(l.kinds().get(i), declared.get(i)), l.kernel() + " argument " + i + ": declared "
                        + declared.get(i) + ", passed " + l.kinds().get(i) + " (all: " + l.kinds() + ")");
            }
            launched.add(l.kernel());
        }
        TreeSet<String> never = new TreeSet<>(sigs.keySet());
        never.removeAll(launched);
        assertTrue(never.isEmpty(), "kernels never launched from Java: " + never);
    }

    /** Fake device buffers of one owner. */
    record Bufs(DeviceAllocator alloc, Object owner) {
        CudaBuffer f(int n) {
            return new CudaBuffer(alloc.allocate(4L * n), owner, 0, n, false);
        }

        CudaBuffer i(int n) {
            return new CudaBuffer(alloc.allocate(4L * n), owner, 0, n, true);
        }
    }
}
