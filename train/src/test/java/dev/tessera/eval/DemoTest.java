package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.testing.Backends;
import dev.tessera.train.testing.SyntheticImages;
import dev.tessera.train.testing.TinyRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void runsEveryStepOnTinyDataAndWritesTheAgreedSummary() {
        SyntheticImages train = new SyntheticImages(128, 8, 4, 0.3f, 1), test = new SyntheticImages(48, 8, 4, 0.3f, 2);
        Demo.Settings s = new Demo.Settings(TinyRun.MAE, 0.05, 16, 1.5e-3, 1.5, 64, 0, LinearProbe.recipe().withEpochs(30).withBatch(16), 0);
        StringWriter log = new StringWriter();
        Demo.Result r = new Demo(Backends.cpu(), train, test, s, new PrintWriter(log, true), false).run(tmp);

        Map<String, Object> summary = ResultFile.read(tmp.resolve("summary.json"));
        assertEquals(List.of("masked_mse", "knn", "linprobe", "pixels_linprobe", "minutes"), List.copyOf(summary.keySet()));
        assertEquals(List.of("pretrained", "visible_mean_baseline"), List.copyOf(((Map<String, Object>) summary.get("masked_mse")).keySet()));
        assertEquals(List.of("pretrained", "random"), List.copyOf(((Map<String, Object>) summary.get("knn")).keySet()));
        assertEquals(List.of("pretrained", "random"), List.copyOf(((Map<String, Object>) summary.get("linprobe")).keySet()));
        for (double acc : new double[] {r.knnPretrained(), r.knnRandom(), r.linprobePretrained(), r.linprobeRandom(), r.linprobePixels()}) {
            assertTrue(acc >= 0 && acc <= 100, "accuracy " + acc);
        }
        assertTrue(r.linprobePixels() >= 90, "the bars are linearly separable in pixel space: " + r.linprobePixels());
        assertTrue(r.maskedMsePretrained() > 0 && r.visibleMeanBaseline() > 0, r.toString());
        assertTrue(r.pretrainSteps() >= 1);
        for (String f : List.of("pretrain/recon.png", "pretrain/loss.png", "pretrain/checkpoint.safetensors", "demo.json")) {
            assertTrue(Files.isRegularFile(tmp.resolve(f)), f);
        }
        String text = log.toString();
        assertTrue(text.contains("kNN-20 top-1 (%)") && text.contains("linear probe top-1 (%)"), text);
        assertTrue(text.contains("reconstructions: " + tmp.resolve("pretrain/recon.png")), text);
    }

    @Test
    void plansStepsFromTheMeasuredSpeed() {
        Demo.Settings s = Demo.Settings.defaults(7, 0);          // 7 min, batch 64, training 1.4× a forward pass
        Demo demo = new Demo(Backends.cpu(), null, null, s, new PrintWriter(StringWriter.nullWriter()), false);
        assertEquals(937, demo.plannedSteps(200));              // 7·60·200/1.4 = 60000 images = 937.5 steps of 64
        assertEquals(1, demo.plannedSteps(0.01));
    }
}
