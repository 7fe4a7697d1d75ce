package dev.tessera.bench.engine;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Arrays;

/**
 * The Java half of {@code bench/compare/paired_sgemm.py}: a warm process that times SGEMMs on request, so the
 * Python driver can alternate Tessera and PyTorch call by call. On a machine shared with other jobs the load
 * changes from minute to minute; JMH and the PyTorch script measured minutes apart then compare different
 * machines. Paired, back-to-back samples see the same load, and the median of their ratios is robust to it.
 *
 * <p>Protocol, one request per line on stdin: {@code M N K LAYOUT REPS} → one line on stdout, the median
 * seconds per call over REPS timed calls (after one untimed call). {@code quit} ends the process.
 * Run: {@code java $(cat bench/target/jvm.flags) -cp bench/target/benchmarks.jar
 * dev.tessera.bench.engine.PairedSgemm [threads]}.
 */
public final class PairedSgemm {
    private PairedSgemm() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        try (CpuBackend be = Fixtures.cpu(threads);
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
            System.out.println("ready");
            System.out.flush();
            String current = null;
            StepScope scope = null;
            Buffer a = null, b = null, c = null;
            for (String line; (line = in.readLine()) != null && !line.isBlank() && !line.equals("quit"); ) {
                String[] f = line.trim().split("\\s+");
                int m = Integer.parseInt(f[0]), n = Integer.parseInt(f[1]), k = Integer.parseInt(f[2]);
                boolean transA = f[3].charAt(0) == 'T', transB = f[3].charAt(1) == 'T';
                int reps = Integer.parseInt(f[4]);
                String key = m + " " + n + " " + k;
                if (!key.equals(current)) {   // operands are reused while the driver asks for the same shape
                    if (scope != null) scope.close();
                    scope = be.openScope();
                    a = Fixtures.uniform(be, m * k, 1);
                    b = Fixtures.uniform(be, k * n, 2);
                    c = be.allocate(m * n);
                    current = key;
                }
                be.matmul(transA, transB, 1, m, n, k, 1f, a, 0, b, 0, 0f, c);
                double[] t = new double[reps];
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    be.matmul(transA, transB, 1, m, n, k, 1f, a, 0, b, 0, 0f, c);
                    be.synchronize();
                    t[r] = (System.nanoTime() - t0) * 1e-9;
                }
                Arrays.sort(t);
                System.out.println(t[reps / 2]);
                System.out.flush();
            }
            if (scope != null) scope.close();
        }
    }
}
