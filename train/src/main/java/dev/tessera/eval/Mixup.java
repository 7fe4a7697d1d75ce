package dev.tessera.eval;

import java.util.random.RandomGenerator;

/**
 * Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) as timm's {@code Mixup} in batch mode, MAE's fine-tuning
 * setting: each image is mixed with its mirror in the batch (image i with image n−1−i) by one weight λ per batch.
 * <ul>
 *   <li>mixup: x ← λ·x + (1−λ)·x_mirror, λ ~ Beta(α_mixup, α_mixup);</li>
 *   <li>cutmix: a box of area ≈ (1−λ)·H·W, centred uniformly (clipped at the borders), is copied from the mirror,
 *       λ ~ Beta(α_cutmix, α_cutmix) then corrected to 1 − (box area)/(H·W), the share actually kept.</li>
 * </ul>
 * The target becomes λ·smooth(y) + (1−λ)·smooth(y_mirror); cross-entropy is linear in its target, so the loss is
 * λ·CE(y) + (1−λ)·CE(y_mirror) with the same label smoothing — exactly timm's SoftTargetCrossEntropy on
 * mixup_target's soft labels, without materialising them.
 */
final class Mixup {

    /** What happened to one batch: labels to score against with weight λ and 1 − λ. */
    record Mixed(int[] labels, int[] mirrorLabels, double lambda, boolean cutmix) {
        static Mixed none(int[] labels) {
            return new Mixed(labels, labels, 1.0, false);
        }
    }

    private Mixup() {}

    /** Mixes {@code images} [n, c, h, w] in place and returns the label pairing. */
    static Mixed apply(float[] images, int[] labels, int n, int c, int h, int w, BatchAugmentation a, RandomGenerator rng) {
        if (!a.mixes() || rng.nextDouble() >= a.mixProb()) return Mixed.none(labels);
        boolean cutmix = a.cutmixAlpha() > 0 && (a.mixupAlpha() == 0 || rng.nextDouble() < a.switchProb());
        double lambda = beta(cutmix ? a.cutmixAlpha() : a.mixupAlpha(), rng);
        int per = c * h * w;
        float[] mirror = new float[images.length];
        for (int i = 0; i < n; i++) System.arraycopy(images, (n - 1 - i) * per, mirror, i * per, per);
        if (cutmix) {
            int[] box = box(h, w, lambda, rng);                       // y0, y1, x0, x1
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int y = box[0]; y < box[1]; y++) {
                        int row = i * per + (ch * h + y) * w;
                        System.arraycopy(mirror, row + box[2], images, row + box[2], box[3] - box[2]);
                    }
                }
            }
            lambda = 1 - (double) (box[1] - box[0]) * (box[3] - box[2]) / ((double) h * w);
        } else {
            float l = (float) lambda, r = 1 - l;
            for (int k = 0; k < images.length; k++) images[k] = l * images[k] + r * mirror[k];
        }
        int[] mirrored = new int[n];
        for (int i = 0; i < n; i++) mirrored[i] = labels[n - 1 - i];
        return new Mixed(labels, mirrored, lambda, cutmix);
    }

    /** timm's rand_bbox: side √(1−λ)·(H, W), centre uniform on the image, clipped: [y0, y1, x0, x1). */
    static int[] box(int h, int w, double lambda, RandomGenerator rng) {
        double cut = Math.sqrt(1 - lambda);
        int ch = (int) (h * cut), cw = (int) (w * cut);
        int cy = rng.nextInt(h), cx = rng.nextInt(w);
        return new int[] {clamp(cy - ch / 2, h), clamp(cy + ch / 2, h), clamp(cx - cw / 2, w), clamp(cx + cw / 2, w)};
    }

    private static int clamp(int v, int hi) {
        return Math.max(0, Math.min(hi, v));
    }

    /** Beta(α, α) from two Gamma(α) draws: X/(X+Y). */
    static double beta(double alpha, RandomGenerator rng) {
        double x = gamma(alpha, rng), y = gamma(alpha, rng);
        return x + y > 0 ? x / (x + y) : 0.5;
    }

    /**
     * Gamma(k, 1) by Marsaglia and Tsang (2000); for k < 1 the boost Gamma(k) = Gamma(k+1)·U^(1/k).
     */
    static double gamma(double k, RandomGenerator rng) {
        if (k < 1) return gamma(k + 1, rng) * Math.pow(rng.nextDouble(), 1 / k);
        double d = k - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
        }
    }
}
