package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules about the .cu sources that the emulator cannot check cheaply, read from the sources themselves.
 *
 * <p>Grid-stride loops: {@code for (int i = blockIdx.x·blockDim.x + threadIdx.x; i < n; i += gridDim.x·blockDim.x)}
 * wraps once n passes 2³⁰, because the launchers give about one thread per element, so the last increment reaches
 * about 2n. Emulating a 2³¹-element launch on the CPU takes minutes, so the rule is checked here: every loop whose
 * increment involves {@code gridDim} counts in 64 bits.
 */
class KernelSourceRulesTest {

    /** Files another change is fixing; listed here so this test does not fail on them meanwhile. */
    private static final Set<String> PENDING = Set.of();

    private static final Pattern FOR = Pattern.compile("for\\s*\\(([^;]*);([^;]*);(.*?)\\)\\s*\\{");

    @Test
    void gridStrideLoopsCountIn64Bits() throws IOException {
        List<String> bad = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.list(CudaSources.dir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                if (PENDING.contains(f.getFileName().toString())) continue;
                String src = Files.readString(f);
                Matcher m = FOR.matcher(src);
                while (m.find()) {
                    // batch loops over grid.z step by at most 65535 (LaunchConfig's limit): they would wrap only for
                    // a batch count above 2³¹ − 65536, which no buffer of 2³¹ − 1 elements can hold with m·n > 1
                    if (!m.group(3).contains("gridDim") || m.group(3).contains("gridDim.z")) continue;
                    checked++;
                    String init = m.group(1).trim();
                    if (!init.startsWith("long long") && !init.startsWith("size_t") && !init.startsWith("int64_t")) {
                        int line = (int) src.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
                        bad.add(f.getFileName() + ":" + line + ": " + m.group().replaceAll("\\s+", " "));
                    }
                }
            }
        }
        assertTrue(checked >= 10, "found only " + checked + " grid-stride loops; has the loop style changed?");
        assertTrue(bad.isEmpty(), "grid-stride loops with a 32-bit counter:\n" + String.join("\n", bad));
    }

    /** A static (not {@code extern}) shared array of 4-byte elements with a literal size. */
    private static final Pattern STATIC_SHARED = Pattern.compile("(?<!extern )__shared__\\s+(?:float|int)\\s+\\w+\\[(\\d+)]");

    @Test
    void attentionV1StaticSharedMemoryIsCounted() throws IOException {
        String src = Files.readString(CudaSources.dir().resolve("attention.cu"));
        int start = src.indexOf("void attention_forward_v1(");
        int end = src.indexOf("extern \"C\"", start);
        String body = src.substring(start, end);
        Matcher m = STATIC_SHARED.matcher(body);
        int bytes = 0;
        while (m.find()) bytes += 4 * Integer.parseInt(m.group(1));
        assertEquals(bytes, AttentionCuda.V1_FORWARD_STATIC_SHARED, "attention_forward_v1's static shared arrays");
        for (String other : new String[] {"attention_backward_dq_v1(", "attention_backward_dkdv_v1("}) {
            int s = src.indexOf(other);
            String b = src.substring(s, src.indexOf("extern \"C\"", s + 1) < 0 ? src.length() : src.indexOf("extern \"C\"", s + 1));
            assertTrue(!STATIC_SHARED.matcher(b).find(),
                    other + " declares static shared memory; v1Geometry is called with 0 static bytes for it");
        }
    }
}
