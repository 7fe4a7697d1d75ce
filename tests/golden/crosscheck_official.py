#!/usr/bin/env python3
"""One-off cross-check of the golden generator against the official code.

make_golden.py re-implements MAE (facebookresearch/mae models_mae.py on timm 0.3.2's Block and PatchEmbed) and the
ViT classifier (models_vit.py on timm 0.3.2's VisionTransformer). If it misread the official code, the Java
models, written from the same reading, would inherit the mistake and the golden tests would still pass. This script
loads the committed golden files into the *official* modules and compares outputs, loss, every parameter gradient
and five AdamW steps. Nothing of the official code is copied into the repository; it is read from a checkout the
caller provides.

Usage (see tests/golden/README.md, "Cross-check against the official code"):
    /usr/bin/python3 tests/golden/crosscheck_official.py --mae DIR_MAE --timm DIR_TIMM [--out FILE]
        [--mae-commit C --timm-commit C]
      DIR_MAE   a checkout of facebookresearch/mae (read at efb2a80)
      DIR_TIMM  a checkout of huggingface/pytorch-image-models at timm 0.3.2 (commit 6504a428); DIR_TIMM/timm exists
The report (max differences per quantity) goes to stdout and, with --out, to FILE.
"""

import argparse
import collections.abc
import contextlib
import functools
import json
import os
import subprocess
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_golden  # noqa: E402  (the generator: its safetensors reader and patchify)

GOLDEN_DIR = make_golden.OUT_DIR


def load_official(mae_dir, timm_dir):
    """Imports models_mae and models_vit from the checkouts, with the smallest shims PyTorch 1.13 needs.

    timm 0.3.2 predates PyTorch 1.9 and needs two things this environment lacks:
      1. `torch._six.container_abcs` (removed in PyTorch 1.9; timm/models/layers/helpers.py imports it; the known
         breakage of facebookresearch/mae#149 and timm#420): it is set to `collections.abc`, which it aliased.
      2. torchvision, which `timm/__init__.py` → `timm.data` imports for its data transforms. The models need only
         two constants from `timm.data`, so `timm`, `timm.models` and `timm.optim` are registered as packages
         without running their `__init__.py`, and `timm.data` as a module holding just IMAGENET_DEFAULT_MEAN/STD.
      3. `numpy.float` (removed in NumPy 1.24), which util/pos_embed.py uses as the dtype of its frequencies: it is
         set to the builtin `float`, which it aliased (so the table is still computed in float64).
    The model code itself (vision_transformer.py, layers/, models_mae.py, models_vit.py, util/pos_embed.py,
    optim_factory.py) runs unmodified."""
    import numpy
    import torch._six
    torch._six.container_abcs = collections.abc
    if not hasattr(numpy, "float"):
        numpy.float = float
    tdir = os.path.join(timm_dir, "timm")
    for name, path in (("timm", tdir), ("timm.models", os.path.join(tdir, "models")),
                       ("timm.optim", os.path.join(tdir, "optim"))):
        pkg = types.ModuleType(name)
        pkg.__path__ = [path]
        sys.modules[name] = pkg
        if "." in name:
            setattr(sys.modules["timm"], name.split(".")[1], pkg)
    data = types.ModuleType("timm.data")
    data.IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
    data.IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
    sys.modules["timm.data"] = data
    sys.modules["timm"].data = data
    sys.path.insert(0, mae_dir)
    import models_mae
    import models_vit
    import timm.optim.optim_factory as optim_factory
    return models_mae, models_vit, optim_factory


@contextlib.contextmanager
def fixed_rand(noise):
    """models_mae.random_masking draws `torch.rand(N, L)`; hand it the golden file's noise instead."""
    original = torch.rand
    torch.rand = lambda *args, **kwargs: noise.clone()
    try:
        yield
    finally:
        torch.rand = original


class Report:
    def __init__(self):
        self.lines = []

    def say(self, text=""):
        print(text)
        self.lines.append(text)

    def compare(self, what, official, golden):
        """Max |official − golden| and the same relative to max |golden| (0 when both are zero)."""
        a, e = official.detach().double(), golden.detach().double()
        if a.shape != e.shape:
            raise SystemExit(f"{what}: official shape {tuple(a.shape)} vs golden {tuple(e.shape)}")
        diff = (a - e).abs().max().item() if a.numel() else 0.0
        scale = e.abs().max().item() if e.numel() else 0.0
        rel = diff / scale if scale > 0 else diff
        return diff, rel


def adamw_steps(model, optim_factory, step_fn, steps, lr):
    """main_pretrain.py's optimizer: timm's add_weight_decay groups, torch AdamW with betas (0.9, 0.95)."""
    groups = optim_factory.add_weight_decay(model, make_golden.ADAMW["weight_decay"])
    opt = torch.optim.AdamW(groups, lr=lr, betas=make_golden.ADAMW["betas"], eps=make_golden.ADAMW["eps"])
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = step_fn()
        loss.backward()
        losses.append(loss.item())
        opt.step()
    return torch.tensor(losses)


def load_golden(case):
    tensors, meta = make_golden.read_safetensors(os.path.join(GOLDEN_DIR, case + ".safetensors"))
    return tensors, json.loads(meta["config"])


def state_from(tensors):
    state = {}
    for k, v in tensors.items():
        for prefix in ("param.", "buffer."):
            if k.startswith(prefix):
                state[k[len(prefix):]] = v
    return state


def check_grads(report, rows, model, tensors, skip):
    worst = (0.0, 0.0, "")
    for name, p in model.named_parameters():
        if not p.requires_grad or name in skip:
            continue
        d, r = report.compare("grad." + name, p.grad, tensors["grad." + name])
        if r > worst[1]:
            worst = (d, r, name)
    rows.append(("every parameter gradient", worst[0], worst[1], worst[2]))


def mae_case(report, models_mae, optim_factory, case):
    t, cfg = load_golden(case)
    model = models_mae.MaskedAutoencoderViT(
        img_size=cfg["img_size"], patch_size=cfg["patch_size"], in_chans=cfg["in_chans"], embed_dim=cfg["embed_dim"],
        depth=cfg["depth"], num_heads=cfg["num_heads"], decoder_embed_dim=cfg["decoder_embed_dim"],
        decoder_depth=cfg["decoder_depth"], decoder_num_heads=cfg["decoder_num_heads"], mlp_ratio=cfg["mlp_ratio"],
        norm_layer=functools.partial(nn.LayerNorm, eps=cfg["ln_eps"]), norm_pix_loss=cfg["norm_pix_loss"])
    missing, unexpected = model.load_state_dict(state_from(t), strict=True)
    imgs, noise, ratio = t["input.images"], t["input.noise"], cfg["mask_ratio"]
    rows = []
    with fixed_rand(noise):
        latent, mask, ids_restore = model.forward_encoder(imgs, ratio)
    with fixed_rand(noise):
        loss, pred, mask2 = model(imgs, mask_ratio=ratio)
    loss.backward()
    for what, a, e in (("loss", loss.reshape(1), t["out.loss"]), ("pred", pred, t["out.pred"]),
                       ("latent", latent, t["out.latent"]), ("mask", mask2, t["out.mask"]),
                       ("ids_restore", ids_restore, t["out.ids_restore"])):
        d, r = report.compare(what, a, e)
        rows.append((what, d, r, ""))
    check_grads(report, rows, model, t, set(cfg.get("zero_grad_params", [])))

    def step():
        with fixed_rand(noise):
            return model(imgs, mask_ratio=ratio)[0]

    model.load_state_dict(state_from(t), strict=True)
    losses = adamw_steps(model, optim_factory, step, make_golden.NUM_STEPS, make_golden.ADAMW["lr"])
    d, r = report.compare("steps.losses", losses, t["steps.losses"])
    rows.append(("loss before each of 5 AdamW steps", d, r, ""))
    params = dict(model.named_parameters())
    for k in sorted(k for k in t if k.startswith("steps.final.")):
        name = k[len("steps.final."):]
        d, r = report.compare(k, params[name], t[k])
        rows.append((f"{name} after 5 steps", d, r, ""))
    return model, rows


def vit_case(report, models_vit, optim_factory, case):
    t, cfg = load_golden(case)
    model = models_vit.VisionTransformer(
        global_pool=cfg["global_pool"], img_size=cfg["img_size"], patch_size=cfg["patch_size"],
        in_chans=cfg["in_chans"], num_classes=cfg["num_classes"], embed_dim=cfg["embed_dim"], depth=cfg["depth"],
        num_heads=cfg["num_heads"], mlp_ratio=cfg["mlp_ratio"], qkv_bias=True,
        norm_layer=functools.partial(nn.LayerNorm, eps=cfg["ln_eps"]))
    model.load_state_dict(state_from(t), strict=True)
    imgs, labels = t["input.images"], t["input.labels"]

    def step():
        return F.cross_entropy(model(imgs), labels, label_smoothing=cfg["label_smoothing"])

    logits = model(imgs)
    loss = F.cross_entropy(logits, labels, label_smoothing=cfg["label_smoothing"])
    loss.backward()
    rows = []
    for what, a, e in (("loss", loss.reshape(1), t["out.loss"]), ("logits", logits, t["out.logits"])):
        d, r = report.compare(what, a, e)
        rows.append((what, d, r, ""))
    check_grads(report, rows, model, t, set(cfg.get("zero_grad_params", [])))
    model.load_state_dict(state_from(t), strict=True)
    losses = adamw_steps(model, optim_factory, step, make_golden.NUM_STEPS, make_golden.ADAMW["lr"])
    d, r = report.compare("steps.losses", losses, t["steps.losses"])
    rows.append(("loss before each of 5 AdamW steps", d, r, ""))
    return model, rows


def commit_of(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "--short=8", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown (not a git checkout)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mae", required=True, help="facebookresearch/mae checkout")
    ap.add_argument("--timm", required=True, help="pytorch-image-models checkout at timm 0.3.2")
    ap.add_argument("--out", help="also write the report here")
    ap.add_argument("--mae-commit", help="the commit DIR_MAE was exported from (when it is not a git checkout)")
    ap.add_argument("--timm-commit", help="the commit DIR_TIMM was exported from (when it is not a git checkout)")
    args = ap.parse_args()
    for d, f in ((args.mae, "models_mae.py"), (args.timm, "timm/models/vision_transformer.py")):
        if not os.path.isfile(os.path.join(d, f)):
            sys.exit(f"crosscheck: {os.path.join(d, f)} not found")
    torch.set_num_threads(2)
    models_mae, models_vit, optim_factory = load_official(os.path.abspath(args.mae), os.path.abspath(args.timm))
    import timm.models.vision_transformer as tvit
    with open(os.path.join(args.timm, "timm", "version.py")) as fh:
        timm_version = fh.read().split("'")[1]

    report = Report()
    report.say("Cross-check of tests/golden/make_golden.py against the official code")
    report.say(f"  official MAE: facebookresearch/mae models_mae.py, models_vit.py (commit {args.mae_commit or commit_of(args.mae)})")
    report.say(f"  timm {timm_version} vision_transformer.Block / PatchEmbed / VisionTransformer "
               f"(commit {args.timm_commit or commit_of(args.timm)}), loaded from {os.path.relpath(tvit.__file__, args.timm)}")
    report.say(f"  PyTorch {torch.__version__}, float32, {torch.get_num_threads()} threads")
    report.say("  shims: torch._six.container_abcs = collections.abc; numpy.float = float; timm/timm.models/timm.optim "
               "registered without their __init__.py;")
    report.say("         timm.data = IMAGENET_DEFAULT_MEAN/STD only (no torchvision here); torch.rand returns the "
               "golden noise during masking")
    report.say("  Each golden file's weights are loaded into the official module with load_state_dict(strict=True),")
    report.say("  so the parameter and buffer names are the official ones; the official forward, backward and")
    report.say("  main_pretrain.py's optimizer (timm add_weight_decay groups, torch AdamW) are then compared with the")
    report.say("  values the generator stored. diff = max |official − golden|; rel = diff / max |golden|.")
    report.say()
    cases = [("mae_p16_normpix", lambda c: mae_case(report, models_mae, optim_factory, c)),
             ("vit_cls", lambda c: vit_case(report, models_vit, optim_factory, c)),
             ("vit_avg", lambda c: vit_case(report, models_vit, optim_factory, c))]
    worst = 0.0
    for case, run in cases:
        _, rows = run(case)
        report.say(f"{case}:")
        for what, d, r, where in rows:
            worst = max(worst, r)
            report.say(f"  {what:40s} diff {d:9.2e}   rel {r:9.2e}" + (f"   ({where})" if where else ""))
        report.say()
    verdict = "AGREE" if worst < 1e-5 else "DISAGREE"
    report.say(f"largest relative difference {worst:.2e}: the generator and the official code {verdict} "
               f"(float32 rounding is ~1e-7 per op; the Java tests allow 1e-5 on outputs, 1e-4 on gradients)")
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("\n".join(report.lines) + "\n")
    if verdict != "AGREE":
        sys.exit(1)


if __name__ == "__main__":
    main()
