package dev.tessera.cli;

import dev.tessera.eval.EvalData;
import dev.tessera.eval.FeatureSet;
import dev.tessera.eval.ProbeRecipe;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import picocli.CommandLine.Option;

/**
 * What {@code tessera linprobe} and {@code tessera attnprobe} share: the schedule options and the two ways to feed a
 * probe. {@code --augment every-epoch} is the official protocol — MAE's {@code main_linprobe.py} and lxtGH/CAE's
 * {@code run_attentive.py} train on RandomResizedCrop (0.08–1) + flip, drawn afresh every epoch, so the frozen
 * encoder runs over the augmented training images once per epoch. {@code --augment none} computes the features of
 * the un-augmented images once (fast: the Fashion-MNIST numbers in the README use it). The default is every-epoch
 * for image folders and none for Fashion-MNIST, whose 28×28 centred images the quick runs keep as they are.
 */
abstract class ProbeCommand extends EvalCommand {
    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warmup before the cosine (default 10).")
    Double warmupEpochs;

    @Option(names = "--min-lr", paramLabel = "LR", description = "The cosine's floor (default: the probe's official value; linprobe 0, attnprobe 1e-6).")
    Double minLr;

    @Option(names = "--augment", paramLabel = "MODE", description = "every-epoch: re-extract features of freshly random-resized-cropped and"
            + " flipped training images every epoch (the official probes); none: features of the plain images, computed once"
            + " (default: every-epoch for image folders, none for Fashion-MNIST).")
    String augment;

    /** Whether the features are re-extracted from augmented images every epoch (resolved from --augment and --data). */
    final boolean everyEpoch() {
        if (augment == null) return !EvalData.isFashionMnist(data);
        return switch (augment.toLowerCase(Locale.ROOT)) {
            case "every-epoch" -> true;
            case "none" -> false;
            default -> throw usageError("--augment must be every-epoch or none, got '" + augment + "'");
        };
    }

    @Override
    protected EvalData.TrainTransform trainTransform() {
        return everyEpoch() ? EvalData.TrainTransform.PROBE : EvalData.TrainTransform.NONE;
    }

    /** {@code base} with --epochs, --batch, {@code lr} (the subclass's --lr, may be null), --warmup-epochs and --min-lr. */
    final ProbeRecipe recipe(ProbeRecipe base, Double lr) {
        ProbeRecipe r = base.withEpochs(epochsOr(base.epochs())).withBatch(batchOr(base.batch()));
        if (lr != null) {
            if (!(lr > 0)) fail("--lr must be positive, got " + lr);
            r = r.withLr(lr);
        }
        if (warmupEpochs != null) {
            if (!(warmupEpochs >= 0 && warmupEpochs < r.epochs())) fail("--warmup-epochs must be in [0, epochs), got " + warmupEpochs);
            r = r.withWarmupEpochs(warmupEpochs);
        }
        if (minLr != null) {
            if (!(minLr >= 0 && minLr <= r.lr())) fail("--min-lr must be in [0, lr " + r.lr() + "], got " + minLr);
            r = r.withMinLr(minLr);
        }
        return r;
    }

    /**
     * The training features of each epoch: {@code extract} at epoch 0 once (precomputed), or at every epoch from the
     * augmented training split (--augment every-epoch).
     */
    final IntFunction<FeatureSet> trainingFeatures(IntFunction<FeatureSet> extract, Map<String, Object> result) {
        boolean fresh = everyEpoch();
        result.put("augment", fresh ? "every-epoch" : "none");
        if (!fresh) {
            FeatureSet once = extract.apply(0);
            return epoch -> once;
        }
        FeatureSet[] last = {null};
        int[] lastEpoch = {-1};
        return epoch -> {                                   // the caller and the fit both read epoch 0: extract it once
            if (epoch != lastEpoch[0]) {
                last[0] = null;                             // let the previous epoch's features go before the next pass
                last[0] = extract.apply(epoch);
                lastEpoch[0] = epoch;
            }
            return last[0];
        };
    }

    /** "90 epochs, batch 256, lr 0.05, min lr 0.000001, warmup 10" for the log. */
    static String schedule(ProbeRecipe r) {
        return r.epochs() + " epochs, batch " + r.batch() + ", lr " + ClassifierCommand.compact(r.lr()) + ", min lr "
                + ClassifierCommand.compact(r.minLr()) + ", warmup " + ClassifierCommand.compact(r.warmupEpochs());
    }

    static void putRecipe(Map<String, Object> result, ProbeRecipe r) {
        result.put("optimizer", r.optimizer().name().toLowerCase(Locale.ROOT) + (r.nesterov() ? " (nesterov)" : ""));
        result.put("epochs", r.epochs());
        result.put("batch", r.batch());
        result.put("lr", r.lr());
        result.put("min_lr", r.minLr());
        result.put("warmup_epochs", r.warmupEpochs());
    }

    /** Passes on the first, every 10th and the last epoch line. */
    static java.util.function.Consumer<String> every10(java.util.function.Consumer<String> log, int epochs) {
        int[] n = {0};
        return line -> {
            n[0]++;
            if (n[0] == 1 || n[0] % 10 == 0 || n[0] == epochs) log.accept(line);
        };
    }
}
