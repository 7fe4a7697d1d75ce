package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * How a decoded image becomes a sample: identity (Fashion-MNIST's default: its images are already 28×28 and
 * centred), {@link RandomResizedCrop} with flip for pre-training, or {@link ResizeCenterCrop} for evaluation.
 * Every random choice is drawn from the {@code rng} the loader hands over, which is what makes batches
 * reproducible for a seed.
 */
public sealed interface ImageTransform permits ImageTransform.Identity, RandomResizedCrop, ResizeCenterCrop {

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

    /** The standard evaluation transform: shorter side to ⌊size/0.875⌋ (256 for 224), then a centre crop. */
    static ImageTransform eval(int size) {
        return new ResizeCenterCrop(size, 0.875);
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
