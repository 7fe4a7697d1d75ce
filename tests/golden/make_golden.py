#!/usr/bin/env python3
"""Golden-file generator for Tessera's ViT, MAE and CAE parity tests ("the llm.c way").

Builds tiny ViT / MAE / CAE models in plain PyTorch, runs one forward + backward and five AdamW steps
per case, and writes everything the Java tests compare against into one safetensors file per case
(format "tessera-golden-1", described in tests/golden/README.md).

The models re-implement the official code; nothing is imported from it and no code is copied:
  - ViT classifier: timm 0.3.2 VisionTransformer as wrapped by facebookresearch/mae models_vit.py
    (cls pooling + final `norm`, or global_pool: mean of patch tokens + `fc_norm`, no `norm`).
  - MAE: facebookresearch/mae models_mae.py (efb2a80) + util/pos_embed.py.
  - CAE: Atten4Vis/CAE models/modeling_cae.py + models/modeling_cae_helper.py (a7fd162),
    loss as in furnace/engine_for_pretraining.py.
Parameter names are exactly the official state_dict keys (see README for the tables).
References to docs/… are to this repository's docs/ folder.

Regenerate (from the repository root):
    /usr/bin/python3 tests/golden/make_golden.py
Verify existing files without regenerating:
    /usr/bin/python3 tests/golden/make_golden.py --check
Print the parameter-name tables (markdown) used in the README:
    /usr/bin/python3 tests/golden/make_golden.py --tables
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "tessera-golden-1"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "src", "test", "resources", "golden"))

LN_EPS = 1e-6            # every LayerNorm in MAE / CAE / MAE-finetune ViT (partial(nn.LayerNorm, eps=1e-6))
NUM_STEPS = 5            # AdamW steps recorded in steps.losses
ADAMW = dict(lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.05)


# =====================================================================================================
# safetensors writer / reader (no `safetensors` package here; the format is simple):
#   [u64 little-endian N][N bytes of JSON header, padded with spaces to a multiple of 8][raw data]
#   header = {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end)}}
#   offsets are relative to the first byte after the header; tensors are stored in sorted-name order.
# =====================================================================================================

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
_NP_OF = {"F32": ("<f4", torch.float32), "I64": ("<i8", torch.int64)}


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": dict(metadata)}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        code, np_dtype = _DTYPES[t.dtype]
        data = t.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns (dict name -> tensor, metadata dict). Validates offsets, dtype sizes and shapes."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header length must be a multiple of 8"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__")
    out, end_max = {}, 0
    for name, h in header.items():
        np_dtype, t_dtype = _NP_OF[h["dtype"]]
        b, e = h["data_offsets"]
        count = int(np.prod(h["shape"])) if h["shape"] else 1
        assert e - b == count * np.dtype(np_dtype).itemsize, f"{name}: size mismatch"
        arr = np.frombuffer(data[b:e], dtype=np_dtype).reshape(h["shape"]).copy()
        out[name] = torch.from_numpy(arr).to(t_dtype)
        end_max = max(end_max, e)
    assert end_max == len(data), "trailing bytes after the last tensor"
    return out, metadata


# =====================================================================================================
# Fixed 2-D sin-cos position tables (docs/vit.md#position-embedding). Both: [1, 1+L, D], cls row (row 0) all zeros.
# =====================================================================================================

def mae_sincos_table(dim, grid):
    """MAE util/pos_embed.py order: [sin(c·ω) | cos(c·ω) | sin(r·ω) | cos(r·ω)], ω_k = 10000^(-k/Q),
    Q = dim/4; ω and the products in float64, cast to float32 at the end (as the numpy original)."""
    q = dim // 4
    omega = 1.0 / 10000.0 ** (np.arange(q, dtype=np.float64) / q)                # [Q]
    rows, cols = np.divmod(np.arange(grid * grid), grid)                            # raster order
    oc = np.outer(cols.astype(np.float64), omega)                                   # [L, Q]
    orow = np.outer(rows.astype(np.float64), omega)
    emb = np.concatenate([np.sin(oc), np.cos(oc), np.sin(orow), np.cos(orow)], axis=1)
    emb = np.concatenate([np.zeros((1, dim)), emb], axis=0)
    return torch.from_numpy(emb).float().unsqueeze(0)


def cae_sincos_table(dim, grid):
    """CAE build_2d_sincos_position_embedding order: [sin(r·ω) | cos(r·ω) | sin(c·ω) | cos(c·ω)],
    everything in float32 (as the torch original)."""
    q = dim // 4
    omega = torch.arange(q, dtype=torch.float32) / q
    omega = 1.0 / (10000.0 ** omega)                                                # float32
    n = torch.arange(grid * grid)
    rows = (n // grid).to(torch.float32)
    cols = (n % grid).to(torch.float32)
    orow = rows[:, None] * omega[None, :]
    oc = cols[:, None] * omega[None, :]
    emb = torch.cat([torch.sin(orow), torch.cos(orow), torch.sin(oc), torch.cos(oc)], dim=1)
    return torch.cat([torch.zeros(1, dim), emb], dim=0).unsqueeze(0)


def fixed_table(t):
    """Official code keeps the tables as nn.Parameter(requires_grad=False): same state_dict key, never trained."""
    return nn.Parameter(t, requires_grad=False)


# =====================================================================================================
# Shared pieces
# =====================================================================================================

def patchify(imgs, p):
    """[N, C, H, W] -> [N, L, p*p*C]; patch n = r*G + c, inside a patch index (i*p + j)*C + ch
    (channel-last, docs/mae.md#patchify; the official code hard-codes C = 3, this is the same layout for any C)."""
    n, c, h, w = imgs.shape
    g = h // p
    x = imgs.reshape(n, c, g, p, g, p)
    x = torch.einsum("nchpwq->nhwpqc", x)
    return x.reshape(n, g * g, p * p * c)


def norm_pix(target):
    """MAE norm-pix target: per patch vector, (x - mean) / sqrt(var_unbiased + 1e-6)."""
    mean = target.mean(dim=-1, keepdim=True)
    var = target.var(dim=-1, keepdim=True)              # torch default: unbiased (n - 1)
    return (target - mean) / (var + 1.0e-6) ** 0.5


class PatchEmbed(nn.Module):
    """timm PatchEmbed: stride-p conv with bias; output tokens in raster order. Key: patch_embed.proj.*"""

    def __init__(self, img_size, patch_size, in_chans, embed_dim):
        super().__init__()
        self.grid = img_size // patch_size
        self.num_patches = self.grid * self.grid
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):                                   # [N, C, H, W]
        return self.proj(x).flatten(2).transpose(1, 2)      # [N, L, D]


class Mlp(nn.Module):
    """fc1 -> exact (erf) GELU -> fc2. Keys: mlp.fc1.*, mlp.fc2.*"""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def split_heads(t, heads):                                  # [N, T, D] -> [N, h, T, D/h] (head-major split)
    n, tlen, d = t.shape
    return t.reshape(n, tlen, heads, d // heads).transpose(1, 2)


def attend(q, k, v, heads, bias=None):
    """softmax(q kᵀ · (D/h)^-0.5 [+ bias]) v over heads; the scale multiplies q first (as timm / BEiT do).
    bias: [h, Tq, Tk] added to the logits (BEiT's relative position bias), broadcast over the batch."""
    n, tq, d = q.shape
    qh, kh, vh = split_heads(q, heads), split_heads(k, heads), split_heads(v, heads)
    logits = (qh * (d // heads) ** -0.5) @ kh.transpose(-2, -1)                 # [N, h, Tq, Tk]
    if bias is not None:
        logits = logits + bias.unsqueeze(0)
    a = logits.softmax(dim=-1)
    return (a @ vh).transpose(1, 2).reshape(n, tq, d)                           # concat heads


# ---- timm 0.3.2 (MAE) block: qkv Linear with bias, no LayerScale ----------------------------------

class Attention(nn.Module):
    """Keys: attn.qkv.weight [3D, D], attn.qkv.bias [3D], attn.proj.*; qkv rows = [q | k | v]."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.proj(attend(q, k, v, self.heads))


class Block(nn.Module):
    """Pre-norm: x += attn(norm1 x); x += mlp(norm2 x)."""

    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


# ---- BEiT-style (CAE) block: qkv without bias + q_bias / v_bias (k bias fixed 0), LayerScale ---------

def relative_position_index(grid):
    """BEiT / CAE modeling_finetune.Attention's relative_position_index for a grid×grid window plus cls:
    [T, T], T = 1 + grid²; patch pairs index (Δrow + G−1)·(2G−1) + (Δcol + G−1); row 0 (cls → token) R−3,
    column 0 (token → cls) R−2, [0, 0] (cls → cls) R−1, with R = (2G−1)² + 3 table rows."""
    rows = (2 * grid - 1) ** 2 + 3
    coords = torch.stack(torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")).flatten(1)  # [2, L]
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)                  # [L, L, 2]
    rel[:, :, 0] += grid - 1
    rel[:, :, 1] += grid - 1
    rel[:, :, 0] *= 2 * grid - 1
    index = torch.zeros((grid * grid + 1,) * 2, dtype=torch.int64)
    index[1:, 1:] = rel.sum(-1)
    index[0, 0:] = rows - 3
    index[0:, 0] = rows - 2
    index[0, 0] = rows - 1
    return index


class BeitAttention(nn.Module):
    """Keys: attn.q_bias [D], attn.v_bias [D], attn.qkv.weight [3D, D] (no qkv.bias), attn.proj.*; with a window
    (fine-tuning's rel_pos_bias) also attn.relative_position_bias_table [(2G−1)²+3, h], zero-initialised."""

    def __init__(self, dim, heads, window=None):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.window = window
        if window:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2 + 3, heads))
            self.register_buffer("relative_position_index", relative_position_index(window), persistent=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        bias = torch.cat([self.q_bias, torch.zeros_like(self.v_bias), self.v_bias])   # k bias is zero
        q, k, v = F.linear(x, self.qkv.weight, bias).chunk(3, dim=-1)
        rel = None
        if self.window:
            t = self.relative_position_index.shape[0]
            rel = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(t, t, -1)
            rel = rel.permute(2, 0, 1).contiguous()                                    # [h, T, T]
        return self.proj(attend(q, k, v, self.heads, rel))


class BeitBlock(nn.Module):
    """x += gamma_1 ⊙ attn(norm1 x); x += gamma_2 ⊙ mlp(norm2 x)."""

    def __init__(self, dim, heads, mlp_ratio, init_values, window=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = BeitAttention(dim, heads, window)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.gamma_1 = nn.Parameter(init_values * torch.ones(dim))
        self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        x = x + self.gamma_1 * self.attn(self.norm1(x))
        return x + self.gamma_2 * self.mlp(self.norm2(x))


class CrossAttention(nn.Module):
    """CAE regressor attention. Keys: cross_attn.q_bias, cross_attn.v_bias, cross_attn.{q,k,v}.weight
    (three separate bias-free [D, D] Linears; k bias fixed 0), cross_attn.proj.*"""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, xq, xk, xv):
        q = F.linear(xq, self.q.weight, self.q_bias)
        k = F.linear(xk, self.k.weight)
        v = F.linear(xv, self.v.weight, self.v_bias)
        return self.proj(attend(q, k, v, self.heads))


class RegressorBlock(nn.Module):
    """docs/cae.md#regressor, exactly as modeling_cae_helper.RegressorBlock:
        x = x_q + gamma_1_cross ⊙ CA(norm1_q(x_q + pos_q), norm1_k(x_kv + pos_kv), norm1_v(x_kv))
        x = norm2_cross(x)                       <- post-norm of the residual stream
        x = x + gamma_2_cross ⊙ mlp_cross(x)"""

    def __init__(self, dim, heads, mlp_ratio, init_values):
        super().__init__()
        self.norm1_q = nn.LayerNorm(dim, eps=LN_EPS)
        self.norm1_k = nn.LayerNorm(dim, eps=LN_EPS)
        self.norm1_v = nn.LayerNorm(dim, eps=LN_EPS)
        self.norm2_cross = nn.LayerNorm(dim, eps=LN_EPS)
        self.cross_attn = CrossAttention(dim, heads)
        self.mlp_cross = Mlp(dim, int(dim * mlp_ratio))
        self.gamma_1_cross = nn.Parameter(init_values * torch.ones(dim))
        self.gamma_2_cross = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x_q, x_kv, pos_q, pos_kv):
        a = self.cross_attn(self.norm1_q(x_q + pos_q), self.norm1_k(x_kv + pos_kv), self.norm1_v(x_kv))
        x = x_q + self.gamma_1_cross * a
        x = self.norm2_cross(x)
        return x + self.gamma_2_cross * self.mlp_cross(x)


# =====================================================================================================
# Models (module registration order follows the official classes, so state_dict order matches too)
# =====================================================================================================

class VisionTransformer(nn.Module):
    """timm 0.3.2 VisionTransformer as used by mae/models_vit.py. Learnable pos_embed [1, 1+L, D].
    global_pool=False: norm -> token 0 -> head.  global_pool=True: mean(tokens 1..L) -> fc_norm -> head."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["embed_dim"]
        self.global_pool = cfg["global_pool"]
        self.patch_embed = PatchEmbed(cfg["img_size"], cfg["patch_size"], cfg["in_chans"], d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, d))
        self.blocks = nn.ModuleList(Block(d, cfg["num_heads"], cfg["mlp_ratio"]) for _ in range(cfg["depth"]))
        if not self.global_pool:
            self.norm = nn.LayerNorm(d, eps=LN_EPS)     # models_vit deletes `norm` when global_pool
        self.head = nn.Linear(d, cfg["num_classes"])
        if self.global_pool:
            self.fc_norm = nn.LayerNorm(d, eps=LN_EPS)

    def forward(self, imgs):
        x = self.patch_embed(imgs)                                                   # [N, L, D]
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)         # [N, 1+L, D]
        x = x + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        if self.global_pool:
            feat = self.fc_norm(x[:, 1:, :].mean(dim=1))                             # [N, D]
        else:
            feat = self.norm(x)[:, 0]                                                # [N, D]
        return self.head(feat)                                                       # [N, classes]


class BeitFinetuneViT(nn.Module):
    """The CAE fine-tuning classifier (Atten4Vis/CAE and lxtGH/CAE models/modeling_finetune.py with
    rel_pos_bias=True, use_mean_pooling): BEiT blocks with q/v biases, LayerScale and a per-block relative
    position bias, the fixed CAE sin-cos table, mean of the patch tokens -> fc_norm -> head."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["embed_dim"]
        self.patch_embed = PatchEmbed(cfg["img_size"], cfg["patch_size"], cfg["in_chans"], d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = fixed_table(cae_sincos_table(d, self.patch_embed.grid))
        self.blocks = nn.ModuleList(
            BeitBlock(d, cfg["num_heads"], cfg["mlp_ratio"], cfg["layer_scale_init_value"], self.patch_embed.grid)
            for _ in range(cfg["depth"]))
        self.fc_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.head = nn.Linear(d, cfg["num_classes"])

    def forward(self, imgs):
        x = self.patch_embed(imgs)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.fc_norm(x[:, 1:, :].mean(dim=1)))


class MaskedAutoencoderViT(nn.Module):
    """facebookresearch/mae models_mae.py, with the masking noise passed in (docs/mae.md#masking)."""

    def __init__(self, cfg):
        super().__init__()
        d, dd, p = cfg["embed_dim"], cfg["decoder_embed_dim"], cfg["patch_size"]
        self.p, self.norm_pix_loss = p, cfg["norm_pix_loss"]
        self.patch_embed = PatchEmbed(cfg["img_size"], p, cfg["in_chans"], d)
        g = self.patch_embed.grid
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = fixed_table(mae_sincos_table(d, g))
        self.blocks = nn.ModuleList(Block(d, cfg["num_heads"], cfg["mlp_ratio"]) for _ in range(cfg["depth"]))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.decoder_pos_embed = fixed_table(mae_sincos_table(dd, g))
        self.decoder_blocks = nn.ModuleList(
            Block(dd, cfg["decoder_num_heads"], cfg["mlp_ratio"]) for _ in range(cfg["decoder_depth"]))
        self.decoder_norm = nn.LayerNorm(dd, eps=LN_EPS)
        self.decoder_pred = nn.Linear(dd, p * p * cfg["in_chans"])

    @staticmethod
    def random_masking(x, mask_ratio, noise):
        n, length, d = x.shape
        len_keep = int(length * (1 - mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)            # ascending: small noise = keep
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        x_masked = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, d))   # shuffled order
        mask = torch.ones(n, length)
        mask[:, :len_keep] = 0                                # 0 keep, 1 remove
        mask = torch.gather(mask, 1, ids_restore)
        return x_masked, mask, ids_restore

    def forward_encoder(self, imgs, mask_ratio, noise):
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:, :]              # pos added BEFORE masking
        x, mask, ids_restore = self.random_masking(x, mask_ratio, noise)   # [N, keep, D]
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)                                     # [N, 1+keep, D]
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x), mask, ids_restore

    def forward_decoder(self, x, ids_restore):
        x = self.decoder_embed(x)                                          # [N, 1+keep, Dd]
        n, t, dd = x.shape
        mask_tokens = self.mask_token.repeat(n, ids_restore.shape[1] + 1 - t, 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)                  # [N, L, Dd], cls excluded
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, dd))  # un-shuffle
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed   # [N, 1+L, Dd]
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:, :]           # [N, L, p*p*C]

    def forward_loss(self, imgs, pred, mask):
        target = patchify(imgs, self.p)
        if self.norm_pix_loss:
            target = norm_pix(target)
        per_patch = ((pred - target) ** 2).mean(dim=-1)                    # [N, L]
        return (per_patch * mask).sum() / mask.sum()                       # mean over removed patches

    def forward(self, imgs, noise, mask_ratio):
        latent, mask, ids_restore = self.forward_encoder(imgs, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)
        return self.forward_loss(imgs, pred, mask), pred, mask, ids_restore, latent


class CaeEncoder(nn.Module):
    """modeling_cae_helper.VisionTransformerEncoder (docs/cae.md#encoder): visible patches only, raster order."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["embed_dim"]
        self.patch_embed = PatchEmbed(cfg["img_size"], cfg["patch_size"], cfg["in_chans"], d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = fixed_table(cae_sincos_table(d, self.patch_embed.grid))
        self.blocks = nn.ModuleList(
            BeitBlock(d, cfg["num_heads"], cfg["mlp_ratio"], cfg["layer_scale_init_value"])
            for _ in range(cfg["depth"]))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)

    def forward(self, imgs, keep):
        """keep: bool [N, L], True = patch goes into the encoder; every row has the same count."""
        x = self.patch_embed(imgs)                                         # [N, L, D]
        n, _, d = x.shape
        x = x[keep].reshape(n, -1, d)                                      # [N, Nk, D], raster order
        pos = self.pos_embed.expand(n, -1, -1)
        pos_k = pos[:, 1:][keep].reshape(n, -1, d)
        x = torch.cat([self.cls_token.expand(n, -1, -1), x], dim=1)        # cls first
        x = x + torch.cat([pos[:, :1], pos_k], dim=1)                      # cls gets the zero row
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)                                                # [N, 1+Nk, D]


class LatentRegresser(nn.Module):
    """modeling_cae_helper.LatentRegresser (the official spelling 'regresser' is kept in the key names)."""

    def __init__(self, cfg):
        super().__init__()
        dd = cfg["decoder_embed_dim"]
        self.regressor_blocks = nn.ModuleList(
            RegressorBlock(dd, cfg["decoder_num_heads"], cfg["mlp_ratio"], cfg["decoder_layer_scale_init_value"])
            for _ in range(cfg["regressor_depth"]))
        self.norm = nn.LayerNorm(dd, eps=LN_EPS)

    def forward(self, x_masked, x_unmasked, pos_masked, pos_unmasked):
        pos_kv = torch.cat([pos_unmasked, pos_masked], dim=1)             # [pos_v ; pos_m]
        for blk in self.regressor_blocks:
            # keys/values = [Zv ; CURRENT queries]; Zv itself is never updated
            x_masked = blk(x_masked, torch.cat([x_unmasked, x_masked], dim=1), pos_masked, pos_kv)
        return self.norm(x_masked)


class CaeDecoder(nn.Module):
    """modeling_cae_helper.Decoder with decoder_depth > 0: self-attention over the masked tokens only."""

    def __init__(self, cfg):
        super().__init__()
        dd = cfg["decoder_embed_dim"]
        self.decoder_blocks = nn.ModuleList(
            BeitBlock(dd, cfg["decoder_num_heads"], cfg["mlp_ratio"], cfg["decoder_layer_scale_init_value"])
            for _ in range(cfg["decoder_depth"]))
        self.norm = nn.LayerNorm(dd, eps=LN_EPS)
        self.head = nn.Linear(dd, cfg["decoder_num_classes"])

    def forward(self, x_masked, pos_masked):
        x = x_masked + pos_masked
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.head(self.norm(x))                                    # [N, M, K]


class ContextAutoencoderViT(nn.Module):
    """modeling_cae.ContextAutoencoderViT for decoder_embed_dim == embed_dim (no encoder_to_regresser).
    The alignment encoder ("teacher") is the SAME encoder module run under no_grad on the complementary mask
    (Atten4Vis shares the storage; the official state_dict also holds a copy under alignment_encoder.*)."""

    def __init__(self, cfg):
        super().__init__()
        assert cfg["decoder_embed_dim"] == cfg["embed_dim"], "encoder_to_regresser not modelled"
        self.encoder = CaeEncoder(cfg)
        self.rd_pos_embed = fixed_table(cae_sincos_table(cfg["decoder_embed_dim"], self.encoder.patch_embed.grid))
        self.regresser = LatentRegresser(cfg)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg["decoder_embed_dim"]))
        self.decoder = CaeDecoder(cfg)

    def forward(self, imgs, masked):
        """masked: bool [N, L], True = masked (predicted). Returns dict of tensors."""
        n = imgs.shape[0]
        latent = self.encoder(imgs, ~masked)                               # [N, 1+Nv, D]
        with torch.no_grad():                                              # alignment target (teacher)
            target = self.encoder(imgs, masked)[:, 1:, :]                  # [N, M, D], cls dropped
        zv = latent[:, 1:, :]                                              # [N, Nv, D]
        dd = zv.shape[-1]
        pos = self.rd_pos_embed.expand(n, -1, -1)[:, 1:]
        pos_m = pos[masked].reshape(n, -1, dd)                             # raster order
        pos_v = pos[~masked].reshape(n, -1, dd)
        queries = self.mask_token.expand(n, pos_m.shape[1], -1)            # [N, M, Dd]
        zm_hat = self.regresser(queries, zv, pos_m, pos_v)                 # [N, M, Dd]
        pred = self.decoder(zm_hat, pos_m)                                 # [N, M, K]
        return dict(latent=latent, align_target=target, zm_hat=zm_hat, pred=pred)


# =====================================================================================================
# Init: weights are stored, so init only needs a sensible scale and non-trivial values everywhere
# =====================================================================================================

def init_weights(model):
    """xavier_uniform for Linear weights (official MAE/CAE), xavier on the [D, C*p*p] view for the patch
    conv with PyTorch's default bias, normal(0, 0.02) for cls/mask tokens and learnable pos_embed,
    and (deliberately non-official) non-zero biases, LN weights 1 + 0.1·randn, LN biases 0.1·randn,
    q_bias / v_bias 0.05·randn and LayerScale 0.1·(1 + 0.1·randn) so that every path has an effect."""
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.05)
        elif isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight.data.view(m.weight.shape[0], -1))
            bound = 1.0 / math.sqrt(m.weight[0].numel())
            nn.init.uniform_(m.bias, -bound, bound)
        elif isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.copy_(1.0 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        leaf = name.rsplit(".", 1)[-1]
        with torch.no_grad():
            if leaf in ("cls_token", "mask_token", "pos_embed"):
                nn.init.normal_(p, std=0.02)
            elif leaf in ("q_bias", "v_bias"):
                nn.init.normal_(p, std=0.05)
            elif leaf.startswith("gamma_"):
                p.copy_(0.1 * (1.0 + 0.1 * torch.randn_like(p)))


def param_groups(model):
    """timm 0.3.2 / CAE optim_factory rule (docs/mae.md#pretraining-recipe): no decay for ndim == 1 or names ending '.bias'."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim == 1 or name.endswith(".bias") else decay).append((name, p))
    return decay, no_decay


# =====================================================================================================
# Case runner: forward + backward, 5 AdamW steps, write + verify the file
# =====================================================================================================

def train_and_record(model, inputs, step_fn, final_names):
    """One forward/backward per step for NUM_STEPS AdamW steps. Records inputs, params (before any update),
    outputs and grads of step 0, the loss before each update and a few parameters after the last update.
    step_fn(model) -> (loss, dict of outputs)."""
    decay, no_decay = param_groups(model)
    opt = torch.optim.AdamW([
        {"params": [p for _, p in decay], "weight_decay": ADAMW["weight_decay"]},
        {"params": [p for _, p in no_decay], "weight_decay": 0.0},
    ], lr=ADAMW["lr"], betas=ADAMW["betas"], eps=ADAMW["eps"], weight_decay=ADAMW["weight_decay"])

    tensors = {}
    for name, p in model.named_parameters():
        tensors[("param." if p.requires_grad else "buffer.") + name] = p.detach().clone()
    for k, v in inputs.items():
        tensors["input." + k] = v.detach().clone()

    losses = []
    for step in range(NUM_STEPS):
        opt.zero_grad(set_to_none=True)
        loss, outs = step_fn(model)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            for k, v in outs.items():
                v = v.detach().clone()
                tensors["out." + k] = v.reshape(1) if v.ndim == 0 else v
            for name, p in model.named_parameters():
                if p.requires_grad:
                    assert p.grad is not None, f"no gradient for {name}"
                    tensors["grad." + name] = p.grad.detach().clone()
        opt.step()
    tensors["steps.losses"] = torch.tensor(losses, dtype=torch.float32)
    params = dict(model.named_parameters())
    for name in final_names:
        tensors["steps.final." + name] = params[name].detach().clone()
    return tensors, decay, no_decay


def zero_grad_names(tensors):
    """Parameters whose gradient is analytically zero; what PyTorch stores for them is rounding noise.
    Found numerically (max|g| < 1e-6 · the largest |g| in the case) and explained in the README
    (regressor norm1_k.bias: a common shift of every key cancels in the softmax)."""
    grads = {k[len("grad."):]: v.abs().max().item() for k, v in tensors.items() if k.startswith("grad.")}
    top = max(grads.values())
    return sorted(n for n, g in grads.items() if g < 1e-6 * top)


def run_case(case, spec):
    cfg, model, inputs, step_fn, final_names = spec
    tensors, decay, no_decay = train_and_record(model, inputs, step_fn, final_names)
    full_cfg = dict(cfg)
    full_cfg["ln_eps"] = LN_EPS
    full_cfg["optimizer"] = {
        "type": "AdamW (torch 1.13, decoupled decay)", "lr": ADAMW["lr"], "betas": list(ADAMW["betas"]),
        "eps": ADAMW["eps"], "weight_decay": ADAMW["weight_decay"], "steps": NUM_STEPS,
        "no_weight_decay": sorted(n for n, _ in no_decay), "weight_decay_params": sorted(n for n, _ in decay)}
    full_cfg["zero_grad_params"] = zero_grad_names(tensors)
    meta = {"format": FORMAT, "case": case, "config": json.dumps(full_cfg, sort_keys=True)}
    path = os.path.join(OUT_DIR, case + ".safetensors")
    write_safetensors(path, tensors, meta)
    verify_file(path, expected=tensors)
    return path


def f64_drift(case, spec):
    """Re-runs a case in float64 from the same seed and compares with the stored float32 file: the gap
    between two correct implementations that differ only in rounding. Prints the worst relative error
    (max|a-e| / max|e| per tensor) per kind; this is the margin behind the tolerances in the README."""
    cfg, model, inputs, step_fn, final_names = spec
    tensors, _, _ = train_and_record(model, inputs, step_fn, final_names)
    stored, meta = read_safetensors(os.path.join(OUT_DIR, case + ".safetensors"))
    skip = set(json.loads(meta["config"])["zero_grad_params"])
    worst = {}
    for k, e in stored.items():
        kind = k.split(".")[0] if not k.startswith("steps.") else ".".join(k.split(".")[:2])
        if kind in ("param", "buffer", "input") or e.dtype != torch.float32 or k[len("grad."):] in skip:
            continue
        a = tensors[k].double()
        e = e.double()
        if kind == "steps.losses":
            r = ((a - e).abs() / e.abs()).max().item()
        else:
            r = ((a - e).abs().max() / e.abs().max()).item()
        if r > worst.get(kind, (0.0, ""))[0]:
            worst[kind] = (r, k)
    print(f"{case:16s} " + "  ".join(f"{kind} {r:.1e} ({k})" for kind, (r, k) in sorted(worst.items())))


def verify_file(path, expected=None):
    """Read back; check format, bit-exact round trip and the structural invariants of the case."""
    t, meta = read_safetensors(path)
    assert meta["format"] == FORMAT, f"{path}: format {meta.get('format')}"
    cfg = json.loads(meta["config"])
    if expected is not None:
        assert set(t) == set(expected), f"{path}: key set differs after read-back"
        for k, v in expected.items():
            assert t[k].dtype == v.dtype and t[k].shape == v.shape and torch.equal(t[k], v), f"{path}: {k} differs"
    params = [k[len("param."):] for k in t if k.startswith("param.")]
    for n in params:
        assert "grad." + n in t and t["grad." + n].shape == t["param." + n].shape, f"{path}: grad.{n}"
    assert sorted(cfg["optimizer"]["no_weight_decay"] + cfg["optimizer"]["weight_decay_params"]) == sorted(params)
    assert t["steps.losses"].shape == (NUM_STEPS,) and t["steps.losses"][0] == t["out.loss"][0]
    assert all(math.isfinite(x) for x in t["steps.losses"].tolist())
    if cfg["model"] == "mae":               # masking invariants (docs/mae.md#checks)
        n_batch, length = t["input.noise"].shape
        ids_shuffle = torch.argsort(t["input.noise"], dim=1)
        for row in t["input.noise"]:                      # no ties, so any correct argsort agrees
            assert row.unique().numel() == row.numel(), "tied noise values"
        assert torch.equal(torch.gather(t["out.ids_restore"], 1, ids_shuffle),
                           torch.arange(length).expand(n_batch, -1)), "ids_restore is not argsort(ids_shuffle)"
        assert torch.all(t["out.mask"].sum(dim=1) == length - cfg["len_keep"])
        assert t["out.latent"].shape[1] == 1 + cfg["len_keep"]
    if cfg["model"] == "cae":
        assert torch.all(t["input.mask"].sum(dim=1) == cfg["num_masked"])
        assert torch.isclose(t["out.loss"], t["out.loss_main"] + cfg["align_loss_weight"] * t["out.loss_align"])
    return t, meta


# =====================================================================================================
# Cases
# =====================================================================================================

# Each case function builds (cfg, model, inputs, step_fn, final_names) from a fixed seed. Weights and
# inputs are drawn in float32; `dtype` only casts them afterwards (float64 is used by --f64-drift).

def vit_case(seed, global_pool, dtype=torch.float32):
    torch.manual_seed(seed)
    cfg = dict(model="vit", img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2, num_heads=2,
               mlp_ratio=4.0, qkv_bias=True, num_classes=10, global_pool=global_pool, batch=3,
               label_smoothing=0.1, pos_embed="learnable", seed=seed)
    model = VisionTransformer(cfg)
    init_weights(model)
    return classifier_case(cfg, model, ["patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "head.weight"], dtype)


def classifier_case(cfg, model, final_names, dtype):
    """A batch of 3 random 28×28 images with labels (drawn now, after the model's init) and the label-smoothed
    cross-entropy step of a classifier case."""
    images = torch.randn(3, 1, 28, 28)
    labels = torch.randint(0, 10, (3,), dtype=torch.int64)
    model, images = model.to(dtype), images.to(dtype)

    def step(m):
        logits = m(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=cfg["label_smoothing"])
        return loss, {"logits": logits, "loss": loss}

    return cfg, model, {"images": images, "labels": labels}, step, final_names


def vit_relpos_case(seed, dtype=torch.float32):
    """CAE fine-tuning's classifier with BEiT's relative position bias in both blocks. The zero-initialised
    tables get 0.1·randn here so that the bias changes the logits (the gradient check needs no such help)."""
    torch.manual_seed(seed)
    cfg = dict(model="vit_relpos", img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2, num_heads=2,
               mlp_ratio=4.0, layer_scale_init_value=0.1, num_classes=10, global_pool=True, batch=3,
               label_smoothing=0.1, pos_embed="fixed cae sin-cos", rel_pos_bias=True, seed=seed)
    model = BeitFinetuneViT(cfg)
    init_weights(model)
    with torch.no_grad():
        for blk in model.blocks:
            blk.attn.relative_position_bias_table.copy_(0.1 * torch.randn_like(blk.attn.relative_position_bias_table))
    return classifier_case(cfg, model, ["blocks.0.attn.relative_position_bias_table", "blocks.1.attn.qkv.weight",
                                        "head.weight"], dtype)


def mae_case(seed, img, patch, chans, dim, heads, dec_dim, dec_heads, norm_pix, dtype=torch.float32):
    torch.manual_seed(seed)
    num_patches = (img // patch) ** 2
    cfg = dict(model="mae", img_size=img, patch_size=patch, in_chans=chans, embed_dim=dim, depth=2,
               num_heads=heads, decoder_embed_dim=dec_dim, decoder_depth=1, decoder_num_heads=dec_heads,
               mlp_ratio=4.0, qkv_bias=True, norm_pix_loss=norm_pix, mask_ratio=0.75, batch=2,
               num_patches=num_patches, len_keep=int(num_patches * (1 - 0.75)),
               pos_embed="fixed sincos, MAE order", seed=seed)
    model = MaskedAutoencoderViT(cfg)
    init_weights(model)
    images = torch.randn(2, chans, img, img)
    noise = torch.rand(2, num_patches)
    model, images = model.to(dtype), images.to(dtype)

    def step(m):
        loss, pred, mask, ids_restore, latent = m(images, noise, cfg["mask_ratio"])
        return loss, {"loss": loss, "pred": pred, "mask": mask, "ids_restore": ids_restore, "latent": latent}

    return cfg, model, {"images": images, "noise": noise}, step, \
        ["patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "decoder_pred.weight"]


def cae_case(seed, target, dtype=torch.float32):
    torch.manual_seed(seed)
    num_patches, num_masked, k = 49, 24, 16
    cfg = dict(model="cae", target=target, img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2,
               num_heads=2, mlp_ratio=4.0, qkv_bias=True, layer_scale_init_value=0.1,
               decoder_embed_dim=32, regressor_depth=2, decoder_depth=1, decoder_num_heads=2,
               decoder_layer_scale_init_value=0.1, decoder_num_classes=k if target == "tokens" else 16,
               drop_path_rate=0.0, num_masked=num_masked, align_loss_weight=2.0, batch=2,
               pos_embed="fixed sincos, CAE order", seed=seed)
    model = ContextAutoencoderViT(cfg)
    init_weights(model)
    images = torch.randn(2, 1, 28, 28)
    mask = torch.zeros(2, num_patches)
    for i in range(2):                                     # simple seeded choice, exactly M per sample
        mask[i, torch.randperm(num_patches)[:num_masked]] = 1.0
    masked = mask.bool()
    inputs = {"images": images, "mask": mask}
    if target == "tokens":
        tokens = torch.randint(0, k, (2, num_patches), dtype=torch.int64)
        inputs["tokens"] = tokens
    model, images = model.to(dtype), images.to(dtype)
    inputs["images"] = images

    def step(m):
        o = m(images, masked)
        if target == "pixels":
            tgt = norm_pix(patchify(images, cfg["patch_size"]))[masked].reshape(2, num_masked, -1)
            loss_main = F.mse_loss(o["pred"], tgt)                         # mean over all masked elements
        else:
            labels = tokens[masked]                                        # [N*M], raster order per sample
            loss_main = F.cross_entropy(o["pred"].reshape(-1, k), labels)  # mean over masked tokens
        loss_align = F.mse_loss(o["zm_hat"], o["align_target"])            # target already detached
        loss = loss_main + cfg["align_loss_weight"] * loss_align
        outs = dict(loss=loss, loss_main=loss_main, loss_align=loss_align, zm_hat=o["zm_hat"], pred=o["pred"],
                    latent=o["latent"], align_target=o["align_target"])
        return loss, outs

    return cfg, model, inputs, step, \
        ["encoder.patch_embed.proj.weight", "encoder.blocks.0.attn.qkv.weight",
         "regresser.regressor_blocks.0.cross_attn.q.weight", "decoder.head.weight"]


CASES = {  # name -> builder(dtype)
    "vit_cls": lambda dt: vit_case(1, global_pool=False, dtype=dt),
    "vit_avg": lambda dt: vit_case(2, global_pool=True, dtype=dt),
    "vit_relpos": lambda dt: vit_relpos_case(3, dtype=dt),
    "mae_p4_pix": lambda dt: mae_case(11, 28, 4, 1, 32, 2, 16, 2, norm_pix=False, dtype=dt),
    "mae_p4_normpix": lambda dt: mae_case(12, 28, 4, 1, 32, 2, 16, 2, norm_pix=True, dtype=dt),
    "mae_p16_normpix": lambda dt: mae_case(13, 48, 16, 3, 48, 3, 32, 2, norm_pix=True, dtype=dt),
    "cae_pixels": lambda dt: cae_case(21, "pixels", dtype=dt),
    "cae_tokens": lambda dt: cae_case(22, "tokens", dtype=dt),
}


# =====================================================================================================
# Self-checks of the position tables against docs/vit.md#position-embedding values
# =====================================================================================================

def check_tables():
    mae, cae = mae_sincos_table(768, 14)[0], cae_sincos_table(768, 14)[0]
    assert torch.all(mae[0] == 0) and torch.all(cae[0] == 0)                     # cls row
    p00 = mae[1]
    assert torch.all(p00[0:192] == 0) and torch.all(p00[192:384] == 1)
    assert torch.all(p00[384:576] == 0) and torch.all(p00[576:768] == 1)
    r1c0 = mae[1 + 14]                                                           # patch (r=1, c=0)
    assert abs(r1c0[384] - 0.841471) < 1e-6 and abs(r1c0[576] - 0.540302) < 1e-6
    swapped = torch.cat([mae[:, 384:], mae[:, :384]], dim=1)                     # CAE = MAE halves swapped
    assert (swapped - cae).abs().max() < 1e-5


def print_tables():
    """Markdown parameter tables (official state_dict order) for the README."""
    builders = {
        "vit_cls": lambda: VisionTransformer(dict(img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2,
                                                  num_heads=2, mlp_ratio=4.0, num_classes=10, global_pool=False)),
        "vit_avg": lambda: VisionTransformer(dict(img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2,
                                                  num_heads=2, mlp_ratio=4.0, num_classes=10, global_pool=True)),
        "mae_p4_*": lambda: MaskedAutoencoderViT(dict(img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2,
                                                      num_heads=2, decoder_embed_dim=16, decoder_depth=1,
                                                      decoder_num_heads=2, mlp_ratio=4.0, norm_pix_loss=False)),
        "mae_p16_normpix": lambda: MaskedAutoencoderViT(dict(img_size=48, patch_size=16, in_chans=3, embed_dim=48,
                                                             depth=2, num_heads=3, decoder_embed_dim=32,
                                                             decoder_depth=1, decoder_num_heads=2, mlp_ratio=4.0,
                                                             norm_pix_loss=True)),
        "cae_*": lambda: ContextAutoencoderViT(dict(img_size=28, patch_size=4, in_chans=1, embed_dim=32, depth=2,
                                                    num_heads=2, mlp_ratio=4.0, layer_scale_init_value=0.1,
                                                    decoder_embed_dim=32, regressor_depth=2, decoder_depth=1,
                                                    decoder_num_heads=2, decoder_layer_scale_init_value=0.1,
                                                    decoder_num_classes=16)),
    }
    for case, build in builders.items():
        m = build()
        trainable = {n for n, p in m.named_parameters() if p.requires_grad}
        total = sum(p.numel() for n, p in m.named_parameters() if p.requires_grad)
        print(f"\n#### `{case}` ({total:,} trainable values)\n")
        print("| # | state_dict key | shape | kind |")
        print("|---|---|---|---|")
        for i, (n, v) in enumerate(m.state_dict().items()):
            if n in trainable:
                kind = "param, no decay" if v.ndim == 1 or n.endswith(".bias") else "param, decay"
            else:
                kind = "**buffer** (fixed)"
            print(f"| {i} | `{n}` | {list(v.shape)} | {kind} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only verify the existing files")
    ap.add_argument("--tables", action="store_true", help="print README parameter tables and exit")
    ap.add_argument("--f64-drift", action="store_true",
                    help="re-run the cases in float64 and print the gap to the stored float32 files")
    ap.add_argument("cases", nargs="*", help=f"subset of {list(CASES)} (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.tables:
        print_tables()
        return
    check_tables()
    names = args.cases or list(CASES)
    if args.f64_drift:
        for name in names:
            f64_drift(name, CASES[name](torch.float64))
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name in names:
        path = os.path.join(OUT_DIR, name + ".safetensors")
        if not args.check:
            run_case(name, CASES[name](torch.float32))
        t, meta = verify_file(path)
        size = os.path.getsize(path)
        total += size
        losses = ", ".join(f"{x:.6f}" for x in t["steps.losses"].tolist())
        print(f"{name:16s} {size:9,d} bytes  {len(t):3d} tensors  losses [{losses}]")
    print(f"{'total':16s} {total:9,d} bytes")
    if total > 6 * 1024 * 1024:
        sys.exit("golden files exceed the 6 MB budget")


if __name__ == "__main__":
    main()
