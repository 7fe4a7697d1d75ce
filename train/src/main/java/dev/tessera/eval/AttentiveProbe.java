package dev.tessera.eval;

import dev.tessera.cae.CrossAttention;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.BatchNorm1d;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.ViTConfig;

/**
 * CAE's attentive probe (docs/cae.md#evaluation; lxtGH/CAE {@code models/modeling_finetune.py} with
 * {@code linear_type='attentive'}, trained by {@code tools/run_attentive.py} — Atten4Vis/CAE's copy of the block cannot
 * be called): a single learnable query token reads the frozen encoder's tokens (cls and patches, after the final
 * norm) through one cross-attention block, and its output goes through BatchNorm without affine and a linear head.
 * <pre>
 *   q   = norm1_q(query_token)           [N, 1, D]      (the official block adds pos 0 to q and k)
 *   k   = norm1_k(tokens), v = norm1_v(tokens)            [N, 1+L, D]
 *   a   = CrossAttention(q, k, v)         [N, 1, D]      separate q/k/v Linears, q_bias and v_bias, proj
 *   out = head(fc_norm(a[:, 0]))          fc_norm = BatchNorm1d(D, affine=False)
 * </pre>
 * The official AttentiveBlock has no residual and no MLP (its {@code norm2_cross} is never used); that is
 * reproduced. Names follow lxtGH's model: {@code query_token}, {@code attentive_blocks.0.{norm1_q, norm1_k, norm1_v,
 * cross_attn.*}}, {@code fc_norm}, {@code head}. Init as the official: query token zeros; the block's Linears
 * truncated-normal std 0.02 with zero biases ({@code _init_weights}); the head N(0, 0.01) with bias 0
 * ({@code run_attentive.py} re-draws {@code head.weight.data.normal_(0, 0.01)} after the model's own init).
 * fc_norm eps 1e-5 (the official LP_BatchNorm's default), LN eps 1e-6.
 *
 * <p>Default recipe ({@link #recipe}): SGD with Nesterov momentum 0.9 (timm's {@code create_optimizer} for
 * {@code --opt sgd}), no weight decay, warmup 10 of 90 epochs, cosine to min lr 1e-6 ({@code run_attentive.py}'s
 * default), lr 0.05 at batch 256. CAE's script passes {@code --lr 0.4 --batch_size 256 --opt sgd --momentum 0.9
 * --weight_decay 0}, but its batch size is per GPU and tools/run_attentive.py uses the lr as given: 0.4 is the lr
 * of a step over 256 × 8 GPUs = 2048 images (the script's 4 nodes would make it 8192). Scaled linearly to one
 * batch of 256 that is 0.05. Measured on Fashion-MNIST with the earlier init and plain momentum (the README's CAE
 * encoder, 10k fitting images, all 10k test images): 83.3% at lr 0.05 against 73.1% at 0.4, which under-trains. The
 * input is the token set, (1+L)·D floats per image (10k Fashion-MNIST images: 384 MB), precomputed once or
 * re-extracted from freshly augmented images every epoch (RandomResizedCrop + flip, the official training
 * transform; {@code tessera attnprobe --augment every-epoch}).
 */
public final class AttentiveProbe extends FeatureHead {
    private final int tokens, dim;
    private final Parameter queryToken;
    private final LayerNorm normQ, normK, normV;
    private final CrossAttention crossAttn;
    private final BatchNorm1d fcNorm;
    private final Linear head;

    /**
     * @param tokens 1 + L, the encoder's sequence length
     * @param dim    D, the encoder's width
     * @param heads  attention heads of the block (the encoder's)
     */
    public AttentiveProbe(Backend backend, int tokens, int dim, int heads, int classes, Rng rng) {
        if (tokens <= 0) throw new IllegalArgumentException("AttentiveProbe: tokens must be positive, got " + tokens);
        this.tokens = tokens;
        this.dim = dim;
        this.queryToken = parameter("query_token", Tensor.zeros(backend, 1, 1, dim));
        this.normQ = module("attentive_blocks.0.norm1_q", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.normK = module("attentive_blocks.0.norm1_k", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.normV = module("attentive_blocks.0.norm1_v", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.crossAttn = module("attentive_blocks.0.cross_attn", new CrossAttention(backend, dim, heads, true, rng));
        this.fcNorm = module("fc_norm", new BatchNorm1d(backend, dim, 1e-5f, 0.1f, false));
        this.head = module("head", new Linear(backend, dim, classes, true, rng));
        crossAttn.namedParameters().forEach((name, p) -> {           // q, k, v, proj weights; proj.bias; q_bias, v_bias
            Tensor t = p.tensor();
            if (name.endsWith(".weight")) t.copyFrom(rng.truncatedNormal(t.numel(), 0.02f, -2f, 2f));  // cut at ±2 absolute
            else t.copyFrom(new float[t.numel()]);
        });
        Tensor w = head.weight().tensor();
        w.copyFrom(rng.normal(w.numel(), 0f, 0.01f));
    }

    /**
     * SGD with Nesterov momentum 0.9, no weight decay, lr 0.05, batch 256, 90 epochs, 10 warmup, min lr 1e-6: CAE's
     * recipe per image (see above).
     */
    public static ProbeRecipe recipe() {
        return new ProbeRecipe(90, 256, 0.05, 10, ProbeRecipe.Optimizer.SGD, 1e-6, true);
    }

    /** x [B, (1+L)·D] → logits [B, classes]. */
    @Override
    public Tensor logits(Tensor x) {
        int n = x.dim(0);
        Tensor kv = x.reshape(n, tokens, dim);                                  // [N, 1+L, D]
        Tensor q = normQ.forward(queryToken.tensor().expand(n, 1, dim));         // [N, 1, D]
        Tensor a = crossAttn.forward(q, normK.forward(kv), normV.forward(kv));   // [N, 1, D]
        return head.forward(fcNorm.forward(a.reshape(n, dim)));                 // [N, classes]
    }

    @Override
    public int inputDim() {
        return tokens * dim;
    }
}
