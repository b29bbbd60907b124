#!/usr/bin/python3
"""Export a training checkpoint to loupe's embedded backbone format and write the C++ parity reference.

    /usr/bin/python3 tools/pretrain/export.py --ckpt ckpt.pt \
        --out assets/backbone/logo_v1.safetensors --reference assets/backbone/logo_v1.reference.json

BatchNorm is folded into the convolutions; tensors are stored float32 under the names
model.folded_state() gives (read by src/ml/logo_net.cc). __metadata__ holds the
architecture, input convention, provenance and licences.  The reference input is a
deterministic image computable in C++ without any RNG (see reference_input()).
"""
import argparse
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import safetensors_io  # noqa: E402


def reference_input(h=192, w=256):
    """x[0,c,y,x] = 2.5 * sin(0.05*(c+1)*x + 0.07*y) * cos(0.03*(x - y) + c), already normalised."""
    c = torch.arange(3, dtype=torch.float64).view(3, 1, 1)
    y = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    x = torch.arange(w, dtype=torch.float64).view(1, 1, w)
    v = 2.5 * torch.sin(0.05 * (c + 1) * x + 0.07 * y) * torch.cos(0.03 * (x - y) + c)
    return v.float()[None]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--train-log", default="")
    ap.add_argument("--results", default="", help="eval json to embed in the metadata")
    ap.add_argument("--excluded", default="", help="excluded.json from prep_data.py")
    args = ap.parse_args()
    net = M.LogoNet()
    sd = torch.load(args.ckpt, map_location="cpu")["net"]
    sd = {k: v.float() for k, v in sd.items() if k != "cls"}
    net.load_state_dict(sd)
    net.eval()
    W = M.folded_state(net)
    x = reference_input()
    with torch.no_grad():
        e0, o0, c0 = net(x)
        e1, o1, c1 = M.folded_forward(W, x)
    print("fold check: max |emb diff|", float((e0 - e1).abs().max()), " obj", float((o0 - o1).abs().max()))
    meta = {
        "format": "loupe-logo-backbone",
        "name": "logo_v1",
        "arch": json.dumps(M.arch_dict()),
        "input": json.dumps({"color": "RGB", "scale": "1/255", "mean": M.MEAN, "std": M.STD,
                             "layout": "NCHW float32", "resize": "short side 320, long side <= 448 (any size works, multiple of 32 not required)",
                             "stride": 16}),
        "outputs": json.dumps({"embedding": "[N,128] L2-normalised softmax(objectness)-weighted mean of cell embeddings",
                               "objectness": "[N,H/16,W/16] logits (sigmoid -> logo probability per cell)",
                               "cells": "[N,128,H/16,W/16] cell embeddings, not normalised"}),
        "tensor_naming": "conv weights <name>.w [out,in/groups,k,k] and biases <name>.b, BatchNorm folded; "
                         "conv padding k/2; stride 2 at the first block of stages 1,2,3,5 and at stem; "
                         "depthwise convs are the .dw tensors (groups = channels)",
        "training": "synthetic logo scenes generated on the GPU by tools/pretrain/synth.py (logogen recipe), "
                    "CosFace (s=30, m=0.25) over 3096 simple-icons logos + a no-logo class, BCE objectness "
                    "from the visible logo alpha; see docs/backbone.md",
        "data_provenance": "logos: npm simple-icons (CC0-1.0), benchmark logos of logogen seeds 0-4 and near-duplicates "
                           "excluded (tools/pretrain/excluded.json); photos: 28 Debian bookworm wallpaper/data photos "
                           "(logogen seed 0 train pool): darknet, lomiri-wallpapers, mate-backgrounds, "
                           "plasma-workspace-wallpapers, opencv-doc",
        "license": "weights: same licence as loupe; trained on CC0 logos and on photos under their Debian "
                   "packages' licences (see docs/backbone.md)",
    }
    if args.train_log:
        tl = json.load(open(args.train_log))
        meta["train_run"] = json.dumps({k: tl[k] for k in ("steps", "images", "seconds", "img_per_s", "device", "torch")
                                        if k in tl})
    if args.results:
        r = json.load(open(args.results))
        meta["eval_logogen_seed0"] = json.dumps({k: r[k] for k in ("top1", "top1_nn", "thr_at_10pct_false_accept",
                                                                  "top1_accepted_at_thr") if k in r})
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    safetensors_io.save(args.out, W, meta)
    W2, meta2 = safetensors_io.load(args.out)
    with torch.no_grad():
        e2, o2, c2 = M.folded_forward(W2, x)
    sha = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
    ref = {
        "weights": os.path.basename(args.out), "weights_sha256": sha,
        "input": {"shape": list(x.shape), "formula": "x[0,c,y,x] = 2.5*sin(0.05*(c+1)*x + 0.07*y)*cos(0.03*(x-y) + c), "
                  "computed in double, cast to float32; the tensor is fed as-is (already normalised)"},
        "embedding_dim": int(e2.shape[1]),
        "embedding_first16": [round(float(v), 7) for v in e2[0, :16]],
        "embedding_sum": float(e2.sum()), "embedding_abs_sum": float(e2.abs().sum()),
        "objectness_shape": list(o2.shape),
        "objectness_mean": float(o2.mean()), "objectness_max": float(o2.max()), "objectness_min": float(o2.min()),
        "objectness_argmax": int(o2.flatten().argmax()),
        "objectness_first8": [round(float(v), 6) for v in o2.flatten()[:8]],
        "cells_shape": list(c2.shape), "cells_mean": float(c2.mean()), "cells_abs_mean": float(c2.abs().mean()),
        "tolerance": 1e-4,
    }
    with open(args.reference, "w") as f:
        json.dump(ref, f, indent=1)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB, {len(W)} tensors) and {args.reference}")


if __name__ == "__main__":
    main()
