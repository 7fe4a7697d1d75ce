package dev.tessera.bench.model;

import dev.tessera.cae.CaeConfig;
import dev.tessera.data.Batch;
import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.speed.ProcessClock;
import dev.tessera.train.CaeObjective;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.Objective;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a training step of any preset spends its time on the CPU backend. Runs warm-up steps, then profiled
 * steps of the preset's training step (MAE / CAE pre-training as their objectives compute the loss, or a
 * ViT classifier's cross-entropy), each in a step scope, then AdamW; the backend is wrapped in a decorator
 * that times every Backend call with the wall clock and the process CPU clock ({@link ProcessClock}), keyed by
 * op and shape. It prints, per step:
 * <ul>
 *   <li>the step's wall and process CPU time, and how much of the wall time no backend call covers (autograd
 *       bookkeeping, the model code, the optimiser's host side: serial Java between the kernels);</li>
 *   <li>per op family (matmul by layout, attention, softmax, layer norm, elementwise, copies, …): ms/step,
 *       share of the step, GFLOP/s where the family has a FLOP count (matmul 2·m·n·k, attention 4·BH·Lq·Lk·d
 *       forward and 10·BH·Lq·Lk·d backward), and the parallel efficiency CPU time / (wall time × threads):
 *       1 means every thread was busy for the whole call, 1/threads that one thread did all the work (or the
 *       others spun idle: spinning counts as CPU time, so efficiency is an upper bound);</li>
 *   <li>the same per op and shape, the largest first ({@code --top N}).</li>
 * </ul>
 * <pre>
 *   java $(cat bench/target/jvm.flags) -cp bench/target/benchmarks.jar dev.tessera.bench.model.StepProfile \
 *       --model mae-vit-base-patch16 --batch 8 [--steps 5] [--warmup 2] [--threads 2] [--top 40] [--json FILE]
 * </pre>
 * Under contention from other processes wall time stretches every op alike while CPU time does not: compare
 * before/after on CPU time when the machine is busy.
 */
public final class StepProfile {
    private StepProfile() {}

    /** One preset's step: the loss of a batch, the model whose parameters AdamW updates, the image shape. */
    private record Workload(Module model, int[] imageShape, LossFunction loss) {}

    @FunctionalInterface
    private interface LossFunction {
        Tensor of(Batch batch, Rng rng);
    }

    private static Workload workload(String name, Backend be, long seed) {
        Objective o = null;
        if (MaeConfig.presetNames().contains(name)) o = MaeObjective.create(MaeConfig.preset(name), be, seed);
        if (CaeConfig.presetNames().contains(name)) o = CaeObjective.create(CaeConfig.preset(name).withPixelTarget(), be, seed, null);
        if (o != null) return new Workload(o.model(), o.imageShape(), o::loss);
        if (ViTConfig.presetNames().contains(name)) {
            VisionTransformer vit = new VisionTransformer(ViTConfig.preset(name), be, new Rng(seed));
            return new Workload(vit, vit.config().imageShape(), (b, rng) -> Loss.crossEntropy(
                    vit.forward(Tensor.of(be, b.images(), b.n(), b.c(), b.h(), b.w())), Tensor.ofInts(be, b.labels(), b.n()), 0f));
        }
        throw new IllegalArgumentException("--model " + name + ": not an MAE, CAE or ViT preset; valid: "
                + String.join(", ", MaeConfig.presetNames()) + ", " + String.join(", ", CaeConfig.presetNames()) + ", "
                + String.join(", ", ViTConfig.presetNames()));
    }

    public static void main(String[] args) {
        Map<String, String> o = options(args);
        String model = o.getOrDefault("model", "mae-tiny");
        int batch = positive(o, "batch", 256), steps = positive(o, "steps", 5), threads = positive(o, "threads", 2);
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "2")), top = positive(o, "top", 40);
        CpuBackend cpu = new CpuBackend(threads);
        Timing timing = new Timing(cpu);
        Workload w;
        try {
            w = workload(model, timing, 0);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        ParameterStore store = new ParameterStore(timing, w.model());
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
        int[] s = w.imageShape();
        Rng data = new Rng(1);
        float[] px = new float[batch * s[0] * s[1] * s[2]];
        for (int i = 0; i < px.length; i++) px[i] = (float) data.nextGaussian();
        int[] indices = new int[batch];
        for (int i = 0; i < batch; i++) indices[i] = i;
        Batch b = new Batch(px, new int[batch], batch, s[0], s[1], s[2], indices);
        System.out.printf(Locale.ROOT, "# %s, %s, batch %d, %d warm-up + %d profiled steps; sgemm %s; CPU clock %s%n", cpu.name(), model,
                batch, warmup, steps, dev.tessera.engine.backend.cpu.Sgemm.describe(),
                ProcessClock.available() ? "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)" : "not available (CPU columns are meaningless)");

        double[] wall = new double[steps], cpuMs = new double[steps], inside = new double[steps];
        for (int step = 0; step < warmup + steps; step++) {
            boolean on = step >= warmup;
            timing.on = on;
            long inside0 = timing.wallTotal;
            long c0 = ProcessClock.nanos(), t0 = System.nanoTime();
            store.zeroGrad();
            float loss;
            long tf, tb;
            try (StepScope scope = timing.openScope()) {
                Tensor l = w.loss().of(b, new Rng(1000 + step));
                loss = l.item();
                tf = System.nanoTime();
                l.backward();
                tb = System.nanoTime();
            }
            opt.step(1e-4f);
            long t1 = System.nanoTime();
            double ms = (t1 - t0) / 1e6, c = (ProcessClock.nanos() - c0) / 1e6;
            if (on) {
                wall[step - warmup] = ms;
                cpuMs[step - warmup] = c;
                inside[step - warmup] = (timing.wallTotal - inside0) / 1e6;
            }
            MemoryStats m = cpu.memoryStats();
            System.out.printf(Locale.ROOT, "step %d%s: %.0f ms (forward %.0f, backward %.0f, AdamW %.0f), cpu %.0f ms, loss %.4f, pooled %d MB,"
                            + " system allocations %d%n", step, on ? "" : " (warm-up)", ms, (tf - t0) / 1e6, (tb - tf) / 1e6,
                    (t1 - tb) / 1e6, c, loss, m.pooledBytes() >> 20, m.systemAllocations());
        }
        double wallMed = median(wall), cpuMed = median(cpuMs), insideMed = median(inside);
        System.out.printf(Locale.ROOT, "median step: %.1f ms wall, %.1f ms process CPU (%.2f of %d threads busy); backend calls %.1f ms,"
                        + " outside them %.1f ms (%.1f%%: serial Java between kernels)%n", wallMed, cpuMed, cpuMed / wallMed, threads,
                insideMed, wallMed - insideMed, 100 * (wallMed - insideMed) / wallMed);
        List<Row> families = timing.rows(true, steps, wallMed, threads), ops = timing.rows(false, steps, wallMed, threads);
        print("per op family", families, Integer.MAX_VALUE);
        print("per op and shape (top " + top + ")", ops, top);
        if (o.containsKey("json")) writeJson(Path.of(o.get("json")), model, batch, threads, cpu.name(), wall, cpuMs, inside, families, ops);
        cpu.close();
    }

    /** {@code --key value} pairs. */
    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println("StepProfile: expected --model NAME --batch B [--steps S] [--warmup W] [--threads T] [--top N]"
                        + " [--json FILE], got '" + args[i] + "'");
                System.exit(2);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static int positive(Map<String, String> o, String key, int dflt) {
        String v = o.getOrDefault(key, Integer.toString(dflt));
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("StepProfile: --" + key + " must be a positive integer, got '" + v + "'");
        System.exit(2);
        return 0;
    }

    private static double median(double[] a) {
        double[] t = a.clone();
        Arrays.sort(t);
        return t[(t.length - 1) / 2];
    }

    /** One line of a table: per-step means over the profiled steps. */
    record Row(String key, double wallMs, double cpuMs, double calls, double share, double gflops, double efficiency) {}

    private static void print(String title, List<Row> rows, int limit) {
        System.out.println("## " + title);
        System.out.println("| op | ms/step | share | calls/step | GFLOP/s | CPU ms/step | parallel efficiency |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < Math.min(limit, rows.size()); i++) {
            Row r = rows.get(i);
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f%% | %.0f | %s | %.1f | %.2f |%n", r.key(), r.wallMs(), 100 * r.share(),
                    r.calls(), Double.isNaN(r.gflops()) ? "—" : String.format(Locale.ROOT, "%.1f", r.gflops()), r.cpuMs(), r.efficiency());
        }
    }

    private static void writeJson(Path file, String model, int batch, int threads, String backend, double[] wall, double[] cpu,
                                  double[] inside, List<Row> families, List<Row> ops) {
        StringBuilder j = new StringBuilder();
        j.append("{\"model\": \"").append(model).append("\", \"batch\": ").append(batch).append(", \"threads\": ").append(threads)
                .append(", \"backend\": \"").append(backend).append("\",\n \"step_ms\": ").append(numbers(wall))
                .append(",\n \"step_cpu_ms\": ").append(numbers(cpu)).append(",\n \"backend_calls_ms\": ")
                .append(numbers(inside)).append(",\n \"families\": ");
        rowsJson(j, families);
        j.append(",\n \"ops\": ");
        rowsJson(j, ops);
        j.append("}\n");
        try {
            Files.writeString(file, j);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * A JSON number, or null where the value is not finite (a process CPU clock this system lacks): JSON has no
     * NaN, and a file other tools cannot parse is worse than a missing value.
     */
    private static String number(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }

    private static String numbers(double[] values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) b.append(i == 0 ? "" : ", ").append(Double.isFinite(values[i]) ? Double.toString(values[i]) : "null");
        return b.append(']').toString();
    }

    private static void rowsJson(StringBuilder j, List<Row> rows) {
        j.append('[');
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            j.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT,
                    "{\"op\": \"%s\", \"ms\": %.4f, \"cpu_ms\": %s, \"calls\": %.2f, \"share\": %.5f, \"gflops\": %s, \"efficiency\": %s}",
                    r.key().replace("\"", "'"), r.wallMs(), number(r.cpuMs(), "%.4f"), r.calls(), r.share(),
                    number(r.gflops(), "%.3f"), number(r.efficiency(), "%.4f")));
        }
        j.append(']');
    }

    /**
     * A Backend that forwards every call to the CPU backend and adds up its wall time, process CPU time and
     * FLOPs under a key ("matmul NT 400x2304x768") and under the key's family ("matmul NT").
     */
    private static final class Timing implements Backend {
        final CpuBackend d;
        /** key → {wall ns, cpu ns, calls, flops}; family = the key up to its first shape. */
        final Map<String, double[]> totals = new TreeMap<>();
        final Map<String, String> familyOf = new TreeMap<>();
        long wallTotal;
        boolean on;
        private long t0, c0;

        Timing(CpuBackend d) {
            this.d = d;
        }

        private void start() {
            if (!on) return;
            c0 = ProcessClock.nanos();
            t0 = System.nanoTime();
        }

        private void add(String family, String key, double flops) {
            if (!on) return;
            long wall = System.nanoTime() - t0, cpuTime = ProcessClock.nanos() - c0;
            wallTotal += wall;
            String k = key.isEmpty() ? family : family + " " + key;
            familyOf.putIfAbsent(k, family);
            double[] a = totals.computeIfAbsent(k, x -> new double[4]);
            a[0] += wall;
            a[1] += cpuTime;
            a[2]++;
            a[3] += flops;
        }

        List<Row> rows(boolean byFamily, int steps, double stepWallMs, int threads) {
            Map<String, double[]> m = new TreeMap<>();
            for (var e : totals.entrySet()) {
                double[] a = m.computeIfAbsent(byFamily ? familyOf.get(e.getKey()) : e.getKey(), x -> new double[4]);
                for (int i = 0; i < 4; i++) a[i] += e.getValue()[i];
            }
            List<Row> rows = new ArrayList<>();
            for (var e : m.entrySet()) {
                double[] a = e.getValue();
                double wallMs = a[0] / 1e6 / steps;
                rows.add(new Row(e.getKey(), wallMs, a[1] / 1e6 / steps, a[2] / steps, wallMs / stepWallMs,
                        a[3] > 0 ? a[3] / a[0] : Double.NaN, a[0] > 0 ? a[1] / (a[0] * threads) : 0));
            }
            rows.sort((x, y) -> Double.compare(y.wallMs(), x.wallMs()));
            return rows;
        }

        static String s(int[] a) {
            return Arrays.toString(a);
        }

        @Override public String name() { return d.name(); }
        @Override public Buffer allocate(int n) { start(); Buffer b = d.allocate(n); add("allocate (zeroed)", "", 0); return b; }
        @Override public Buffer allocateUninitialized(int n) { start(); Buffer b = d.allocateUninitialized(n); add("allocate (uninitialised)", "", 0); return b; }
        @Override public Buffer allocateInts(int n) { start(); Buffer b = d.allocateInts(n); add("allocate (zeroed)", "", 0); return b; }
        @Override public StepScope openScope() { return d.openScope(); }
        @Override public MemoryStats memoryStats() { return d.memoryStats(); }
        @Override public void upload(float[] src, Buffer dst) { start(); d.upload(src, dst); add("upload", "", 0); }
        @Override public float[] download(Buffer src) { start(); float[] r = d.download(src); add("download", "", 0); return r; }
        @Override public void uploadInts(int[] src, Buffer dst) { start(); d.uploadInts(src, dst); add("upload", "", 0); }
        @Override public int[] downloadInts(Buffer src) { start(); int[] r = d.downloadInts(src); add("download", "", 0); return r; }
        @Override public void fill(Buffer dst, float v) { start(); d.fill(dst, v); add("fill", "[" + dst.length() + "]", 0); }

        @Override
        public void copyStrided(Buffer src, int[] ss, Buffer dst, int[] ds, int[] shape, boolean acc) {
            start();
            d.copyStrided(src, ss, dst, ds, shape, acc);
            add(acc ? "copyStrided+=" : "copyStrided", s(shape) + " src " + s(ss) + " dst " + s(ds), 0);
        }

        @Override
        public void unary(UnaryOp op, float p, Buffer x, Buffer out) {
            start();
            d.unary(op, p, x, out);
            add("unary " + op, "[" + x.length() + "]", 0);
        }

        @Override
        public void binary(BinaryOp op, Buffer a, int[] as, Buffer b, int[] bs, Buffer out, int[] shape) {
            start();
            d.binary(op, a, as, b, bs, out, shape);
            add("binary " + op, s(shape) + " a " + s(as) + " b " + s(bs), 0);
        }

        /**
         * Forwarded so the profile sees the backend's own Linear forward (the bias added in the GEMM's store), not
         * Backend's composed default: the GEMM with its bias counts as "matmul NT+bias", the GELU after it as unary.
         */
        @Override
        public void matmulEpilogue(Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
            Buffer target = gelu ? pre : out;
            start();
            d.matmulEpilogue(x, w, bias, m, n, k, false, null, target);
            add(bias == null ? "matmul NT" : "matmul NT+bias", m + "x" + n + "x" + k, 2.0 * m * n * k);
            if (gelu) unary(UnaryOp.GELU, 0f, pre, out);
        }

        @Override
        public void scaledResidual(Buffer x, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer out) {
            start();
            d.scaledResidual(x, a, gamma, keep, samples, rows, cols, out);
            add("scaledResidual", "[" + samples + ", " + rows + ", " + cols + "]", 0);
        }

        @Override
        public void scaledResidualBackward(Buffer g, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols,
                                           Buffer da, boolean accumulate, Buffer dgamma) {
            start();
            d.scaledResidualBackward(g, a, gamma, keep, samples, rows, cols, da, accumulate, dgamma);
            add("scaledResidualBackward", "[" + samples + ", " + rows + ", " + cols + "]", 0);
        }

        @Override
        public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
            start();
            d.reduce(op, x, outer, length, inner, out);
            add("reduce " + op, outer + "x" + length + "x" + inner, 0);
        }

        @Override
        public void argmax(Buffer x, int outer, int length, int inner, Buffer out) {
            start();
            d.argmax(x, outer, length, inner, out);
            add("argmax", "", 0);
        }

        @Override
        public void matmul(boolean ta, boolean tb, int batch, int m, int n, int k, float alpha, Buffer a, int as,
                           Buffer b, int bs, float beta, Buffer c) {
            start();
            d.matmul(ta, tb, batch, m, n, k, alpha, a, as, b, bs, beta, c);
            add("matmul " + (ta ? "T" : "N") + (tb ? "T" : "N"), m + "x" + n + "x" + k + (batch > 1 ? " x" + batch : ""),
                    2.0 * batch * m * n * k);
        }

        @Override
        public void layerNormForward(Buffer x, Buffer w, Buffer b, Buffer out, Buffer mean, Buffer rstd, int rows,
                                     int cols, float eps) {
            start();
            d.layerNormForward(x, w, b, out, mean, rstd, rows, cols, eps);
            add("layerNormForward", rows + "x" + cols, 0);
        }

        @Override
        public void layerNormBackward(Buffer dout, Buffer x, Buffer w, Buffer mean, Buffer rstd, Buffer dx, Buffer dw,
                                      Buffer db, int rows, int cols) {
            start();
            d.layerNormBackward(dout, x, w, mean, rstd, dx, dw, db, rows, cols);
            add("layerNormBackward", rows + "x" + cols, 0);
        }

        @Override
        public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) {
            start();
            d.softmaxForward(x, out, rows, cols, log);
            add("softmaxForward", rows + "x" + cols, 0);
        }

        @Override
        public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
            start();
            d.softmaxBackward(dout, out, dx, rows, cols, log);
            add("softmaxBackward", rows + "x" + cols, 0);
        }

        @Override
        public void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse,
                                     float scale) {
            int bh = layout.batchHeads(), lq = layout.lq(), lk = layout.lk(), hd = layout.headDim();
            start();
            d.attentionForward(layout, q, k, v, out, lse, scale);
            add("attentionForward", bh + "x" + lq + "x" + lk + "x" + hd, 4.0 * bh * lq * lk * hd);
        }

        @Override
        public void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse,
                                      Buffer dout, Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
            int bh = layout.batchHeads(), lq = layout.lq(), lk = layout.lk(), hd = layout.headDim();
            start();
            d.attentionBackward(layout, q, k, v, out, lse, dout, dq, dk, dv, scale, mode);
            add("attentionBackward", bh + "x" + lq + "x" + lk + "x" + hd, 10.0 * bh * lq * lk * hd);
        }

        @Override
        public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner) {
            start();
            d.gather(src, index, out, outer, srcLength, indexLength, inner);
            add("gather", outer + "x" + indexLength + "x" + inner, 0);
        }

        @Override
        public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner) {
            start();
            d.scatterAdd(src, index, dst, outer, dstLength, indexLength, inner);
            add("scatterAdd", outer + "x" + indexLength + "x" + inner, 0);
        }

        @Override
        public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore,
                                Buffer idsKeep, Buffer mask) {
            start();
            d.argsortMask(noise, rows, length, keep, idsShuffle, idsRestore, idsKeep, mask);
            add("argsortMask", rows + "x" + length, 0);
        }

        @Override
        public void addColumnSums(Buffer x, int rows, int cols, Buffer out) {
            start();
            d.addColumnSums(x, rows, cols, out);
            add("reduce", "columnSums " + rows + "x" + cols, 0);
        }

        @Override
        public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) {
            start();
            d.adamWRanges(param, grad, m, v, ranges, count, step);
            add("adamW", "", 0);
        }

        @Override
        public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars) {
            start();
            d.adamWRanges(param, grad, m, v, ranges, count, scalars);
            add("adamW", "", 0);
        }

        @Override
        public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) {
            start();
            d.adamW(param, grad, m, v, step);
            add("adamW", "", 0);
        }

        @Override public boolean adamWNonFinite() { return d.adamWNonFinite(); }

        @Override
        public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) {
            start();
            d.clipGlobalNorm(grads, maxNorm, norm);
            add("clipGlobalNorm", "", 0);
        }

        @Override public void synchronize() { d.synchronize(); }
        @Override public void close() { d.close(); }
    }
}
