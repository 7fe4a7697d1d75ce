package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.testing.Backends;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.testing.SyntheticImages;
import dev.tessera.train.testing.TinyRun;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MethodComparisonTest {
    @TempDir
    Path tmp;

    /** A CAE on the tiny MAE's 8×8 images: BEiT-style encoder of the same size, one regressor and one decoder block. */
    static final CaeConfig TINY_CAE = CaeConfig.of(ViTConfig.of(8, 4, 1, 16, 2, 2).withQvBias(true).withLayerScale(0.1), 1, 1, 16, 2)
            .withName("tiny-cae");

    static List<MethodComparison.Arm> tinyArms() {
        return List.of(new MethodComparison.Arm("MAE", ModelSpec.of(TinyRun.MAE)),
                new MethodComparison.Arm("CAE", ModelSpec.of(TINY_CAE, null)),
                new MethodComparison.Arm("CAE, λ = 0", ModelSpec.of(TINY_CAE.withAlignWeight(0), null)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainsEveryArmForTheBudgetAndScoresItAgainstItsStartingPoint() throws Exception {
        SyntheticImages train = new SyntheticImages(128, 8, 4, 0.3f, 1), test = new SyntheticImages(48, 8, 4, 0.3f, 2);
        var s = new MethodComparison.Settings(tinyArms(), 0.03, 16, 1.5e-3, 2, 64, 0, LinearProbe.recipe().withEpochs(20).withBatch(16), 0);
        StringWriter log = new StringWriter();
        MethodComparison.Result r = new MethodComparison(Backends.cpu(), train, test, s, new PrintWriter(log, true), false).run(tmp);

        assertEquals(List.of("MAE", "CAE", "CAE, λ = 0"), r.arms().stream().map(a -> a.arm().label()).toList());
        for (MethodComparison.ArmResult a : r.arms()) {
            assertTrue(a.steps() >= 1 && a.images() == 16L * a.steps(), a.toString());
            assertTrue(a.calibratedImagesPerSecond() > 0, a.toString());
            for (MethodComparison.Scores sc : List.of(a.initial(), a.pretrained())) {
                for (double acc : new double[] {sc.knnCls(), sc.knnAvg(), sc.probeCls(), sc.probeAvg()}) assertTrue(acc >= 0 && acc <= 100, sc.toString());
            }
            Path ckpt = a.runDir().resolve(RunDirectory.CHECKPOINT);
            assertTrue(Files.isRegularFile(ckpt), ckpt.toString());
            // the evaluated encoder is the trained one, not the one the arm started from
            EncoderSource start = EncoderSource.fromModel(a.arm().model(), a.arm().model().build(Backends.cpu(), 0).model(), "start");
            assertFalse(MethodComparison.sameWeights(start, EncoderSource.fromCheckpoint(ckpt, null)), a.arm().label());
        }
        assertEquals(tmp.resolve("mae"), r.arms().get(0).runDir());
        assertEquals(tmp.resolve("cae-lambda-0"), r.arms().get(2).runDir());
        // CAE and its λ = 0 ablation start from the same encoder, so they share one baseline
        assertEquals(r.arms().get(1).initial(), r.arms().get(2).initial());
        assertTrue(log.toString().contains("CAE, λ = 0 starts from the same encoder as an earlier arm"), log.toString());
        assertTrue(r.probePixels() >= 90, "the bars are linearly separable in pixel space: " + r.probePixels());

        String table = Files.readString(tmp.resolve("table.md"));
        assertTrue(table.contains("| CAE, λ = 0 | tiny-cae, λ = 0 |"), table);
        assertTrue(table.contains("| CAE | tiny-cae, λ = 2 |"), table);
        assertTrue(log.toString().contains(table.lines().toList().get(2)), "the table is printed too");
        Map<String, Object> json = ResultFile.read(tmp.resolve("comparison.json"));
        List<Map<String, Object>> arms = (List<Map<String, Object>>) json.get("arms");
        assertEquals(3, arms.size());
        assertEquals(List.of("knn_cls", "knn_avg", "linprobe_cls", "linprobe_avg"), List.copyOf(((Map<String, Object>) arms.get(0).get("pretrained")).keySet()));
    }

    @Test
    void plansStepsFromTheMeasuredRate() {
        var d = MethodComparison.Settings.defaults(10, 0);       // 10 min, batch 64
        var s = new MethodComparison.Settings(d.arms(), d.minutes(), d.batch(), d.blr(), d.calibrationSteps(), 20, 0, d.probe(), 0);
        var c = new MethodComparison(Backends.cpu(), new SyntheticImages(64, 8, 4, 0.3f, 1), new SyntheticImages(32, 8, 4, 0.3f, 2),
                s, new PrintWriter(StringWriter.nullWriter()), false);
        assertEquals(1000, c.plannedSteps(106.67));              // 600 s · 106.67 img/s = 64,002 images = 1000 steps of 64
        assertEquals(1, c.plannedSteps(0.001));
    }

    @Test
    void slugsAndWeightComparison() {
        assertEquals("cae-lambda-0", MethodComparison.slug("CAE, λ = 0"));
        assertEquals("mae", MethodComparison.slug("MAE"));
        ModelSpec spec = ModelSpec.of(TINY_CAE, null);
        EncoderSource a = EncoderSource.fromModel(spec, spec.build(Backends.cpu(), 0).model(), "a");
        EncoderSource b = EncoderSource.fromModel(spec, spec.build(Backends.cpu(), 0).model(), "b");
        EncoderSource c = EncoderSource.fromModel(spec, spec.build(Backends.cpu(), 1).model(), "c");
        assertTrue(MethodComparison.sameWeights(a, b));
        assertFalse(MethodComparison.sameWeights(a, c));
        assertNotEquals(0, a.weights().size());
    }

    @Test
    void bothPoolsFromOnePassEqualTheSeparatePasses() {
        VisionTransformer vit = new VisionTransformer(TinyRun.MAE.encoder(), Backends.cpu(), new dev.tessera.engine.random.Rng(3));
        SyntheticImages data = new SyntheticImages(40, 8, 4, 0.3f, 1);
        Map<Pool, FeatureSet> both = Features.clsAndAvg(vit, data, 16, null);
        for (Pool p : Pool.values()) {
            FeatureSet one = Features.pooled(vit, data, p, 16, null);
            assertTrue(java.util.Arrays.equals(one.features(), both.get(p).features()), p.toString());
            assertTrue(java.util.Arrays.equals(one.labels(), both.get(p).labels()), p.toString());
        }
    }
}
