package dev.tessera.cli;

import dev.tessera.eval.FinetuneRecipe;
import picocli.CommandLine.Command;

/**
 * {@code tessera train-supervised}: the baseline for fine-tuning — the same classifier trained from random
 * initialisation with the same loop ({@link FinetuneRecipe#supervised()}: no layer decay, blr 1e-3). The shape is
 * {@code --model}'s encoder, or a given {@code --checkpoint}'s (whose weights are then NOT used).
 */
@Command(name = "train-supervised", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the same ViT classifier from scratch (the baseline for fine-tuning).",
                "Defaults: 10 epochs, batch 256, blr 1e-3, warmup 1, no layer decay, drop-path 0.1, label smoothing 0.1.",
                "Example: tessera train-supervised --model mae-tiny --train-limit 10000 --epochs 5"})
final class TrainSupervisedCommand extends ClassifierCommand {

    @Override
    protected String name() {
        return "train-supervised";
    }

    @Override
    protected boolean readsEncoder() {
        return false;
    }

    @Override
    protected FinetuneRecipe baseRecipe() {
        return FinetuneRecipe.supervised();
    }
}
