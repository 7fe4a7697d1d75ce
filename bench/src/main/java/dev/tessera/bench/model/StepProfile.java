package dev.tessera.bench.model;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a {@code mae-tiny} training step spends its time: runs N steps of {@link MaeStepBench}'s step and
 * prints each step's wall time (forward / backward / AdamW) and process CPU time, then the median of the
 * steps after the first two. With {@code profile} the backend is wrapped in a decorator that adds up the
 * time of every Backend call, keyed by op and shape, and prints the list sorted by time per step.
 * <pre>
 *   java $(cat bench/target/jvm.flags) -cp bench/target/benchmarks.jar dev.tessera.bench.model.StepProfile [batch] [steps] [profile]
 *     -Dthreads=N   backend threads (default 2)
 *     -Dcpu=true    profile process CPU time instead of wall time (steadier on a shared machine; the CPU
 *                   clock ticks in jiffies here, so per-op figures are averages over the steps)
 * </pre>
 * Wall time per op includes waiting for the other thread; under contention from other processes it
 * overstates every op alike. CPU time per step (all threads, GC included) does not depend on how busy the
 * machine is, which makes it the steadier figure for before/after comparisons.
 */
public final class StepProfile {
    private StepProfile() {}

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @SuppressWarnings("try") // the scope is only closed
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean profile = args.length > 2 && args[2].equals("profile");
        boolean cpuClock = Boolean.getBoolean("cpu");
        CpuBackend cpu = new CpuBackend(Integer.getInteger("threads", 2));
        Timing timing = profile ? new Timing(cpu, cpuClock) : null;
        Backend be = profile ? timing : cpu;
        MaskedAutoencoder mae = new MaskedAutoencoder(MaeConfig.preset("mae-tiny"), be, new Rng(0));
        ParameterStore store = new ParameterStore(be, mae);
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
        Tensor images = Tensor.of(be, new Rng(1).uniform(batch * 28 * 28, -1f, 1f), batch, 1, 28, 28);
        System.out.println("# " + cpu.name() + ", mae-tiny, batch " + batch + (profile ? ", profiling "
                + (cpuClock ? "process CPU time" : "wall time") + " per op" : ""));

        double[] wall = new double[steps], cpuMs = new double[steps];
        for (int s = 0; s < steps; s++) {
            if (timing != null) timing.on = s >= 2;
            long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
            store.zeroGrad();
            float loss;
            long tf, tb;
            try (StepScope scope = be.openScope()) {
                Tensor l = mae.forward(images).loss();
                loss = l.item();
                tf = System.nanoTime();
                l.backward();
                tb = System.nanoTime();
            }
            opt.step(1e-4f);
            long t1 = System.nanoTime();
            wall[s] = (t1 - t0) / 1e6;
            cpuMs[s] = (OS.getProcessCpuTime() - c0) / 1e6;
            MemoryStats m = cpu.memoryStats();
            System.out.printf("step %d: %.0f ms (forward %.0f, backward %.0f, AdamW %.0f), cpu %.0f ms, loss %.4f,"
                            + " pooled %d MB, system allocations %d%n", s, wall[s], (tf - t0) / 1e6, (tb - tf) / 1e6,
                    (t1 - tb) / 1e6, cpuMs[s], loss, m.pooledBytes() >> 20, m.systemAllocations());
        }
        if (steps > 2) {
            System.out.printf("median of steps 2..%d: %.0f ms wall, %.0f ms cpu; best %.0f ms wall%n", steps - 1,
                    median(wall, 2), median(cpuMs, 2), Arrays.stream(wall, 2, steps).min().orElse(0));
        }
        if (timing != null && steps > 2) timing.print(steps - 2);
        cpu.close();
    }

    private static double median(double[] a, int from) {
        double[] t = Arrays.copyOfRange(a, from, a.length);
        Arrays.sort(t);
        return t[t.length / 2];
    }

    /** A Backend that forwards every call to the CPU backend and adds up its time under a key. */
    private static final class Timing implements Backend {
        final CpuBackend d;
        final boolean cpuClock;
        final Map<String, long[]> totals = new HashMap<>();
        boolean on;

        Timing(CpuBackend d, boolean cpuClock) {
            this.d = d;
            this.cpuClock = cpuClock;
        }

        long now() {
            return cpuClock ? OS.getProcessCpuTime() : System.nanoTime();
        }

        void add(String key, long t0) {
            if (!on) return;
            long[] a = totals.computeIfAbsent(key, k -> new long[2]);
            a[0] += now() - t0;
            a[1]++;
        }

        void print(int steps) {
            List<Map.Entry<String, long[]>> es = new ArrayList<>(totals.entrySet());
            es.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
            long sum = 0;
            for (var e : es) sum += e.getValue()[0];
            System.out.printf("backend calls: %.0f ms per step in total%n", sum / 1e6 / steps);
            for (var e : es) {
                System.out.printf("%9.1f ms/step %5d calls/step  %s%n", e.getValue()[0] / 1e6 / steps,
                        e.getValue()[1] / steps, e.getKey());
            }
        }

        static String s(int[] a) {
            return Arrays.toString(a);
        }

        @Override public String name() { return d.name(); }
        @Override public Buffer allocate(int n) { long t = now(); Buffer b = d.allocate(n); add("allocate", t); return b; }
        @Override public Buffer allocateInts(int n) { long t = now(); Buffer b = d.allocateInts(n); add("allocate", t); return b; }
        @Override public StepScope openScope() { return d.openScope(); }
        @Override public MemoryStats memoryStats() { return d.memoryStats(); }
        @Override public void upload(float[] src, Buffer dst) { long t = now(); d.upload(src, dst); add("upload", t); }
        @Override public float[] download(Buffer src) { long t = now(); float[] r = d.download(src); add("download", t); return r; }
        @Override public void uploadInts(int[] src, Buffer dst) { long t = now(); d.uploadInts(src, dst); add("upload", t); }
        @Override public int[] downloadInts(Buffer src) { long t = now(); int[] r = d.downloadInts(src); add("download", t); return r; }
        @Override public void fill(Buffer dst, float v) { long t = now(); d.fill(dst, v); add("fill", t); }

        @Override
        public void copyStrided(Buffer src, int[] ss, Buffer dst, int[] ds, int[] shape, boolean acc) {
            long t = now();
            d.copyStrided(src, ss, dst, ds, shape, acc);
            add("copyStrided" + (acc ? "+= " : " ") + s(shape) + " src " + s(ss) + " dst " + s(ds), t);
        }

        @Override
        public void unary(UnaryOp op, float p, Buffer x, Buffer out) {
            long t = now();
            d.unary(op, p, x, out);
            add("unary " + op + " [" + x.length() + "]", t);
        }

        @Override
        public void binary(BinaryOp op, Buffer a, int[] as, Buffer b, int[] bs, Buffer out, int[] shape) {
            long t = now();
            d.binary(op, a, as, b, bs, out, shape);
            add("binary " + op + " " + s(shape) + " a " + s(as) + " b " + s(bs), t);
        }

        @Override
        public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
            long t = now();
            d.reduce(op, x, outer, length, inner, out);
            add("reduce " + op + " " + outer + "×" + length + "×" + inner, t);
        }

        @Override
        public void argmax(Buffer x, int outer, int length, int inner, Buffer out) {
            long t = now();
            d.argmax(x, outer, length, inner, out);
            add("argmax", t);
        }

        @Override
        public void matmul(boolean ta, boolean tb, int batch, int m, int n, int k, float alpha, Buffer a, int as,
                           Buffer b, int bs, float beta, Buffer c) {
            long t = now();
            d.matmul(ta, tb, batch, m, n, k, alpha, a, as, b, bs, beta, c);
            add("matmul", t);
        }

        @Override
        public void layerNormForward(Buffer x, Buffer w, Buffer b, Buffer out, Buffer mean, Buffer rstd, int rows,
                                     int cols, float eps) {
            long t = now();
            d.layerNormForward(x, w, b, out, mean, rstd, rows, cols, eps);
            add("layerNormForward", t);
        }

        @Override
        public void layerNormBackward(Buffer dout, Buffer x, Buffer w, Buffer mean, Buffer rstd, Buffer dx, Buffer dw,
                                      Buffer db, int rows, int cols) {
            long t = now();
            d.layerNormBackward(dout, x, w, mean, rstd, dx, dw, db, rows, cols);
            add("layerNormBackward", t);
        }

        @Override
        public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) {
            long t = now();
            d.softmaxForward(x, out, rows, cols, log);
            add("softmaxForward", t);
        }

        @Override
        public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
            long t = now();
            d.softmaxBackward(dout, out, dx, rows, cols, log);
            add("softmaxBackward", t);
        }

        @Override
        public void attentionForward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, int bh, int lq, int lk,
                                     int hd, float scale) {
            long t = now();
            d.attentionForward(q, k, v, out, lse, bh, lq, lk, hd, scale);
            add("attentionForward", t);
        }

        @Override
        public void attentionBackward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout, Buffer dq,
                                      Buffer dk, Buffer dv, int bh, int lq, int lk, int hd, float scale) {
            long t = now();
            d.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, bh, lq, lk, hd, scale);
            add("attentionBackward", t);
        }

        @Override
        public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner) {
            long t = now();
            d.gather(src, index, out, outer, srcLength, indexLength, inner);
            add("gather", t);
        }

        @Override
        public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner) {
            long t = now();
            d.scatterAdd(src, index, dst, outer, dstLength, indexLength, inner);
            add("scatterAdd", t);
        }

        @Override
        public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore,
                                Buffer idsKeep, Buffer mask) {
            long t = now();
            d.argsortMask(noise, rows, length, keep, idsShuffle, idsRestore, idsKeep, mask);
            add("argsortMask", t);
        }

        @Override
        public void addColumnSums(Buffer x, int rows, int cols, Buffer out) {
            long t = now();
            d.addColumnSums(x, rows, cols, out);
            add("reduce", t);
        }

        @Override
        public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) {
            long t = now();
            d.adamWRanges(param, grad, m, v, ranges, count, step);
            add("adamW", t);
        }

        @Override
        public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) {
            long t = now();
            d.adamW(param, grad, m, v, step);
            add("adamW", t);
        }

        @Override
        public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) {
            long t = now();
            d.clipGlobalNorm(grads, maxNorm, norm);
            add("clipGlobalNorm", t);
        }

        @Override public void synchronize() { d.synchronize(); }
        @Override public void close() { d.close(); }
    }
}
