package dev.tessera.tests.precision;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.data.Dataset;
import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.TrainResult;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import dev.tessera.vit.ViTConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * bf16 training reaches the fp32 loss: an MAE with mae-tiny's shape of input and loss (Fashion-MNIST 28×28, norm-pix
 * target, 75% masking) but narrow enough for CI — patch 7 (16 patches), width 64, 4 blocks of 2 heads (head dim 32,
 * as the MAE-B decoder), decoder 64 wide, 1 block — trained 200 steps at batch 16 in fp32 and in bf16 from the same
 * seed on the same images. The mean loss of the last 50 steps must agree within 3% (docs/precision.md), and both runs
 * must have learned (that mean well below the first steps'). mae-tiny itself (12 blocks of 192) takes minutes a run on
 * two cores: the README gives the command that compares it. Skipped, with the reason, without Fashion-MNIST.
 */
class Bf16TrainingTest {
    static final MaeConfig MICRO = MaeConfig.of(ViTConfig.of(28, 7, 1, 64, 4, 2), 64, 1, 2).withNormPixLoss(true).withName("mae-micro-28");

    @Test
    void bf16TrainingReachesTheFp32Loss() {
        FashionMnistLocator locator = new FashionMnistLocator(null, System.getenv(), FashionMnistLocator.DEBIAN_DIR,
                Path.of(System.getProperty("user.home")), null, java.time.Duration.ofSeconds(1));
        Path dir;
        try {
            dir = locator.locate().dir();
        } catch (RuntimeException e) {
            System.out.println("[precision] skipped: Fashion-MNIST not found: " + e.getMessage());
            assumeTrue(false, "Fashion-MNIST not found: " + e.getMessage());
            return;
        }
        Dataset train = FashionMnist.read(dir, FashionMnist.Split.TRAIN);
        Map<Precision, List<Double>> losses = new java.util.EnumMap<>(Precision.class);
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            try (CpuBackend be = new CpuBackend(2, p)) {
                TrainSettings s = TrainSettings.forMethod("mae").toBuilder().batchSize(16).steps(200).blr(1.5e-3).workers(0).seed(1).build();
                TrainResult r = new Trainer(MaeObjective.create(MICRO, be, 1), train, s).log(null, false).run();
                losses.put(p, r.losses());
            }
        }
        double fp32 = tail(losses.get(Precision.FP32)), bf16 = tail(losses.get(Precision.BF16));
        double start = losses.get(Precision.FP32).subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double apart = 0;   // the largest per-step difference: the two runs must not be the same run
        for (int i = 0; i < 200; i++) {
            double a = losses.get(Precision.FP32).get(i), b = losses.get(Precision.BF16).get(i);
            apart = Math.max(apart, Math.abs(a - b) / a);
        }
        String report = String.format(Locale.ROOT, "mean loss of steps 151-200: fp32 %.5f, bf16 %.5f (%+.3f%%); steps 1-10 %.4f;"
                + " largest per-step difference %.2f%%", fp32, bf16, 100 * (bf16 - fp32) / fp32, start, 100 * apart);
        System.out.println("[precision] " + report);
        assertTrue(fp32 < 0.8 * start && bf16 < 0.8 * start, "did not learn: " + report);
        assertTrue(Math.abs(bf16 - fp32) / fp32 < 0.03, report);
        assertTrue(apart > 1e-5, "bf16 computed exactly what fp32 did: " + report);
    }

    private static double tail(List<Double> l) {
        return l.subList(l.size() - 50, l.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }
}
