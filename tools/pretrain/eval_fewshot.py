#!/usr/bin/python3
"""Few-shot evaluation of the backbone on a logogen benchmark folder (CPU, torch >= 1.13).

    /usr/bin/python3 ../shared/logogen/logogen.py generate --seed 0 --k 10 --train 20 --test 30 \
        --none 100 --novel 100 --out /tmp/lg0
    /usr/bin/python3 tools/pretrain/eval_fewshot.py /tmp/lg0 --weights assets/backbone/logo_v1.safetensors

Embeds every image (short side 320, long side <= 448, see preprocess()), builds one prototype
per label (mean of the L2-normalised train embeddings), and reports closed-set top-1 on test,
the max-cosine score distributions of correct / wrong / none / novel images, and top-1 at the
threshold that lets 10 % of none+novel images through.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import safetensors_io  # noqa: E402

SHORT, LONG = 320, 448


def preprocess(path):
    im = cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1]
    h, w = im.shape[:2]
    s = min(SHORT / min(h, w), LONG / max(h, w))
    im = cv2.resize(im, (max(32, round(w * s)), max(32, round(h * s))), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1).float() / 255
    x = (x - torch.tensor(M.MEAN).view(3, 1, 1)) / torch.tensor(M.STD).view(3, 1, 1)
    return x[None]


def mk_conv():
    def conv2d(x, w, b=None, s=1, p=0, d=1, g=1):  # force oneDNN for 1x1 convs on 1 thread
        return torch.mkldnn_convolution(x, w, b, [p, p], [s, s], [d, d], g)
    return conv2d


def load_forward(weights):
    if weights.endswith(".safetensors"):
        W, meta = safetensors_io.load(weights)
        M.F.conv2d = mk_conv()
        return lambda x: M.folded_forward(W, x)
    net = M.LogoNet()
    sd = torch.load(weights, map_location="cpu")["net"]
    sd = {k: v for k, v in sd.items() if k != "cls"}
    net.load_state_dict(sd)
    net.eval()
    W = M.folded_state(net)
    M.F.conv2d = mk_conv()
    return lambda x: M.folded_forward(W, x)


def q(a):
    a = np.asarray(a)
    return {k: round(float(np.quantile(a, p)), 3) for k, p in
            [("p10", .1), ("p50", .5), ("p90", .9), ("max", 1.0)]} if len(a) else {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fwd = load_forward(args.weights)
    anns = [json.loads(l) for l in open(os.path.join(args.dir, "annotations.jsonl"))]
    embs, ms = [], []
    with torch.no_grad():
        for a in anns:
            x = preprocess(os.path.join(args.dir, a["path"]))
            t = time.time()
            e, obj, _ = fwd(x)
            ms.append((time.time() - t) * 1000)
            embs.append(e[0].numpy())
    E = np.stack(embs)
    split = np.array([a["path"].split("/")[0] for a in anns])
    lab = np.array([a["label"] for a in anns])
    classes = sorted(set(lab[split == "train"]))
    P = np.stack([E[(split == "train") & (lab == c)].mean(0) for c in classes])
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    S = E @ P.T
    best, score = S.argmax(1), S.max(1)
    te = split == "test"
    y = np.array([classes.index(l) if l in classes else -1 for l in lab])
    correct = te & (best == y)
    top1 = correct[te].mean()
    neg = (split == "test_none") | (split == "test_novel")
    thr = float(np.quantile(score[neg], 0.9))
    res = {
        "weights": os.path.basename(args.weights), "dir": args.dir,
        "n_test": int(te.sum()), "top1": round(float(top1), 4),
        "score_correct": q(score[correct]), "score_wrong": q(score[te & ~correct]),
        "score_none": q(score[split == "test_none"]), "score_novel": q(score[split == "test_novel"]),
        "thr_at_10pct_false_accept": round(thr, 4),
        "top1_accepted_at_thr": round(float((correct & (score > thr))[te].mean()), 4),
        "ms_per_image_forward": round(float(np.median(ms)), 1), "threads": args.threads,
    }
    # nearest-neighbour variant: per-class max cosine to a training image
    Tr = E[split == "train"]
    ytr = np.array([classes.index(l) for l in lab[split == "train"]])
    St = E @ Tr.T
    Snn = np.stack([St[:, ytr == k].max(1) for k in range(len(classes))], 1)
    res["top1_nn"] = round(float((Snn.argmax(1) == y)[te].mean()), 4)
    per = {c: round(float((best == i)[te & (y == i)].mean()), 3) for i, c in enumerate(classes)}
    res["per_class_top1"] = per
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
