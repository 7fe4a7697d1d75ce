#!/usr/bin/env python3
"""DALL-E tokenizer goldens: the dVAE encoder of openai/DALL-E (dall_e/encoder.py, dall_e/utils.py) with random
weights, and PIL's Lanczos resize that makes its 112x112 input view (CAE's / BEiT's second view).

Writes (described in tests/golden/README.md, "DALL-E tokenizer"):
  tests/src/test/resources/golden/dalle_encoder.safetensors   weights (param.<official key>), mapped input pixels,
      the logits and token ids PyTorch computes, and in the metadata the key -> shape table of the full-size
      released architecture (n_hid 256, 2 blocks per group, 3 channels, 8192 ids) and its parameter count;
  tests/src/test/resources/golden/dalle_encoder.pkl           torch.save of the whole small Encoder module, pickled
      under the official class names dall_e.encoder.Encoder / EncoderBlock and dall_e.utils.Conv2d, as the released
      encoder.pkl is;
  train/src/test/resources/lanczos/pil_lanczos.safetensors    random RGB uint8 images and PIL's Image.resize(...,
      Image.LANCZOS) of them at several sizes (down, up, mixed, and the
      exact 2x downscale of CAE's 224 -> 112 at 96 -> 48). Values are the uint8 samples stored as F32.

The dall_e package is not installed here, so its three classes are written below from the official source, with the
same attrs fields (so the pickle's __dict__ matches) and the same module names (registered in sys.modules). The only
change: the attrs validators that forbid n_hid < 64 and vocab_size < 512 are relaxed so the golden stays small.

    /usr/bin/python3 tests/golden/make_dalle.py
"""

import math
import os
import sys
import types
from collections import OrderedDict
from functools import partial

import attr
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_golden as G  # noqa: E402  (the safetensors writer and reader)

GOLDEN_DIR = os.path.normpath(os.path.join(HERE, "..", "src", "test", "resources", "golden"))
LANCZOS_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "train", "src", "test", "resources", "lanczos"))

# ------------------------------------------------------------------------------------------------ dall_e/utils.py

logit_laplace_eps = 0.1


def map_pixels(x):
    return (1 - 2 * logit_laplace_eps) * x + logit_laplace_eps


@attr.s(eq=False)
class Conv2d(nn.Module):
    n_in = attr.ib(validator=lambda i, a, x: x >= 1)
    n_out = attr.ib(validator=lambda i, a, x: x >= 1)
    kw = attr.ib(validator=lambda i, a, x: x >= 1 and x % 2 == 1)
    use_float16 = attr.ib(default=True)
    device = attr.ib(default=torch.device('cpu'))
    requires_grad = attr.ib(default=False)

    def __attrs_post_init__(self):
        super().__init__()
        w = torch.empty((self.n_out, self.n_in, self.kw, self.kw), dtype=torch.float32, device=self.device,
                        requires_grad=self.requires_grad)
        w.normal_(std=1 / math.sqrt(self.n_in * self.kw ** 2))
        b = torch.zeros((self.n_out,), dtype=torch.float32, device=self.device, requires_grad=self.requires_grad)
        self.w, self.b = nn.Parameter(w), nn.Parameter(b)

    def forward(self, x):
        if x.dtype != torch.float32:
            x = x.float()
        return F.conv2d(x, self.w, self.b, padding=(self.kw - 1) // 2)


# ---------------------------------------------------------------------------------------------- dall_e/encoder.py

@attr.s(eq=False, repr=False)
class EncoderBlock(nn.Module):
    n_in = attr.ib(validator=lambda i, a, x: x >= 1)
    n_out = attr.ib(validator=lambda i, a, x: x >= 1 and x % 4 == 0)
    n_layers = attr.ib(validator=lambda i, a, x: x >= 1)
    device = attr.ib(default=None)
    requires_grad = attr.ib(default=False)

    def __attrs_post_init__(self):
        super().__init__()
        self.n_hid = self.n_out // 4
        self.post_gain = 1 / (self.n_layers ** 2)
        make_conv = partial(Conv2d, device=self.device, requires_grad=self.requires_grad)
        self.id_path = make_conv(self.n_in, self.n_out, 1) if self.n_in != self.n_out else nn.Identity()
        self.res_path = nn.Sequential(OrderedDict([
            ('relu_1', nn.ReLU()),
            ('conv_1', make_conv(self.n_in, self.n_hid, 3)),
            ('relu_2', nn.ReLU()),
            ('conv_2', make_conv(self.n_hid, self.n_hid, 3)),
            ('relu_3', nn.ReLU()),
            ('conv_3', make_conv(self.n_hid, self.n_hid, 3)),
            ('relu_4', nn.ReLU()),
            ('conv_4', make_conv(self.n_hid, self.n_out, 1)), ]))

    def forward(self, x):
        return self.id_path(x) + self.post_gain * self.res_path(x)


@attr.s(eq=False, repr=False)
class Encoder(nn.Module):
    group_count = 4
    n_hid = attr.ib(default=256, validator=lambda i, a, x: x >= 4)            # official: x >= 64
    n_blk_per_group = attr.ib(default=2, validator=lambda i, a, x: x >= 1)
    input_channels = attr.ib(default=3, validator=lambda i, a, x: x >= 1)
    vocab_size = attr.ib(default=8192, validator=lambda i, a, x: x >= 2)    # official: x >= 512
    device = attr.ib(default=torch.device('cpu'))
    requires_grad = attr.ib(default=False)
    use_mixed_precision = attr.ib(default=True)

    def __attrs_post_init__(self):
        super().__init__()
        blk_range = range(self.n_blk_per_group)
        n_layers = self.group_count * self.n_blk_per_group
        make_conv = partial(Conv2d, device=self.device, requires_grad=self.requires_grad)
        make_blk = partial(EncoderBlock, n_layers=n_layers, device=self.device, requires_grad=self.requires_grad)
        h = self.n_hid
        self.blocks = nn.Sequential(OrderedDict([
            ('input', make_conv(self.input_channels, 1 * h, 7)),
            ('group_1', nn.Sequential(OrderedDict([
                *[(f'block_{i + 1}', make_blk(1 * h, 1 * h)) for i in blk_range],
                ('pool', nn.MaxPool2d(kernel_size=2)), ]))),
            ('group_2', nn.Sequential(OrderedDict([
                *[(f'block_{i + 1}', make_blk(1 * h if i == 0 else 2 * h, 2 * h)) for i in blk_range],
                ('pool', nn.MaxPool2d(kernel_size=2)), ]))),
            ('group_3', nn.Sequential(OrderedDict([
                *[(f'block_{i + 1}', make_blk(2 * h if i == 0 else 4 * h, 4 * h)) for i in blk_range],
                ('pool', nn.MaxPool2d(kernel_size=2)), ]))),
            ('group_4', nn.Sequential(OrderedDict([
                *[(f'block_{i + 1}', make_blk(4 * h if i == 0 else 8 * h, 8 * h)) for i in blk_range], ]))),
            ('output', nn.Sequential(OrderedDict([
                ('relu', nn.ReLU()),
                ('conv', make_conv(8 * h, self.vocab_size, 1, use_float16=False)), ]))), ]))

    def forward(self, x):
        if len(x.shape) != 4:
            raise ValueError(f'input shape {x.shape} is not 4d')
        if x.shape[1] != self.input_channels:
            raise ValueError(f'input has {x.shape[1]} channels but model built for {self.input_channels}')
        if x.dtype != torch.float32:
            raise ValueError('input must have dtype torch.float32')
        return self.blocks(x)


def register_official_names():
    """Pickle records classes by module and qualified name: give these the released file's."""
    pkg, enc, utl = types.ModuleType("dall_e"), types.ModuleType("dall_e.encoder"), types.ModuleType("dall_e.utils")
    for cls, mod in ((Conv2d, utl), (EncoderBlock, enc), (Encoder, enc)):
        cls.__module__ = mod.__name__
        setattr(mod, cls.__name__, cls)
    pkg.encoder, pkg.utils = enc, utl
    sys.modules.update({"dall_e": pkg, "dall_e.encoder": enc, "dall_e.utils": utl})


# ------------------------------------------------------------------------------------------------------ cases

SMALL = dict(n_hid=8, n_blk_per_group=2, input_channels=3, vocab_size=64)
IMG, BATCH = 32, 2


def encoder_case():
    torch.manual_seed(17)
    enc = Encoder(**SMALL)
    with torch.no_grad():                                   # non-zero biases, so that their loading is tested
        for name, p in enc.named_parameters():
            if name.endswith(".b"):
                p.copy_(torch.randn_like(p) * 0.1)
    enc.eval()
    x = map_pixels(torch.rand(BATCH, 3, IMG, IMG))
    with torch.no_grad():
        logits = enc(x)
    top2 = logits.topk(2, dim=1).values
    gap = (top2[:, 0] - top2[:, 1]).min().item()
    assert gap > 1e-3, f"a cell's two best logits are {gap} apart: argmax would be fragile"
    tokens = logits.argmax(dim=1).flatten(1)                # [N, g*g], raster order (BEiT's get_codebook_indices)

    full = Encoder()                                        # the released architecture, random weights, shapes only
    table = ";".join(f"{k}={'x'.join(map(str, v.shape))}" for k, v in full.state_dict().items())
    count = sum(p.numel() for p in full.parameters())

    tensors = {"param." + k: v for k, v in enc.state_dict().items()}
    tensors.update({"in.x": x, "out.logits": logits, "out.tokens": tokens.to(torch.int64)})
    meta = {"format": "tessera-dalle-golden-1", "n_hid": str(SMALL["n_hid"]), "n_blk_per_group": str(SMALL["n_blk_per_group"]),
            "input_channels": "3", "vocab_size": str(SMALL["vocab_size"]), "min_top2_gap": f"{gap:.6g}",
            "full_shapes": table, "full_parameters": str(count)}
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    G.write_safetensors(os.path.join(GOLDEN_DIR, "dalle_encoder.safetensors"), tensors, meta)
    torch.save(enc, os.path.join(GOLDEN_DIR, "dalle_encoder.pkl"))
    back = torch.load(os.path.join(GOLDEN_DIR, "dalle_encoder.pkl"))
    with torch.no_grad():
        assert torch.equal(back(x), logits), "the pickled module does not reproduce the logits"
    print(f"dalle_encoder: {len(tensors) - 3} weights, logits {list(logits.shape)}, min top-2 gap {gap:.4g};"
          f" full size {count:,} parameters")


LANCZOS_CASES = [((37, 29), (16, 12)), ((20, 16), (45, 33)), ((40, 12), (17, 30)), ((96, 96), (48, 48))]


def lanczos_case():
    rng = np.random.default_rng(5)
    tensors = {}
    for i, ((w, h), (ow, oh)) in enumerate(LANCZOS_CASES):
        src = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        if i == 3:                                          # a smooth picture too: ringing shows at edges
            yy, xx = np.mgrid[0:h, 0:w]
            src[..., 0] = (128 + 100 * np.sin(xx / 9.0) * np.cos(yy / 13.0)).astype(np.uint8)
        out = np.asarray(Image.fromarray(src, "RGB").resize((ow, oh), Image.LANCZOS))
        tensors[f"case{i}.in"] = torch.from_numpy(src.astype(np.float32))
        tensors[f"case{i}.out"] = torch.from_numpy(out.astype(np.float32))
    os.makedirs(LANCZOS_DIR, exist_ok=True)
    import PIL
    G.write_safetensors(os.path.join(LANCZOS_DIR, "pil_lanczos.safetensors"), tensors,
                        {"format": "tessera-lanczos-golden-1", "pil": PIL.__version__, "layout": "HWC uint8 values as F32"})
    print(f"lanczos: {len(LANCZOS_CASES)} cases (PIL {PIL.__version__})")


if __name__ == "__main__":
    register_official_names()
    encoder_case()
    lanczos_case()
