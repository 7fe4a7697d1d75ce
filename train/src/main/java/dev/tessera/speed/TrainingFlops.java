package dev.tessera.speed;

import dev.tessera.cae.CaeConfig;
import dev.tessera.mae.MaeConfig;
import dev.tessera.vit.ViTConfig;

/**
 * How much arithmetic one image costs, counted from the configuration alone: the matrix multiply-accumulates
 * (MACs) of the forward pass, with the convention of docs/vit.md#compute — every Linear and the patch-embedding convolution,
 * plus the two attention products (Q·Kᵀ and A·V); LayerNorm, softmax, GELU and the loss are ignored. The checks (docs/vit.md#compute):
 * a full ViT-B/16 is 17.56 G MACs, an MAE-B pre-training forward about 9.8 G
 * (patch embedding 0.12 + encoder on 50 tokens 4.29 + decoder 5.37).
 *
 * <p>A training step costs about three forward passes of whatever is trained (backward = one product for the
 * input gradient and one for the weight gradient, each the forward's size) and one of what only runs forward —
 * CAE's alignment teacher runs under no-grad. {@link #trainingFlops} is therefore 2 FLOPs per MAC × (3 × graded
 * MACs + teacher MACs); dividing it by the measured time and the device's peak gives the model FLOP utilisation.
 *
 * @param patchEmbed the patch-embedding convolution, per image
 * @param encoder    the encoder blocks (and its tokens' Linears), per image
 * @param neck       what sits between encoder and decoder: MAE's decoder_embed; CAE's regressor (and its
 *                   encoder_to_regresser projection when the widths differ)
 * @param decoder    the decoder blocks and its prediction head
 * @param teacher    CAE's alignment pass (the same encoder on the masked patches, forward only); 0 for MAE
 */
public record TrainingFlops(long patchEmbed, long encoder, long neck, long decoder, long teacher) {

    /** Forward MACs of everything that gets gradients. */
    public long gradedMacs() {
        return patchEmbed + encoder + neck + decoder;
    }

    /** Forward MACs of one image, teacher included. */
    public long forwardMacs() {
        return gradedMacs() + teacher;
    }

    /** FLOPs of one training image: 2 × (3 × graded MACs + teacher MACs). */
    public double trainingFlops() {
        return 2.0 * (3.0 * gradedMacs() + teacher);
    }

    /** MAE pre-training (docs/mae.md#encoder, docs/mae.md#decoder): encoder on cls + len_keep tokens, decoder on cls + L tokens. */
    public static TrainingFlops mae(MaeConfig c) {
        ViTConfig e = c.encoder();
        int l = c.numPatches(), te = 1 + c.lenKeep(), td = 1 + l, dd = c.decoderDim();
        long decoder = c.decoderDepth() * block(td, dd, (int) (dd * e.mlpRatio()))
                + (long) td * dd * e.patchDim();                              // decoder_pred runs on every token, cls too
        return new TrainingFlops(patchEmbed(e), e.depth() * block(te, e.dim(), e.mlpHidden()),
                (long) te * e.dim() * dd, decoder, 0);
    }

    /**
     * CAE pre-training (docs/cae.md#one-training-step): encoder on cls + Nv visible tokens; regressor blocks whose M queries attend to
     * [Zv; queries] (Nv + M keys); decoder on the M predicted latents; the teacher is the encoder on cls + M. Both
     * encoder passes embed all L patches and then pick theirs, as the official code does.
     */
    public static TrainingFlops cae(CaeConfig c) {
        ViTConfig e = c.encoder();
        int m = c.numMasked(), nv = c.numVisible(), dd = c.decoderDim(), hidden = c.decoderMlpHidden();
        long projection = c.hasProjection() ? (long) e.dim() * dd : 0;        // encoder_to_regresser, per token
        long regressor = c.regressorDepth() * crossBlock(m, nv + m, dd, hidden) + (1L + nv) * projection;
        long decoder = c.decoderDepth() * block(m, dd, hidden) + (long) m * dd * c.headDim();
        long teacher = patchEmbed(e) + e.depth() * block(1 + m, e.dim(), e.mlpHidden()) + (1L + m) * projection;
        return new TrainingFlops(patchEmbed(e), e.depth() * block(1 + nv, e.dim(), e.mlpHidden()), regressor, decoder, teacher);
    }

    /** A whole ViT classifier's forward (fine-tuning, supervised training): every patch, cls, and the head. */
    public static TrainingFlops vit(ViTConfig e) {
        long head = e.numClasses() > 0 ? (long) e.dim() * e.numClasses() : 0;
        return new TrainingFlops(patchEmbed(e), e.depth() * block(1 + e.numPatches(), e.dim(), e.mlpHidden()), 0, head, 0);
    }

    /** The convolution with kernel = stride = p over all L patches: L · (p²·C) · D. */
    private static long patchEmbed(ViTConfig e) {
        return (long) e.numPatches() * e.patchDim() * e.dim();
    }

    /** One pre-norm self-attention block over t tokens of width d: qkv 3d², proj d², MLP 2·d·h, and 2·t·d per token for Q·Kᵀ and A·V. */
    static long block(int t, int d, int hidden) {
        return (long) t * (4L * d * d + 2L * d * hidden) + 2L * t * t * d;
    }

    /** One regressor block: q and proj on the q queries, k and v on the kv keys, attention q × kv, MLP on the queries. */
    static long crossBlock(int q, int kv, int d, int hidden) {
        return (long) q * (2L * d * d + 2L * d * hidden) + 2L * kv * d * d + 2L * q * kv * d;
    }
}
