package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * How a decoded image becomes a sample: identity (Fashion-MNIST's default: its images are already 28×28 and
 * centred), {@link RandomResizedCrop} with flip for pre-training, that plus {@link RandAugment} for fine-tuning,
 * or {@link ResizeCenterCrop} for evaluation.
 * Every random choice is drawn from the {@code rng} the loader hands over, which is what makes batches
 * reproducible for a seed.
 */
public sealed interface ImageTransform permits ImageTransform.Identity, ImageTransform.Compose, ImageTransform.HorizontalFlip,
        RandomResizedCrop, ResizeCenterCrop, RandAugment {

    PlanarImage apply(PlanarImage src, RandomGenerator rng);

    /** Side of the square output, or −1 when the output keeps the input's size (identity). */
    int size();

    static ImageTransform none() {
        return new Identity();
    }

    /** MAE's pre-training augmentation: RandomResizedCrop(size, scale 0.2–1, ratio 3/4–4/3) + horizontal flip. */
    static ImageTransform pretrain(int size) {
        return new RandomResizedCrop(size, 0.2, 1.0, 3.0 / 4.0, 4.0 / 3.0, true);
    }

    /**
     * CAE's pre-training augmentation ({@code DataAugmentationForCAE} in furnace/datasets.py of Atten4Vis/CAE and
     * lxtGH/CAE, with {@code --color_jitter 0} as the official scripts pass): RandomHorizontalFlip(0.5) FIRST, then
     * RandomResizedCrop(size, scale 0.08–1 ({@code crop_min_size}, {@code crop_max_size}), ratio 3/4–4/3) with
     * bicubic resampling ({@code train_interpolation}). MAE's is {@link #pretrain}: crop (0.2–1), then flip.
     */
    static ImageTransform caePretrain(int size) {
        return new Compose(new HorizontalFlip(), new RandomResizedCrop(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0, false));
    }

    /** The pre-training augmentation of {@code method}: {@link #caePretrain} for "cae", MAE's {@link #pretrain} otherwise. */
    static ImageTransform pretrain(String method, int size) {
        return "cae".equals(method) ? caePretrain(size) : pretrain(size);
    }

    /**
     * MAE's fine-tuning augmentation (timm's create_transform for training): RandomResizedCrop(size, scale 0.08–1,
     * ratio 3/4–4/3) + horizontal flip, then RandAugment rand-m9-mstd0.5-inc1. Random erasing comes after
     * normalisation, batch-wise, in the classifier trainer.
     */
    static ImageTransform finetune(int size) {
        return new Compose(new RandomResizedCrop(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0, true), RandAugment.mae());
    }

    /**
     * The probes' training augmentation, drawn afresh every epoch: RandomResizedCrop(size, scale 0.08–1, ratio
     * 3/4–4/3, bicubic) then a horizontal flip — MAE's {@code main_linprobe.py} {@code transform_train}, and the
     * timm {@code create_transform} that lxtGH/CAE's {@code run_attentive.py} gets with no RandAugment, no colour jitter
     * and no random erasing.
     */
    static ImageTransform probe(int size) {
        return new RandomResizedCrop(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0, true);
    }

    /** The standard evaluation transform: shorter side to ⌊size/0.875⌋ (256 for 224), then a centre crop. */
    static ImageTransform eval(int size) {
        return new ResizeCenterCrop(size, 0.875);
    }

    /** {@code first}, then {@code then} on its output. */
    record Compose(ImageTransform first, ImageTransform then) implements ImageTransform {
        @Override
        public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
            return then.apply(first.apply(src, rng), rng);
        }

        @Override
        public int size() {
            return then.size() >= 0 ? then.size() : first.size();
        }
    }

    /** Mirrors the image left-right with probability ½ (torchvision's RandomHorizontalFlip); keeps its size. */
    record HorizontalFlip() implements ImageTransform {
        @Override
        public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
            return rng.nextDouble() < 0.5 ? src.flipHorizontal() : src;
        }

        @Override
        public int size() {
            return -1;
        }
    }

    /** Returns the image unchanged. */
    record Identity() implements ImageTransform {
        @Override
        public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
            return src;
        }

        @Override
        public int size() {
            return -1;
        }
    }
}
