package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.CosineSchedule;
import dev.tessera.engine.testing.Backends;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.testing.ChildJvm;
import dev.tessera.vit.ViTConfig;
import dev.tessera.viz.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final Backend CPU = Backends.cpu();

    @TempDir
    Path tmp;

    /** A MAE small enough for many steps per second; drop-path 0.2 on the second block exercises the model's own stream. */
    static MaeConfig tinyMae() {
        return MaeConfig.of(ViTConfig.of(28, 7, 1, 16, 2, 2).withDropPath(0.2), 16, 1, 2).withName("tiny-test");
    }

    /** A CAE of the same size: BEiT-style encoder with LayerScale and drop-path 0.1, one regressor and one decoder block. */
    static dev.tessera.cae.CaeConfig tinyCae() {
        return dev.tessera.cae.CaeConfig.of(ViTConfig.of(28, 7, 1, 16, 2, 2).withQvBias(true).withLayerScale(0.1).withDropPath(0.1),
                1, 1, 16, 2).withName("tiny-cae");
    }

    static TrainSettings.Builder base(String method) {
        return TrainSettings.forMethod(method).toBuilder().batchSize(8).workers(1).logEvery(1).checkpointEvery(5).seed(7);
    }

    private static Map<String, float[]> values(Module m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        m.stateDict().forEach((n, t) -> out.put(n, t.toArray()));
        return out;
    }

    private static Trainer quiet(Trainer t) {
        return t.log(null, false);
    }

    @Test
    void runsRecordTheProjectVersion() {
        // config.json's "version" comes from this module's own resource, which a modular run (these tests) finds too.
        assertTrue(Trainer.version().matches("\\d+\\.\\d+\\.\\d+.*"), Trainer.version());
    }

    // ------------------------------------------------------------------ resume

    @Test
    void resumedRunIsBitIdenticalToAnUninterruptedOne() {
        SyntheticImages data = SyntheticImages.fashionSized(1);
        TrainSettings full = base("mae").steps(20).lr(1e-3).build();      // 8 steps per epoch: crosses two epoch boundaries

        LinearRegression a = new LinearRegression(CPU, new int[] {1, 28, 28}, 7, -1).randomized();
        TrainResult ra = quiet(new Trainer(a, data, full)).output(tmp.resolve("a")).run();
        assertEquals(20, ra.steps());

        LinearRegression b1 = new LinearRegression(CPU, new int[] {1, 28, 28}, 7, -1).randomized();
        TrainResult first = quiet(new Trainer(b1, data, full.toBuilder().stopAfter(10).build())).output(tmp.resolve("b")).run();
        assertEquals(10, first.steps());
        assertFalse(first.finished());
        Checkpoint at10 = Checkpoint.read(tmp.resolve("b").resolve(RunDirectory.CHECKPOINT));
        assertEquals(10, at10.step());
        assertEquals(1, at10.epoch());
        assertEquals(2, at10.batch());
        assertEquals(80, at10.rngDraws(), "drop-path drew one number per sample from the model's generator");

        LinearRegression b2 = new LinearRegression(CPU, new int[] {1, 28, 28}, 7, -1).randomized();   // as a new process would
        TrainResult rb = quiet(new Trainer(b2, data, full)).resumeFrom(tmp.resolve("b")).run();
        assertEquals(20, rb.steps());
        assertTrue(rb.finished());

        Map<String, float[]> va = values(a.model()), vb = values(b2.model());
        for (String n : va.keySet()) assertArrayEquals(va.get(n), vb.get(n), n + " after 20 steps");   // exact, bit for bit
        assertEquals(ra.losses(), rb.losses());
        List<StepMetrics> m = RunDirectory.existing(tmp.resolve("b")).readMetrics();        // each step logged once
        assertEquals(20, m.size());
        for (int i = 0; i < 20; i++) assertEquals(i + 1, m.get(i).step());

        // and the same run without the random parts ends elsewhere: the streams were really used
        LinearRegression plain = new LinearRegression(CPU, new int[] {1, 28, 28}, 7, -1);
        quiet(new Trainer(plain, data, full)).run();
        assertFalse(Arrays.equals(va.get("fc.weight"), values(plain.model()).get("fc.weight")));
    }

    @Test
    void aStepTimerHearsOfEveryStepOnceInOrder() {
        SyntheticImages data = SyntheticImages.fashionSized(1);
        java.util.List<Integer> steps = new java.util.ArrayList<>();
        java.util.List<Long> nanos = new java.util.ArrayList<>();
        TrainResult r = quiet(new Trainer(new LinearRegression(CPU, new int[] {1, 28, 28}, 7, -1).randomized(), data,
                base("mae").steps(12).lr(1e-3).build())).timeSteps((step, ns) -> {
                    steps.add(step);
                    nanos.add(ns);
                }).run();
        assertEquals(12, r.steps());
        assertEquals(java.util.stream.IntStream.rangeClosed(1, 12).boxed().toList(), steps);
        assertTrue(nanos.stream().allMatch(ns -> ns > 0), nanos.toString());
    }

    @Test
    void maeAndCaeResumeBitIdenticallyWithTheFastKernels() throws Exception {
        assertResumeIsExact(false);
    }

    @Test
    void maeAndCaeResumeBitIdenticallyWithTheReferenceKernels() throws Exception {
        assertResumeIsExact(true);
    }

    /** Runs {@link ResumeCheck} in a fresh JVM, so JIT tiers change during the run as they do in real use. */
    private void assertResumeIsExact(boolean scalar) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path dir = tmp.resolve(scalar ? "scalar" : "fast");
        String classPath = ChildJvm.classPath();
        Process p = new ProcessBuilder(javaBin, "--add-modules=jdk.incubator.vector", "-Dtessera.cpu.scalar=" + scalar, "-Xmx1g",
                "-cp", classPath, ResumeCheck.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("mae bit-identical after 20 steps (resumed at 10; "), out);
        assertTrue(out.contains("cae bit-identical after 20 steps (resumed at 10; "), out);
        assertFalse(out.contains("; 0 drop-path draws"), out);
    }

    @Test
    void resumeRefusesOtherSettingsAndFinishedRuns() {
        SyntheticImages data = SyntheticImages.fashionSized(1);
        TrainSettings s = base("mae").steps(4).build();
        quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 7), data, s.toBuilder().stopAfter(2).build())).output(tmp.resolve("r")).run();
        var e = assertThrows(IllegalArgumentException.class, () -> quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 7), data,
                s.toBuilder().batchSize(4).build())).resumeFrom(tmp.resolve("r")).run());
        assertTrue(e.getMessage().contains("batch differs (checkpoint 8, now 4)"), e.getMessage());
        quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 7), data, s)).resumeFrom(tmp.resolve("r")).run();
        e = assertThrows(IllegalArgumentException.class, () -> quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 7), data, s))
                .resumeFrom(tmp.resolve("r")).run());
        assertTrue(e.getMessage().contains("already finished (step 4 of 4)"), e.getMessage());
    }

    // ------------------------------------------------------------------ non-finite loss

    @Test
    void nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws IOException {
        SyntheticImages data = SyntheticImages.fashionSized(2);
        LinearRegression obj = new LinearRegression(CPU, new int[] {1, 28, 28}, 3, 7);   // the 7th step's loss is NaN
        Path dir = tmp.resolve("nan");
        var e = assertThrows(NonFiniteLossException.class,
                () -> quiet(new Trainer(obj, data, base("mae").steps(20).build())).output(dir).run());
        assertEquals(7, e.step());
        assertTrue(Double.isNaN(e.value()));
        assertTrue(e.getMessage().startsWith("loss is NaN at step 7"), e.getMessage());
        assertTrue(e.getMessage().contains("last finite checkpoint (step 5)"), e.getMessage());

        Checkpoint c = Checkpoint.read(dir.resolve(RunDirectory.CHECKPOINT));
        assertEquals(5, c.step());
        for (float[] v : c.modelState().entrySet().stream().map(x -> x.getValue().floats()).toList()) {
            for (float f : v) assertTrue(Float.isFinite(f));
        }
        // the checkpoint still loads into a fresh model
        LinearRegression fresh = new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1);
        c.loadInto(fresh.model(), "linreg");
        JsonNode summary = Json.parse(Files.readString(dir.resolve(RunDirectory.SUMMARY)), "summary");
        assertTrue(summary.get("status").asText().startsWith("failed: loss is NaN at step 7"));
        assertEquals(6, summary.get("steps").asInt());
        assertEquals(6, RunDirectory.existing(dir).readMetrics().size());
    }

    @Test
    void optimizerStateOverflowingStopsTheRunBeforeItIsCheckpointed() throws IOException {
        SyntheticImages data = SyntheticImages.fashionSized(2);
        // step 7's gradient squares to infinity in v while its loss (and every later one) stays finite
        Path dir = tmp.resolve("overflow");
        var e = assertThrows(NonFiniteLossException.class, () -> quiet(new Trainer(
                new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1).hugeGradientAtCall(7), data, base("mae").steps(20).build()))
                .output(dir).run());
        assertEquals(7, e.step());
        assertTrue(e.getMessage().startsWith("the optimizer state (AdamW moments or weights) holds NaN or infinity after step 7"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("the last finite checkpoint (step 5) is kept in " + dir.toAbsolutePath().resolve(RunDirectory.CHECKPOINT)),
                e.getMessage());
        assertEquals(5, Checkpoint.read(dir.resolve(RunDirectory.CHECKPOINT)).step());
        JsonNode summary = Json.parse(Files.readString(dir.resolve(RunDirectory.SUMMARY)), "summary");
        assertTrue(summary.get("status").asText().startsWith("failed: the optimizer state"), summary.toString());

        // at a checkpoint step the broken state is caught before it replaces the finite checkpoint
        Path every = tmp.resolve("overflow-every");
        e = assertThrows(NonFiniteLossException.class, () -> quiet(new Trainer(
                new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1).hugeGradientAtCall(3), data,
                base("mae").steps(20).checkpointEvery(1).build())).output(every).run());
        assertEquals(3, e.step());
        assertEquals(2, Checkpoint.read(every.resolve(RunDirectory.CHECKPOINT)).step());
        // and on the last step of a run without a folder, which has no later loss read to ride on
        e = assertThrows(NonFiniteLossException.class, () -> quiet(new Trainer(
                new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1).hugeGradientAtCall(4), data, base("mae").steps(4).build())).run());
        assertEquals(4, e.step());
    }

    private static final SyntheticImages ONE_EPOCH = SyntheticImages.fashionSized(1);
    private static final TrainSettings FOUR_STEPS = base("mae").steps(4).build();

    private static LinearRegression linreg() {
        return new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1);
    }

    /** Rewrites the safetensors file {@code f} with {@code change} applied to its tensors (same metadata). */
    private static void rewrite(Path f, java.util.function.Consumer<Map<String, dev.tessera.engine.io.TensorData>> change) {
        var file = dev.tessera.engine.io.SafeTensors.read(f);
        Map<String, dev.tessera.engine.io.TensorData> t = new java.util.LinkedHashMap<>(file.tensors());
        change.accept(t);
        dev.tessera.engine.io.SafeTensors.write(f, t, file.metadata());
    }

    /** The message of resuming the run in {@code dir}, which must fail. */
    private static String resumeFails(Path dir) {
        return assertThrows(IllegalArgumentException.class,
                () -> quiet(new Trainer(linreg(), ONE_EPOCH, FOUR_STEPS)).resumeFrom(dir).run()).getMessage();
    }

    /** A run of {@link #FOUR_STEPS} stopped after 2 (a checkpoint to resume) in tmp/name. */
    private Path halfRun(String name) {
        Path dir = tmp.resolve(name);
        quiet(new Trainer(linreg(), ONE_EPOCH, FOUR_STEPS.toBuilder().stopAfter(2).build())).output(dir).run();
        return dir;
    }

    @Test
    void aCheckpointHoldingANonFiniteTensorIsRefusedNamingFileAndTensor() throws IOException {
        Path dir = halfRun("poisoned");
        Path ckpt = dir.resolve(RunDirectory.CHECKPOINT);
        byte[] finite = Files.readAllBytes(ckpt);
        for (String tensor : List.of("fc.weight", "optimizer.v.fc.weight", "optimizer.m.fc.weight")) {
            Files.write(ckpt, finite);
            float bad = tensor.contains(".v.") ? Float.POSITIVE_INFINITY : Float.NaN;
            rewrite(ckpt, t -> {
                float[] w = t.get(tensor).floats().clone();
                w[3] = bad;
                t.put(tensor, dev.tessera.engine.io.TensorData.f32(w, t.get(tensor).shape()));
            });
            String expected = ckpt + ": tensor '" + tensor + "' holds " + bad + " at element 3";
            var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(ckpt));
            assertEquals(expected, e.getMessage());
            assertTrue(resumeFails(dir).contains(expected));
        }
    }

    @Test
    void resumeNamesWhatIsWrongWithTheRunFolder() throws IOException {
        Path dir = halfRun("damaged");
        Path config = dir.resolve(RunDirectory.CONFIG);
        String good = Files.readString(config);
        java.util.function.Supplier<String> resume = () -> resumeFails(dir);

        Files.writeString(config, good.substring(0, good.length() / 2));
        String m = resume.get();
        assertTrue(m.startsWith(config.toAbsolutePath() + " (damaged): not a valid RunConfig"), m);
        Files.delete(config);
        assertEquals("--resume " + dir + ": " + config.toAbsolutePath() + " is missing; the run folder is damaged", resume.get());
        Files.writeString(config, good);

        Path ckpt = dir.resolve(RunDirectory.CHECKPOINT);
        Path aside = Files.move(ckpt, dir.resolve("aside.safetensors"));
        Files.createDirectory(ckpt);
        assertEquals("--resume " + dir + ": " + ckpt.toAbsolutePath() + " is a folder, not a checkpoint file", resume.get());
        Files.delete(ckpt);
        Files.move(aside, ckpt);
        assertEquals(4, quiet(new Trainer(linreg(), ONE_EPOCH, FOUR_STEPS)).resumeFrom(dir).run().steps());
    }

    @Test
    void optimizerStateOfAnotherModelNamesTheFile() throws IOException {
        Path dir = halfRun("opt");
        Path ckpt = dir.resolve(RunDirectory.CHECKPOINT);
        rewrite(ckpt, t -> t.remove("optimizer.v.fc.bias"));
        assertEquals(ckpt.toAbsolutePath() + ": optimizer state does not fit the model: AdamW state: missing v of fc.bias", resumeFails(dir));
    }

    // ------------------------------------------------------------------ run directory

    @Test
    void runDirectoryHoldsConfigMetricsCheckpointAndPictures() throws IOException {
        SyntheticImages train = SyntheticImages.fashionSized(3), held = new SyntheticImages(16, 1, 28, 28, 4);
        MaeObjective mae = MaeObjective.create(tinyMae(), CPU, 5);
        Path dir = tmp.resolve("run");
        TrainResult r = quiet(new Trainer(mae, train, base("mae").steps(6).logEvery(2).checkpointEvery(4).seed(5).build()))
                .heldOut(held).output(dir).listen(new Pictures()).run();
        assertEquals(dir.toAbsolutePath(), r.runDir());

        JsonNode config = Json.parse(Files.readString(dir.resolve(RunDirectory.CONFIG)), "config.json");
        assertEquals(5, config.at("/settings/seed").asLong());
        assertEquals(8, config.at("/settings/batchSize").asInt());
        assertEquals(0.05, config.at("/settings/weightDecay").asDouble());
        assertEquals(0.95, config.at("/settings/beta2").asDouble());
        assertEquals("mae", config.at("/model/method").asText());
        assertEquals("tiny-test", config.at("/model/name").asText());
        assertEquals(16, config.at("/model/config/encoder/dim").asInt());
        assertEquals(0.75, config.at("/model/config/maskRatio").asDouble());
        assertEquals("custom", config.at("/data/kind").asText());
        assertEquals(CPU.name(), config.at("/device").asText());
        assertEquals(6, config.at("/plan/totalSteps").asInt());
        assertEquals(8, config.at("/plan/stepsPerEpoch").asInt());
        assertEquals(1.5e-4 * 8 / 256, config.at("/plan/peakLr").asDouble(), 1e-18);

        List<String> lines = Files.readAllLines(dir.resolve(RunDirectory.METRICS));
        assertEquals(3, lines.size());
        for (int i = 0; i < 3; i++) {
            JsonNode m = Json.parse(lines.get(i), "metrics line");
            assertEquals(2 * (i + 1), m.get("step").asInt());
            assertEquals((2.0 * (i + 1) - 1) / 8, m.get("epoch").asDouble(), 1e-12);
            assertEquals(r.losses().get(2 * i + 1), m.get("loss").asDouble());
            assertTrue(m.get("img_s").asDouble() > 0);
            assertTrue(m.has("lr"));
        }

        Checkpoint c = Checkpoint.read(dir.resolve(RunDirectory.CHECKPOINT));
        assertEquals(6, c.step());
        assertEquals(ModelSpec.of(tinyMae()), c.spec());
        assertEquals(6, c.losses().length);
        assertEquals(6, c.optimizer().step());
        MaeObjective reloaded = (MaeObjective) c.spec().build(CPU, 99);     // another init, then the checkpoint's weights
        c.loadInto(reloaded.model(), "tiny-test");
        Map<String, float[]> trained = values(mae.model()), loaded = values(reloaded.model());
        for (String n : trained.keySet()) assertArrayEquals(trained.get(n), loaded.get(n), n);

        BufferedImage loss = ImageIO.read(dir.resolve(RunDirectory.LOSS_PNG).toFile());
        assertEquals(800, loss.getWidth());
        assertEquals(500, loss.getHeight());
        BufferedImage recon = ImageIO.read(dir.resolve(RunDirectory.RECON_PNG).toFile());
        ImageGrid expected = new ImageGrid(1, 28, 28).titles("original", "masked", "reconstruction", "+ visible");
        int cell = 28 * expected.scale();
        assertEquals(ImageGrid.PAD + 4 * (cell + ImageGrid.PAD), recon.getWidth());
        assertEquals(expected.cellOrigin(7, 0)[1] + cell + ImageGrid.PAD, recon.getHeight());

        JsonNode summary = Json.parse(Files.readString(dir.resolve(RunDirectory.SUMMARY)), "summary.json");
        assertEquals("finished", summary.get("status").asText());
        assertEquals(6, summary.get("steps").asInt());
        assertEquals(r.finalLoss(), summary.get("finalLoss").asDouble());
        assertTrue(summary.get("imgPerSec").asDouble() > 0);
        assertEquals(dir.resolve(RunDirectory.CHECKPOINT).toAbsolutePath().toString(), summary.at("/paths/checkpoint").asText());
        assertEquals(dir.resolve(RunDirectory.RECON_PNG).toAbsolutePath().toString(), summary.at("/paths/recon").asText());
        assertEquals(dir.resolve(RunDirectory.LOSS_PNG).toAbsolutePath().toString(), summary.at("/paths/loss").asText());
    }

    @Test
    void withoutListenersARunWritesNoPictures() throws IOException {
        Path dir = tmp.resolve("headless");
        quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 5), SyntheticImages.fashionSized(3), base("mae").steps(2).build()))
                .output(dir).run();
        assertTrue(Files.isRegularFile(dir.resolve(RunDirectory.CHECKPOINT)));
        assertFalse(Files.exists(dir.resolve(RunDirectory.LOSS_PNG)));
        assertFalse(Files.exists(dir.resolve(RunDirectory.RECON_PNG)));
    }

    @Test
    void listenersHearEveryMetricsLineCheckpointAndTheEnd() {
        List<String> heard = new ArrayList<>();
        RunListener spy = new RunListener() {
            @Override public void onMetrics(RunEvent run, StepMetrics m) { heard.add("metrics " + m.step()); }
            @Override public void onCheckpoint(RunEvent run) { heard.add("checkpoint " + run.step() + " " + run.losses().size()); }
            @Override public void onEnd(RunEvent run, String failure) { heard.add("end " + run.step() + " " + failure); }
        };
        quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 5), SyntheticImages.fashionSized(3),
                base("mae").steps(4).logEvery(2).checkpointEvery(3).build())).output(tmp.resolve("spy")).listen(spy).run();
        assertEquals(List.of("metrics 2", "checkpoint 3 3", "metrics 4", "checkpoint 4 4", "end 4 null"), heard);
    }

    @Test
    void outputFolderThatAlreadyHoldsARunIsRefused() {
        SyntheticImages data = SyntheticImages.fashionSized(1);
        Path dir = tmp.resolve("once");
        TrainSettings s = base("mae").steps(1).build();
        quiet(new Trainer(new LinearRegression(CPU, new int[] {1, 28, 28}, 1, -1), data, s)).output(dir).run();
        var e = assertThrows(IllegalArgumentException.class,
                () -> quiet(new Trainer(new LinearRegression(CPU, new int[] {1, 28, 28}, 1, -1), data, s)).output(dir).run());
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
    }

    // ------------------------------------------------------------------ schedule and accumulation

    @Test
    void learningRateFollowsTheCosineSchedulePerIteration() {
        SyntheticImages data = SyntheticImages.fashionSized(4);
        TrainSettings s = base("mae").epochs(3).warmupEpochs(1.0).blr(0.1).minLr(1e-4).build();   // 8 steps per epoch, 24 in all
        Path dir = tmp.resolve("lr");
        quiet(new Trainer(new LinearRegression(CPU, new int[] {1, 28, 28}, 1, -1), data, s)).output(dir).run();
        List<StepMetrics> m = RunDirectory.existing(dir).readMetrics();
        assertEquals(24, m.size());
        double peak = 0.1 * 8 / 256;
        CosineSchedule mae = new CosineSchedule(peak, 1e-4, 1, 3);        // util/lr_sched.py in epochs
        for (StepMetrics x : m) {
            int it = (x.step() - 1) % 8, epoch = (x.step() - 1) / 8;
            double want = mae.lr(epoch, it, 8);
            assertEquals(want, x.lr(), 1e-12 * peak, "lr of step " + x.step());
            assertEquals(epoch + it / 8.0, x.epoch(), 1e-12);
        }
        assertEquals(0.0, m.get(0).lr());                                 // warmup starts at 0
        assertEquals(peak, m.get(8).lr(), 1e-12 * peak);                   // end of warmup: the peak
        assertTrue(m.get(23).lr() < 1e-4 + 0.02 * (peak - 1e-4));         // the tail approaches min lr
    }

    @Test
    void caeLogsItsLossTermsAndTheirWeightedSumIsTheLoss() throws Exception {
        SyntheticImages data = SyntheticImages.fashionSized(6);
        Path dir = tmp.resolve("parts");
        double lambda = tinyCae().alignWeight();
        quiet(new Trainer(CaeObjective.create(tinyCae(), CPU, 3, null), data, base("cae").steps(4).build())).output(dir).run();
        List<StepMetrics> m = RunDirectory.existing(dir).readMetrics();                    // read back through JSON
        assertEquals(4, m.size());
        for (StepMetrics x : m) {
            // CAE clips at 3.0 by default: the step's gradient norm before clipping is logged with the loss terms
            assertEquals(java.util.Set.of("loss_main", "loss_align", "grad_norm"), x.parts().keySet(), x.toString());
            assertTrue(x.parts().get("grad_norm") > 0, x.toString());
            double main = x.parts().get("loss_main"), align = x.parts().get("loss_align");
            assertEquals(x.loss(), main + lambda * align, 1e-5 * x.loss(), "step " + x.step());
            assertTrue(align > 0, x.toString());
        }
        String line = java.nio.file.Files.readAllLines(dir.resolve(RunDirectory.METRICS)).getFirst();
        assertTrue(line.contains("\"loss_main\":") && line.contains("\"loss_align\":") && !line.contains("parts"), line);
        // MAE has one term: no extra fields
        Path mae = tmp.resolve("parts-mae");
        quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 3), data, base("mae").steps(2).build())).output(mae).run();
        assertTrue(RunDirectory.existing(mae).readMetrics().stream().allMatch(x -> x.parts().isEmpty()));
    }

    @Test
    void accumulatingTwoBatchesEqualsOneBatchTwiceAsLarge() {
        SyntheticImages data = SyntheticImages.fashionSized(5);
        TrainSettings big = base("mae").batchSize(16).accum(1).steps(3).lr(0.05).warmupEpochs(0.0).build();
        TrainSettings accum = big.toBuilder().batchSize(8).accum(2).build();
        LinearRegression a = new LinearRegression(CPU, new int[] {1, 28, 28}, 11, -1);
        LinearRegression b = new LinearRegression(CPU, new int[] {1, 28, 28}, 11, -1);
        TrainResult ra = quiet(new Trainer(a, data, big)).run();
        TrainResult rb = quiet(new Trainer(b, data, accum)).run();
        for (int i = 0; i < 3; i++) assertEquals(ra.losses().get(i), rb.losses().get(i), 1e-5 * Math.abs(ra.losses().get(i)));
        Map<String, float[]> va = values(a.model()), vb = values(b.model());
        float[] wa = va.get("fc.weight"), wb = vb.get("fc.weight");
        float[] init = values(new LinearRegression(CPU, new int[] {1, 28, 28}, 11, -1).model()).get("fc.weight");
        double moved = 0;
        for (int i = 0; i < wa.length; i++) {
            moved = Math.max(moved, Math.abs(wa[i] - init[i]));
            assertEquals(wa[i], wb[i], 1e-6 + 1e-5 * Math.abs(wa[i]), "fc.weight[" + i + "]");
        }
        assertTrue(moved > 1e-3, "the steps changed the weights");
        assertEquals(va.get("fc.bias")[0], vb.get("fc.bias")[0], 1e-6);
    }

    @Test
    void memoryStaysFlatOverSteps() {
        long[] live = new long[2];
        int[] steps = {2, 8};
        for (int i = 0; i < 2; i++) {
            try (CpuBackend be = new CpuBackend(1)) {
                quiet(new Trainer(MaeObjective.create(tinyMae(), be, 1), SyntheticImages.fashionSized(1), base("mae").steps(steps[i]).build())).run();
                live[i] = be.memoryStats().liveBuffers();
            }
        }
        assertEquals(live[0], live[1], "buffers alive after 2 and after 8 steps: every step's activations were released");
    }

    // ------------------------------------------------------------------ input checks

    @Test
    void imagesOfAnotherSizeAreRefusedBeforeAnyFileIsWritten() {
        SyntheticImages big = new SyntheticImages(16, 3, 32, 32, 1);
        Path dir = tmp.resolve("never");
        var e = assertThrows(IllegalArgumentException.class,
                () -> quiet(new Trainer(MaeObjective.create(tinyMae(), CPU, 1), big, base("mae").steps(1).build())).output(dir).run());
        assertTrue(e.getMessage().startsWith("model tiny-test expects 1×28×28 images, but the data"), e.getMessage());
        assertTrue(e.getMessage().endsWith("gives 3×32×32"), e.getMessage());
        assertFalse(Files.exists(dir));
    }

    @Test
    void stepsAreMeasuredAgainstTheDatasetSize() {
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingPlan.of(base("mae").batchSize(32).accum(4).build(), 64));
        assertTrue(e.getMessage().contains("fewer than one optimizer step of 32 × 4 = 128"), e.getMessage());
        TrainingPlan p = TrainingPlan.of(base("mae").batchSize(10).accum(3).epochs(2).build(), 64);  // 6 batches → 2 steps per epoch
        assertEquals(6, p.batchesPerEpoch());
        assertEquals(2, p.stepsPerEpoch());
        assertEquals(4, p.totalSteps());
        assertEquals(3, p.firstBatchOf(1, 3));
        assertEquals(0, p.firstBatchOf(2, 3));
        assertEquals(1, p.epochOf(2));
    }

    @Test
    void modelSpecsSurviveJson() {
        ModelSpec s = ModelSpec.of(MaeConfig.preset("mae-tiny"));
        ModelSpec back = Json.read(Json.compact(s), ModelSpec.class, "spec");
        assertEquals(s, back);
        assertEquals(MaeConfig.preset("mae-tiny"), back.maeConfig());
        ModelSpec cae = ModelSpec.of(dev.tessera.cae.CaeConfig.preset("cae-tiny"), null);
        assertEquals(dev.tessera.cae.CaeConfig.preset("cae-tiny"), Json.read(Json.compact(cae), ModelSpec.class, "spec").caeConfig());
    }

    @Test
    void caeTrainsAndDrawsItsPixelPredictions() throws IOException {
        CaeObjective cae = CaeObjective.create(tinyCae(), CPU, 3, null);
        Path dir = tmp.resolve("cae");
        TrainResult r = quiet(new Trainer(cae, SyntheticImages.fashionSized(6), base("cae").steps(3).build()))
                .heldOut(new SyntheticImages(8, 1, 28, 28, 9)).output(dir).listen(new Pictures()).run();
        assertEquals(3, r.steps());
        for (double l : r.losses()) assertTrue(Double.isFinite(l));
        assertTrue(Files.size(dir.resolve(RunDirectory.RECON_PNG)) > 0);
        Checkpoint c = Checkpoint.read(dir.resolve(RunDirectory.CHECKPOINT));
        assertEquals("cae", c.spec().method());
        assertTrue(c.rngDraws() > 0, "CAE's drop-path draws from the model's generator");
        assertEquals(0.999, c.run().settings().beta2());
        assertEquals(3.0, c.run().settings().clipGrad());
    }
}
