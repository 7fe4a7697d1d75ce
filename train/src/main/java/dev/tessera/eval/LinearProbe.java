package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.BatchNorm1d;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * MAE's linear probe head (docs/mae.md#linear-probe, {@code main_linprobe.py}): {@code BatchNorm1d(D, affine=False, eps=1e-6)}
 * then {@code Linear(D → classes)}, named {@code head.0} and {@code head.1} as MAE's
 * {@code nn.Sequential(BatchNorm1d, head)}. The BN without affine only re-standardises each feature (it could be
 * folded into the linear layer after training) so LARS sees well-scaled inputs; only the Linear is trained.
 * The head weight starts truncated-normal with std 0.01, bias 0 (docs/vit.md#initialisation).
 *
 * <p>Default recipe ({@link #recipe}): MAE probes with LARS at lr 6.4 (blr 0.1 × 16384/256), batch 16384,
 * 90 epochs, 10 warmup. Fashion-MNIST-sized data (10k samples) gives only 0.6 of such a batch, so Tessera keeps
 * LARS, momentum 0.9, trust coefficient 0.001, no weight decay, and scales the rest down: batch 256, 90 epochs,
 * 10 warmup, and the same absolute lr 6.4 — with LARS the step of a weight matrix is lr·η·‖w‖ whatever the
 * batch, so the paper's lr keeps the paper's relative step size while the smaller batch gives ~60× more steps
 * per epoch. On precomputed features an epoch of 10k samples takes milliseconds, so all 90 epochs are cheap.
 * MAE's probe also augments every epoch (RandomResizedCrop + flip in {@code main_linprobe.py}); {@code tessera
 * linprobe --augment every-epoch} does that by re-extracting the features of freshly cropped images each epoch.
 */
public final class LinearProbe extends FeatureHead {
    /** BN epsilon of the probe (MAE: 1e-6). */
    public static final float BN_EPS = 1e-6f;

    private final BatchNorm1d bn;
    private final Linear head;

    public LinearProbe(Backend backend, int dim, int classes, Rng rng) {
        this.bn = module("head.0", new BatchNorm1d(backend, dim, BN_EPS, 0.1f, false));
        this.head = module("head.1", new Linear(backend, dim, classes, true, rng));
        Tensor w = head.weight().tensor();
        w.copyFrom(rng.truncatedNormal(w.numel(), 0.01f, -2f, 2f));
    }

    /** The defaults described above: LARS, 90 epochs, batch 256, lr 6.4, warmup 10, cosine to 0 (MAE's {@code --min_lr 0}). */
    public static ProbeRecipe recipe() {
        return new ProbeRecipe(90, 256, 6.4, 10, ProbeRecipe.Optimizer.LARS, 0, false);
    }

    /**
     * Top-1 (%) on {@code test} of a fresh probe fitted on {@code fit} with {@code recipe} (its batch capped at the
     * fitting set's size), initialised and shuffled from {@code seed}: one baseline or encoder, one number.
     */
    public static double score(Backend backend, FeatureSet fit, FeatureSet test, ProbeRecipe recipe, long seed) {
        LinearProbe p = new LinearProbe(backend, fit.dim(), Math.max(fit.numClasses(), test.numClasses()), new Rng(seed));
        p.fit(fit, recipe.withBatch(Math.min(recipe.batch(), fit.size())), seed, null);
        return p.accuracy(test);
    }

    @Override
    public Tensor logits(Tensor x) {
        return head.forward(bn.forward(x));
    }

    @Override
    public int inputDim() {
        return head.inFeatures();
    }

    public BatchNorm1d batchNorm() {
        return bn;
    }
}
