package dev.tessera.eval;

/**
 * The batch-level regularisers of MAE's fine-tuning recipe (docs/mae.md#fine-tuning; the official main_finetune.py builds
 * them with timm 0.3.2): random erasing of one box per image, then mixup or cutmix of the batch with its
 * reverse. The recipe's RandAugment is per image, in the data pipeline ({@code ImageTransform.finetune}).
 *
 * @param mixupAlpha  α of mixup's Beta(α, α) mixing weight; 0 = no mixup (MAE: 0.8)
 * @param cutmixAlpha α of cutmix's Beta(α, α); 0 = no cutmix (MAE: 1.0)
 * @param mixProb     probability that a batch is mixed at all (MAE: 1.0)
 * @param switchProb  probability of cutmix instead of mixup when both are on (MAE: 0.5)
 * @param eraseProb   probability that an image gets one erased box (MAE's --reprob: 0.25)
 */
public record BatchAugmentation(double mixupAlpha, double cutmixAlpha, double mixProb, double switchProb, double eraseProb) {

    public BatchAugmentation {
        if (!(mixupAlpha >= 0) || !(cutmixAlpha >= 0)) {
            throw new IllegalArgumentException("mixup and cutmix α must be >= 0 (0 = off), got " + mixupAlpha + ", " + cutmixAlpha);
        }
        for (double p : new double[] {mixProb, switchProb, eraseProb}) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("augmentation probabilities must be in [0, 1], got " + p);
        }
    }

    /** main_finetune.py's defaults: mixup 0.8, cutmix 1.0, always mixed, half cutmix, random erasing 0.25. */
    public static BatchAugmentation mae() {
        return new BatchAugmentation(0.8, 1.0, 1.0, 0.5, 0.25);
    }

    /** Plain images and hard labels. */
    public static BatchAugmentation none() {
        return new BatchAugmentation(0, 0, 0, 0, 0);
    }

    /** Whether mixup or cutmix can happen. */
    public boolean mixes() {
        return mixProb > 0 && (mixupAlpha > 0 || cutmixAlpha > 0);
    }

    public BatchAugmentation withMixup(double alpha) {
        return new BatchAugmentation(alpha, cutmixAlpha, mixProb, switchProb, eraseProb);
    }

    public BatchAugmentation withCutmix(double alpha) {
        return new BatchAugmentation(mixupAlpha, alpha, mixProb, switchProb, eraseProb);
    }

    public BatchAugmentation withEraseProb(double p) {
        return new BatchAugmentation(mixupAlpha, cutmixAlpha, mixProb, switchProb, p);
    }
}
