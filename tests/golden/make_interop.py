#!/usr/bin/env python3
"""Interop fixtures: the files other tools write, made by PyTorch from tiny models, and what PyTorch computes from them.

Writes tests/src/test/resources/interop/ (described in tests/golden/README.md, "Interop fixtures"):
  - torch.save checkpoints as the official MAE code writes them: a bare state dict, the training checkpoint of
    main_pretrain.py (weights under 'model' next to the optimizer, epoch, scaler and an argparse.Namespace), one with
    float16 / bfloat16 tensors, one whose tensors are strided views sharing storages, and a CAE state dict;
  - the same weights as timm VisionTransformer and Hugging Face ViTMAEForPreTraining / ViTModel /
    ViTForImageClassification safetensors files, converted by the documented renaming (timm
    models/vision_transformer.py; transformers models/vit_mae/convert_vit_mae_to_pytorch.py and modeling_vit*.py);
  - files the reader must refuse: a pickle whose __reduce__ would call os.system, and a pickled nn.Module;
  - expected.safetensors: inputs and the outputs PyTorch computes from each file (format tessera-interop-1).

timm and transformers are not installed here (and cannot be), so the reference modules below are written to be
name-faithful: every parameter sits at the module path the real classes give it, so state_dict() has exactly their
keys and load_state_dict(strict=True) accepts exactly their files. Each conversion is proven by loading the converted
weights strictly into the reference module and reproducing the official model's outputs.

    /usr/bin/python3 tests/golden/make_interop.py                         # write the fixtures and self-check
    /usr/bin/python3 tests/golden/make_interop.py --check-exports DIR     # load Tessera's exports (see README)
"""

import argparse
import copy
import json
import os
import sys
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_golden as G  # noqa: E402  (the official MAE / CAE / models_vit modules and the safetensors writer)

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "src", "test", "resources", "interop"))
REPORT = os.path.join(HERE, "interop-report.json")
FORMAT = "tessera-interop-1"
LN_EPS = G.LN_EPS

# The tiny shapes every case uses: 16×16×1 images, 4×4 patches (L = 16), width 16, 2 blocks of 2 heads; MAE decoder
# 8 wide, 1 block, 2 heads. Small enough that all fixtures together stay a few hundred KB.
IMG, P, C, D, DEPTH, HEADS = 16, 4, 1, 16, 2, 2
DEC_D, DEC_DEPTH, DEC_HEADS = 8, 1, 2
CLASSES = 5
L = (IMG // P) ** 2


# =====================================================================================================
# timm VisionTransformer (timm/models/vision_transformer.py, timm/layers): names only, behaviour of the defaults
# =====================================================================================================

class LayerScale(nn.Module):
    """timm.layers.LayerScale: x * gamma. Key: ls1.gamma / ls2.gamma."""

    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class TimmAttention(nn.Module):
    """timm.layers.Attention: qkv, q_norm/k_norm (Identity without qk_norm), proj."""

    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.q_norm, self.k_norm = nn.Identity(), nn.Identity()
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(0.0)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.proj(G.attend(q, k, v, self.heads))


class TimmBlock(nn.Module):
    """timm Block: x + ls1(attn(norm1 x)); x + ls2(mlp(norm2 x)); ls = Identity unless init_values."""

    def __init__(self, dim, heads, layer_scale, qkv_bias=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = TimmAttention(dim, heads, qkv_bias)
        self.ls1 = LayerScale(dim) if layer_scale else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = G.Mlp(dim, 4 * dim)
        self.ls2 = LayerScale(dim) if layer_scale else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class TimmVisionTransformer(nn.Module):
    """timm VisionTransformer(class_token=True, pos_embed='learn'): global_pool 'token' keeps `norm`, 'avg' replaces it by
    `fc_norm` after pooling (use_fc_norm); num_classes 0 makes `head` an Identity. Blocks are an nn.Sequential."""

    def __init__(self, global_pool="token", num_classes=0, layer_scale=False):
        super().__init__()
        self.global_pool = global_pool
        self.patch_embed = G.PatchEmbed(IMG, P, C, D)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, L + 1, D))
        self.pos_drop, self.patch_drop, self.norm_pre = nn.Dropout(0.0), nn.Identity(), nn.Identity()
        self.blocks = nn.Sequential(*[TimmBlock(D, HEADS, layer_scale) for _ in range(DEPTH)])
        avg = global_pool == "avg"
        self.norm = nn.Identity() if avg else nn.LayerNorm(D, eps=LN_EPS)
        self.fc_norm = nn.LayerNorm(D, eps=LN_EPS) if avg else nn.Identity()
        self.head_drop = nn.Dropout(0.0)
        self.head = nn.Linear(D, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.norm(self.blocks(x))                                       # [N, 1+L, D]

    def forward(self, x):
        x = self.forward_features(x)
        x = x[:, 1:].mean(dim=1) if self.global_pool == "avg" else x[:, 0]
        return self.head(self.fc_norm(x))


# =====================================================================================================
# Hugging Face ViT / ViTMAE (transformers models/vit/modeling_vit.py, models/vit_mae/modeling_vit_mae.py)
# =====================================================================================================

class HfSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x):
        return G.attend(self.query(x), self.key(x), self.value(x), self.heads)


class HfDense(nn.Module):
    """ViTSelfOutput / ViTIntermediate / ViTOutput: one `dense` Linear (the residual add lives in the layer)."""

    def __init__(self, fan_in, fan_out, act=None):
        super().__init__()
        self.dense = nn.Linear(fan_in, fan_out)
        self.act = act

    def forward(self, x):
        x = self.dense(x)
        return self.act(x) if self.act else x


class HfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attention = HfSelfAttention(dim, heads)
        self.output = HfDense(dim, dim)

    def forward(self, x):
        return self.output(self.attention(x))


class HfLayer(nn.Module):
    """ViTLayer: x + attention(layernorm_before x); then x + output(intermediate(layernorm_after x))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.attention = HfAttention(dim, heads)
        self.intermediate = HfDense(dim, 4 * dim, nn.GELU())
        self.output = HfDense(4 * dim, dim)
        self.layernorm_before = nn.LayerNorm(dim, eps=LN_EPS)
        self.layernorm_after = nn.LayerNorm(dim, eps=LN_EPS)

    def forward(self, x):
        x = x + self.attention(self.layernorm_before(x))
        return x + self.output(self.intermediate(self.layernorm_after(x)))


class HfEncoder(nn.Module):
    def __init__(self, dim, heads, depth):
        super().__init__()
        self.layer = nn.ModuleList(HfLayer(dim, heads) for _ in range(depth))

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class HfPatchEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.projection = nn.Conv2d(C, D, kernel_size=P, stride=P)

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


class HfEmbeddings(nn.Module):
    """ViTEmbeddings (trainable position_embeddings) or ViTMAEEmbeddings (fixed: requires_grad=False); same keys."""

    def __init__(self, fixed):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.patch_embeddings = HfPatchEmbeddings()
        self.position_embeddings = nn.Parameter(torch.zeros(1, L + 1, D), requires_grad=not fixed)

    def forward(self, x):
        x = self.patch_embeddings(x)
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.position_embeddings


class HfViTModel(nn.Module):
    """ViTModel(config, add_pooling_layer=False) — or ViTMAEModel run without masking: embeddings, encoder, layernorm."""

    def __init__(self, fixed_positions=False):
        super().__init__()
        self.embeddings = HfEmbeddings(fixed_positions)
        self.encoder = HfEncoder(D, HEADS, DEPTH)
        self.layernorm = nn.LayerNorm(D, eps=LN_EPS)

    def forward(self, x):
        return self.layernorm(self.encoder(self.embeddings(x)))               # last_hidden_state [N, 1+L, D]


class HfViTForImageClassification(nn.Module):
    """vit (ViTModel without pooler) + classifier on the cls token of the last hidden state."""

    def __init__(self):
        super().__init__()
        self.vit = HfViTModel()
        self.classifier = nn.Linear(D, CLASSES)

    def forward(self, x):
        return self.classifier(self.vit(x)[:, 0])


class HfViTMAEDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder_embed = nn.Linear(D, DEC_D)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DEC_D))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, DEC_D), requires_grad=False)
        self.decoder_layers = nn.ModuleList(HfLayer(DEC_D, DEC_HEADS) for _ in range(DEC_DEPTH))
        self.decoder_norm = nn.LayerNorm(DEC_D, eps=LN_EPS)
        self.decoder_pred = nn.Linear(DEC_D, P * P * C)


class HfViTMAEForPreTraining(nn.Module):
    """vit (ViTMAEModel) + decoder (ViTMAEDecoder); forward = ViTMAEForPreTraining.forward with `noise`."""

    def __init__(self):
        super().__init__()
        self.vit = HfViTModel(fixed_positions=True)
        self.decoder = HfViTMAEDecoder()

    def forward(self, imgs, noise, norm_pix):
        e = self.vit.embeddings
        x = e.patch_embeddings(imgs) + e.position_embeddings[:, 1:, :]
        x, mask, ids_restore = G.MaskedAutoencoderViT.random_masking(x, 0.75, noise)
        cls = (e.cls_token + e.position_embeddings[:, :1, :]).expand(x.shape[0], -1, -1)
        latent = self.vit.layernorm(self.vit.encoder(torch.cat([cls, x], dim=1)))
        d = self.decoder
        y = d.decoder_embed(latent)
        tokens = d.mask_token.repeat(y.shape[0], ids_restore.shape[1] + 1 - y.shape[1], 1)
        y_ = torch.cat([y[:, 1:, :], tokens], dim=1)
        y_ = torch.gather(y_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, y.shape[2]))
        y = torch.cat([y[:, :1, :], y_], dim=1) + d.decoder_pos_embed
        for layer in d.decoder_layers:
            y = layer(y)
        pred = d.decoder_pred(d.decoder_norm(y))[:, 1:, :]
        target = G.patchify(imgs, P)
        if norm_pix:
            target = G.norm_pix(target)
        loss = ((((pred - target) ** 2).mean(dim=-1)) * mask).sum() / mask.sum()
        return loss, pred, latent


# =====================================================================================================
# The documented conversions, from the official names (models_mae.py / models_vit.py / modeling_cae.py)
# =====================================================================================================

def timm_from_official(sd, prefix=""):
    """An encoder (or models_vit classifier) under `prefix` → timm VisionTransformer keys. BEiT-style attention
    (CAE: qkv without bias, q_bias / v_bias) becomes timm's qkv.bias = [q_bias; 0; v_bias] (a k bias shifts every
    score of a query by the same amount, which the softmax cancels); LayerScale gamma_1/gamma_2 → ls1.gamma/ls2.gamma
    (timm's own deit3 remap in checkpoint_filter_fn)."""
    out = {}
    for k, v in sd.items():
        if not k.startswith(prefix):
            continue
        k = k[len(prefix):]
        if k.endswith("attn.q_bias"):
            vb = sd[prefix + k.replace("q_bias", "v_bias")]
            out[k.replace("q_bias", "qkv.bias")] = torch.cat([v, torch.zeros_like(v), vb])
        elif k.endswith("attn.v_bias"):
            continue
        elif ".gamma_" in k:
            out[k.replace("gamma_1", "ls1.gamma").replace("gamma_2", "ls2.gamma")] = v
        else:
            out[k] = v
    return out


def _hf_layer(out, dst, src, sd, dim, beit=False):
    """One official block `src` (blocks.i. / decoder_blocks.i.) → HF layer `dst`; q/k/v split from the fused qkv rows
    [q | k | v] as convert_vit_mae_to_pytorch.py does; BEiT q/v biases with a zero k bias; LayerScale folded into the
    Linear before it (γ ⊙ (W x + b) = (diag(γ) W) x + γ ⊙ b: HF's ViT has no LayerScale)."""
    w = sd[src + "attn.qkv.weight"]
    if beit:
        qb, vb = sd[src + "attn.q_bias"], sd[src + "attn.v_bias"]
        b = torch.cat([qb, torch.zeros_like(qb), vb])
    else:
        b = sd[src + "attn.qkv.bias"]
    for i, name in enumerate(["query", "key", "value"]):
        out[f"{dst}attention.attention.{name}.weight"] = w[i * dim:(i + 1) * dim]
        out[f"{dst}attention.attention.{name}.bias"] = b[i * dim:(i + 1) * dim]
    g1 = sd.get(src + "gamma_1")
    g2 = sd.get(src + "gamma_2")
    pw, pb = sd[src + "attn.proj.weight"], sd[src + "attn.proj.bias"]
    fw, fb = sd[src + "mlp.fc2.weight"], sd[src + "mlp.fc2.bias"]
    if g1 is not None:
        pw, pb, fw, fb = pw * g1[:, None], pb * g1, fw * g2[:, None], fb * g2
    out[dst + "attention.output.dense.weight"], out[dst + "attention.output.dense.bias"] = pw, pb
    out[dst + "intermediate.dense.weight"] = sd[src + "mlp.fc1.weight"]
    out[dst + "intermediate.dense.bias"] = sd[src + "mlp.fc1.bias"]
    out[dst + "output.dense.weight"], out[dst + "output.dense.bias"] = fw, fb
    for a, b_ in (("norm1", "layernorm_before"), ("norm2", "layernorm_after")):
        out[f"{dst}{b_}.weight"], out[f"{dst}{b_}.bias"] = sd[f"{src}{a}.weight"], sd[f"{src}{a}.bias"]


def hf_vit_from_official(sd, out_prefix, in_prefix="", beit=False):
    """An official encoder → HF ViTModel keys (embeddings, encoder.layer.i, layernorm) under `out_prefix`."""
    out = {}
    o, i = out_prefix, in_prefix
    out[o + "embeddings.cls_token"] = sd[i + "cls_token"]
    out[o + "embeddings.position_embeddings"] = sd[i + "pos_embed"]
    out[o + "embeddings.patch_embeddings.projection.weight"] = sd[i + "patch_embed.proj.weight"]
    out[o + "embeddings.patch_embeddings.projection.bias"] = sd[i + "patch_embed.proj.bias"]
    for n in range(DEPTH):
        _hf_layer(out, f"{o}encoder.layer.{n}.", f"{i}blocks.{n}.", sd, D, beit)
    out[o + "layernorm.weight"], out[o + "layernorm.bias"] = sd[i + "norm.weight"], sd[i + "norm.bias"]
    return out


def hf_mae_from_official(sd):
    """models_mae.py → ViTMAEForPreTraining (vit.*, decoder.*): convert_vit_mae_to_pytorch.py's renaming."""
    out = hf_vit_from_official(sd, "vit.")
    out["decoder.decoder_embed.weight"], out["decoder.decoder_embed.bias"] = sd["decoder_embed.weight"], sd["decoder_embed.bias"]
    out["decoder.mask_token"] = sd["mask_token"]
    out["decoder.decoder_pos_embed"] = sd["decoder_pos_embed"]
    for n in range(DEC_DEPTH):
        _hf_layer(out, f"decoder.decoder_layers.{n}.", f"decoder_blocks.{n}.", sd, DEC_D)
    for a in ("decoder_norm", "decoder_pred"):
        out[f"decoder.{a}.weight"], out[f"decoder.{a}.bias"] = sd[f"{a}.weight"], sd[f"{a}.bias"]
    return out


def load_strict(module, state, what):
    """load_state_dict(strict=True): the key sets must be identical, every shape equal."""
    result = module.load_state_dict({k: v.clone() for k, v in state.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys, f"{what}: {result}"
    return module


# =====================================================================================================
# Files
# =====================================================================================================

def save_torch(obj, name):
    """torch.save into the fixture folder (zip format; the archive folder is the file's stem, as torch names it)."""
    path = os.path.join(OUT_DIR, name)
    torch.save(obj, path)
    return path


def save_st(tensors, name, metadata=None):
    path = os.path.join(OUT_DIR, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    G.write_safetensors(path, {k: v.detach().contiguous() for k, v in tensors.items()}, metadata or {"format": "pt"})
    return path


def hf_mae_config():
    """What ViTMAEConfig.to_dict() would hold for these shapes (read by Tessera for the head counts)."""
    return {"architectures": ["ViTMAEForPreTraining"], "model_type": "vit_mae", "hidden_size": D, "num_hidden_layers": DEPTH,
            "num_attention_heads": HEADS, "intermediate_size": 4 * D, "hidden_act": "gelu", "layer_norm_eps": LN_EPS,
            "image_size": IMG, "patch_size": P, "num_channels": C, "qkv_bias": True, "decoder_hidden_size": DEC_D,
            "decoder_num_hidden_layers": DEC_DEPTH, "decoder_num_attention_heads": DEC_HEADS,
            "decoder_intermediate_size": 4 * DEC_D, "mask_ratio": 0.75, "norm_pix_loss": True}


class Evil:
    """What a malicious checkpoint carries: unpickling it would run a shell command. Never unpickled here."""

    def __reduce__(self):
        return os.system, ("touch /tmp/tessera-pickle-was-executed",)


def half_state(sd):
    """The blocks in float16, the decoder in bfloat16, the rest float32 (mixed, as AMP-era checkpoints can be)."""
    out = {}
    for k, v in sd.items():
        if k.startswith("blocks."):
            out[k] = v.half()
        elif k.startswith("decoder"):
            out[k] = v.bfloat16()
        else:
            out[k] = v
    return out


def view_state(sd):
    """Every tensor of the state dict as a view that is NOT a plain contiguous tensor: 2-D weights are transposes of
    contiguous [in, out] tensors (strides (1, rows)), and all 1-D tensors are slices of one shared flat storage at
    increasing offsets. torch.save keeps the views and writes each storage once."""
    out = {}
    flat_names = [k for k, v in sd.items() if v.ndim == 1]
    flat = torch.cat([sd[k] for k in flat_names]) if flat_names else None
    at = 0
    for k, v in sd.items():
        if v.ndim == 2:
            out[k] = v.t().contiguous().t()                                   # same values, transposed strides
            assert not out[k].is_contiguous()
        elif v.ndim == 1:
            out[k] = flat[at:at + v.numel()]
            at += v.numel()
        else:
            out[k] = v
    return out


def mae_model(seed):
    torch.manual_seed(seed)
    cfg = dict(img_size=IMG, patch_size=P, in_chans=C, embed_dim=D, depth=DEPTH, num_heads=HEADS, decoder_embed_dim=DEC_D,
               decoder_depth=DEC_DEPTH, decoder_num_heads=DEC_HEADS, mlp_ratio=4.0, norm_pix_loss=True)
    m = G.MaskedAutoencoderViT(cfg)
    G.init_weights(m)
    return m.eval()


def cae_model(seed):
    torch.manual_seed(seed)
    cfg = dict(img_size=IMG, patch_size=P, in_chans=C, embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=4.0,
               layer_scale_init_value=0.1, decoder_embed_dim=D, regressor_depth=1, decoder_depth=1, decoder_num_heads=HEADS,
               decoder_layer_scale_init_value=0.1, decoder_num_classes=P * P * C)
    m = G.ContextAutoencoderViT(cfg)
    G.init_weights(m)
    return m.eval()


def classifier_model(seed, global_pool):
    torch.manual_seed(seed)
    m = G.VisionTransformer(dict(img_size=IMG, patch_size=P, in_chans=C, embed_dim=D, depth=DEPTH, num_heads=HEADS,
                                 mlp_ratio=4.0, num_classes=CLASSES, global_pool=global_pool))
    G.init_weights(m)
    return m.eval()


def close(a, b, what, tol=1e-6):
    err = ((a - b).abs().max() / b.abs().max()).item()
    assert err <= tol, f"{what}: relative error {err:.2e}"
    return err


def with_state(module, state):
    """A copy of `module` with `state` loaded (strict) and cast to float32 (for the f16/bf16 expectations)."""
    m = copy.deepcopy(module)
    load_strict(m, {k: v.float() for k, v in state.items()}, "state")
    return m


def write_fixtures():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(100)
    images = torch.randn(2, C, IMG, IMG)
    noise = torch.rand(2, L)
    expected = {"input.images": images, "input.noise": noise}

    # ---- MAE: the official model, its checkpoints, and its timm / HF names
    mae = mae_model(1)
    sd = mae.state_dict()
    with torch.no_grad():
        loss, pred, mask, ids_restore, latent = mae(images, noise, 0.75)
        expected.update({"mae.loss": loss.reshape(1), "mae.pred": pred, "mae.latent": latent, "mae.mask": mask})
        save_torch(sd, "mae.pth")
        trained = copy.deepcopy(mae)                  # one AdamW step, for a real optimizer state in the checkpoint
        opt = torch.optim.AdamW(trained.parameters(), lr=1e-3)
        with torch.enable_grad():
            trained(images, noise, 0.75)[0].backward()
            opt.step()
        # main_pretrain.py's misc.save_model: model, optimizer, epoch, scaler, args (an argparse.Namespace)
        args = argparse.Namespace(model="mae_vit_tiny", input_size=IMG, mask_ratio=0.75, norm_pix_loss=True, blr=1.5e-4,
                                  lr=None, weight_decay=0.05, batch_size=64, epochs=800, device="cuda", dist_url="env://")
        save_torch({"model": sd, "optimizer": opt.state_dict(), "epoch": 7,
                    "scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                               "_growth_tracker": 0}, "args": args}, "mae_ckpt.pth")

        half = half_state(sd)
        save_torch(half, "mae_half.pth")
        h_loss, h_pred, _, _, h_latent = with_state(mae, half)(images, noise, 0.75)
        expected.update({"mae_half.loss": h_loss.reshape(1), "mae_half.pred": h_pred, "mae_half.latent": h_latent})
        assert close(h_pred, pred, "half vs float", tol=0.1) > 1e-6, "rounding to f16/bf16 should change the outputs"

        views = view_state(sd)
        save_torch(views, "mae_views.pth")
        for k in sd:
            assert torch.equal(views[k], sd[k]), k

        hf = load_strict(HfViTMAEForPreTraining(), hf_mae_from_official(sd), "HF ViTMAEForPreTraining").eval()
        hf_loss, hf_pred, hf_latent = hf(images, noise, True)
        close(hf_pred, pred, "HF MAE pred")
        close(hf_latent, latent, "HF MAE latent")
        save_st(hf.state_dict(), "hf_mae/model.safetensors")
        with open(os.path.join(OUT_DIR, "hf_mae", "config.json"), "w") as f:
            json.dump(hf_mae_config(), f, indent=2, sort_keys=True)

        timm = load_strict(TimmVisionTransformer(), timm_from_official({k: v for k, v in sd.items() if not (
            k.startswith("decoder") or k == "mask_token")}), "timm encoder").eval()
        feats = timm.forward_features(images)
        expected["mae_encoder.features"] = feats
        save_st(timm.state_dict(), "mae_timm_encoder.safetensors")

        # ---- CAE: BEiT-style encoder (q/v bias, LayerScale) as timm and as HF ViTModel
        cae = cae_model(2)
        csd = cae.state_dict()
        save_torch(csd, "cae.pth")
        keep = torch.ones(2, L, dtype=torch.bool)
        cae_feats = cae.encoder(images, keep)                                  # every patch visible: [N, 1+L, D]
        expected["cae_encoder.features"] = cae_feats
        ct = load_strict(TimmVisionTransformer(layer_scale=True), timm_from_official(csd, "encoder."), "timm CAE encoder").eval()
        close(ct.forward_features(images), cae_feats, "timm CAE encoder")
        save_st(ct.state_dict(), "cae_timm_encoder.safetensors")
        ch = load_strict(HfViTModel(fixed_positions=True), hf_vit_from_official(csd, "", "encoder.", beit=True), "HF CAE encoder").eval()
        close(ch(images), cae_feats, "HF CAE encoder (LayerScale folded)", tol=1e-5)
        save_st(ch.state_dict(), "cae_hf_encoder.safetensors")

        # ---- fine-tuned classifiers: timm global_pool='avg' (fc_norm + head) and HF ViTForImageClassification
        avg = classifier_model(3, True)
        avg_sd = avg.state_dict()
        expected["classifier_avg.logits"] = avg(images)
        ta = load_strict(TimmVisionTransformer("avg", CLASSES), timm_from_official(avg_sd), "timm avg classifier").eval()
        close(ta(images), expected["classifier_avg.logits"], "timm avg classifier")
        save_st(ta.state_dict(), "classifier_timm.safetensors")
        cls = classifier_model(4, False)
        cls_sd = cls.state_dict()
        expected["classifier_cls.logits"] = cls(images)
        hc_state = hf_vit_from_official(cls_sd, "vit.")
        hc_state["classifier.weight"], hc_state["classifier.bias"] = cls_sd["head.weight"], cls_sd["head.bias"]
        hc = load_strict(HfViTForImageClassification(), hc_state, "HF ViTForImageClassification").eval()
        close(hc(images), expected["classifier_cls.logits"], "HF classifier")
        save_st(hc.state_dict(), "classifier_hf.safetensors")

        # ---- files to refuse
        save_torch({"model": {"cls_token": sd["cls_token"]}, "payload": Evil()}, "malicious.pth")
        torch.manual_seed(5)
        save_torch(nn.Linear(3, 2), "module.pth")

    meta = {"format": FORMAT, "config": json.dumps(dict(img_size=IMG, patch_size=P, in_chans=C, embed_dim=D, depth=DEPTH,
                                                          num_heads=HEADS, decoder_embed_dim=DEC_D, decoder_depth=DEC_DEPTH,
                                                          decoder_num_heads=DEC_HEADS, num_classes=CLASSES, ln_eps=LN_EPS,
                                                          norm_pix_loss=True, mask_ratio=0.75), sort_keys=True)}
    G.write_safetensors(os.path.join(OUT_DIR, "expected.safetensors"), {k: v.detach().contiguous() for k, v in expected.items()}, meta)
    self_check()


def self_check():
    """The refusal files are what they claim to be, and nothing ran while writing them."""
    with zipfile.ZipFile(os.path.join(OUT_DIR, "malicious.pth")) as z:
        pkl = z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])
    assert b"posix\nsystem" in pkl or b"os\nsystem" in pkl, "the malicious pickle should name os.system"
    assert not os.path.exists("/tmp/tessera-pickle-was-executed"), "something unpickled the malicious file"
    total = 0
    for root, _, files in os.walk(OUT_DIR):
        for f in sorted(files):
            size = os.path.getsize(os.path.join(root, f))
            total += size
            print(f"{os.path.relpath(os.path.join(root, f), OUT_DIR):34s} {size:9,d} bytes")
    print(f"{'total':34s} {total:9,d} bytes")
    if total > 1024 * 1024:
        sys.exit("interop fixtures exceed 1 MB")


# =====================================================================================================
# --check-exports: Tessera's export → the reference modules with strict=True → the same outputs
# =====================================================================================================

def check_exports(folder):
    """Loads every file InteropGoldenTest exported (DIR/<case>.<format>.safetensors) into the reference module of its
    format with strict=True, runs it on the fixture inputs and compares with PyTorch's outputs of the original weights."""
    expected, _ = G.read_safetensors(os.path.join(OUT_DIR, "expected.safetensors"))
    images, noise = expected["input.images"], expected["input.noise"]

    def official_mae():
        return mae_model(0)

    def official_vit(global_pool):
        return classifier_model(0, global_pool)

    runs = {
        "mae.tessera": (official_mae, lambda m: m(images, noise, 0.75)[1], "mae.pred"),
        "mae.hf": (HfViTMAEForPreTraining, lambda m: m(images, noise, True)[1], "mae.pred"),
        "mae.timm": (TimmVisionTransformer, lambda m: m.forward_features(images), "mae_encoder.features"),
        "cae.tessera": (lambda: cae_model(0), lambda m: m.encoder(images, torch.ones(2, L, dtype=torch.bool)), "cae_encoder.features"),
        "cae.timm": (lambda: TimmVisionTransformer(layer_scale=True), lambda m: m.forward_features(images), "cae_encoder.features"),
        "cae.hf": (lambda: HfViTModel(fixed_positions=True), lambda m: m(images), "cae_encoder.features"),
        "classifier_avg.timm": (lambda: TimmVisionTransformer("avg", CLASSES), lambda m: m(images), "classifier_avg.logits"),
        "classifier_avg.tessera": (lambda: official_vit(True), lambda m: m(images), "classifier_avg.logits"),
        "classifier_cls.hf": (HfViTForImageClassification, lambda m: m(images), "classifier_cls.logits"),
        "classifier_cls.timm": (lambda: TimmVisionTransformer("token", CLASSES), lambda m: m(images), "classifier_cls.logits"),
    }
    report = {"format": FORMAT, "torch": torch.__version__, "reference_modules": "name-faithful timm / transformers modules of"
              " tests/golden/make_interop.py (neither package is installed here)", "checks": {}}
    for case, (build, run, key) in runs.items():
        path = os.path.join(folder, case + ".safetensors")
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run InteropGoldenTest first (see tests/golden/README.md)")
        state, meta = G.read_safetensors(path)
        module = load_strict(build(), state, path).eval()
        with torch.no_grad():
            err = ((run(module) - expected[key]).abs().max() / expected[key].abs().max()).item()
        ok = err <= 1e-5
        report["checks"][case] = {"strict_load": True, "tensors": len(state), "compared_with": key,
                                  "max_rel_error": float(f"{err:.3e}"), "ok": ok, "metadata_format": meta.get("format")}
        print(f"{case:24s} strict load OK, {len(state):3d} tensors, {key}: max rel error {err:.2e} {'OK' if ok else 'FAIL'}")
        if not ok:
            sys.exit(f"{case}: outputs differ")
    with open(REPORT, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    print("report:", os.path.relpath(REPORT))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-exports", metavar="DIR", help="load Tessera's exported files from DIR and compare outputs")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.check_exports:
        check_exports(args.check_exports)
    else:
        write_fixtures()


if __name__ == "__main__":
    main()
