package dev.tessera.cli;

import dev.tessera.eval.FinetuneRecipe;
import picocli.CommandLine.Command;

/**
 * {@code tessera finetune}: end-to-end fine-tuning of a pretrained encoder (docs/mae.md#fine-tuning): average pooling +
 * fc_norm + head, layer-wise lr decay, drop-path, label smoothing, AdamW β (0.9, 0.999). Defaults are
 * {@link FinetuneRecipe#finetune()}.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a pretrained encoder end to end (avg pool + fc_norm, layer decay 0.65, drop-path 0.1, label smoothing 0.1).",
                "Defaults: 10 epochs, batch 256, blr 5e-4, warmup 1, weight decay 0.05.",
                "Example: tessera finetune --checkpoint runs/mae1/checkpoint.safetensors --train-limit 10000 --epochs 5"})
final class FinetuneCommand extends ClassifierCommand {

    @Override
    protected String name() {
        return "finetune";
    }

    @Override
    protected FinetuneRecipe baseRecipe() {
        return FinetuneRecipe.finetune();
    }
}
