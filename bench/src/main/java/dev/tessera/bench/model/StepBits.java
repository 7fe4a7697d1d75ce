package dev.tessera.bench.model;

import dev.tessera.cae.CaeConfig;
import dev.tessera.data.Batch;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.GradClip;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.CaeObjective;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.Objective;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * The bits of a few CPU training steps, to compare two builds (or thread counts) that must agree exactly: an MAE
 * or CAE preset (CAE with the pixel target) trained from fixed seeds on fixed Gaussian images, printing each
 * step's loss as float bits and one CRC-32 over every parameter's bits after the last AdamW update
 * ({@code --per-parameter}: also each parameter's CRC and its last step's gradient CRC, to tell a difference in
 * backward from one in the optimizer; {@code --clip-grad X}: global-norm clipping at X before each update, as CAE's
 * recipe does at 3.0, with each step's norm printed as float bits). Run the same command with each build's
 * benchmarks.jar and compare the lines:
 * <pre>
 * java $(cat bench/target/jvm.flags) -cp bench/target/benchmarks.jar dev.tessera.bench.model.StepBits \
 *     --model cae-tiny --batch 16 --steps 3 --threads 2 [--per-parameter] [--clip-grad 3]
 * </pre>
 */
public final class StepBits {
    private StepBits() {}

    public static void main(String[] args) {
        String model = "cae-tiny";
        int batch = 16, steps = 3, threads = 2;
        boolean perParameter = false;
        float clip = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--per-parameter" -> perParameter = true;
                case "--clip-grad" -> clip = Float.parseFloat(args[++i]);
                default -> throw new IllegalArgumentException("StepBits: unknown argument " + args[i]
                        + " (expected --model, --batch, --steps, --threads, --per-parameter, --clip-grad)");
            }
        }
        try (CpuBackend be = new CpuBackend(threads)) {
            Objective o;
            if (MaeConfig.presetNames().contains(model)) o = MaeObjective.create(MaeConfig.preset(model), be, 0);
            else if (CaeConfig.presetNames().contains(model)) o = CaeObjective.create(CaeConfig.preset(model).withPixelTarget(), be, 0, null);
            else throw new IllegalArgumentException("StepBits: " + model + " is not an MAE or CAE preset");
            ParameterStore store = new ParameterStore(be, o.model());
            AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
            int[] s = o.imageShape();
            Rng data = new Rng(1);
            float[] px = new float[batch * s[0] * s[1] * s[2]];
            for (int i = 0; i < px.length; i++) px[i] = (float) data.nextGaussian();
            int[] indices = new int[batch];
            for (int i = 0; i < batch; i++) indices[i] = i;
            Batch b = new Batch(px, new int[batch], batch, s[0], s[1], s[2], indices);
            StringBuilder losses = new StringBuilder(), norms = new StringBuilder();
            java.util.Map<String, Long> gradCrc = new java.util.LinkedHashMap<>();
            for (int step = 0; step < steps; step++) {
                store.zeroGrad();
                try (StepScope scope = be.openScope()) {
                    Tensor loss = o.loss(b, new Rng(1000 + step));
                    losses.append(String.format(Locale.ROOT, " %08x", Float.floatToRawIntBits(loss.item())));
                    loss.backward();
                }
                if (step == steps - 1) {
                    for (var e : store.entries()) gradCrc.put(e.name(), crc(e.parameter().tensor().grad().toArray()));
                }
                if (clip > 0) {
                    norms.append(String.format(Locale.ROOT, " %08x", Float.floatToRawIntBits(GradClip.clipGlobalNorm(store, clip))));
                }
                opt.step(1e-3f);
            }
            CRC32 all = new CRC32();
            for (var e : o.model().namedParameters().entrySet()) {
                CRC32 one = new CRC32();
                for (float v : e.getValue().tensor().toArray()) {
                    byte[] bits = bytes(Float.floatToRawIntBits(v));
                    all.update(bits);
                    one.update(bits);
                }
                if (perParameter) System.out.printf(Locale.ROOT, "  %s %08x grad %08x%n", e.getKey(), one.getValue(),
                        gradCrc.getOrDefault(e.getKey(), 0L));
            }
            System.out.printf(Locale.ROOT, "%s batch %d, %d steps, %d threads: losses%s%s, parameters crc %08x%n",
                    model, batch, steps, threads, losses, clip > 0 ? ", clipped at " + clip + ", norms" + norms : "",
                    all.getValue());
        }
    }

    private static long crc(float[] values) {
        CRC32 c = new CRC32();
        for (float v : values) c.update(bytes(Float.floatToRawIntBits(v)));
        return c.getValue();
    }

    private static byte[] bytes(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }
}
