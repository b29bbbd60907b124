#!/usr/bin/env python3
"""Pre-train loupe's logo backbone on synthetic logo scenes generated on the fly (synth.py).

GPU (what produced assets/backbone/logo_v1.safetensors):
    PYTHONUNBUFFERED=1 python3 tools/pretrain/train.py --data .pretrain_data/pretrain.npz \
        --out $OUT --minutes 7.2
CPU smoke test:  python3 tools/pretrain/train.py --data ... --out /tmp/pt --minutes 2 --batch 16 --size 256
Time-based schedule: warm-up then cosine decay to the wall-clock budget, so a
run always finishes (and checkpoints every --ckpt-every seconds).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
from synth import Synth  # noqa: E402


def normalise(x):
    mean = torch.tensor(M.MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(M.STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def obj_target(vis, shape):
    cov = F.adaptive_avg_pool2d(vis[:, None], shape)[:, 0]
    return (cov * 3).clamp(0, 1)


@torch.no_grad()
def fewshot_val(net, synth, val_ids, dev, S, amp):
    """20 held-out logos: 10 'train' scenes each -> prototypes; 10 test scenes each -> top-1.
    Also max cosine of 100 no-logo scenes."""
    net.eval()
    ids = torch.tensor(val_ids, device=dev)
    k = len(val_ids)

    def emb(idt, p_none=0.0):
        x, _, _ = synth.batch(len(idt), S, p_none=p_none, ids=idt)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            e, _, _ = net(normalise(x).contiguous(memory_format=torch.channels_last))
        return F.normalize(e.float(), dim=1)

    tr = emb(ids.repeat_interleave(10))
    te = emb(ids.repeat_interleave(10))
    no = emb(ids[:1].repeat(100), p_none=1.0)
    proto = F.normalize(tr.view(k, 10, -1).mean(1), dim=1)
    s = te @ proto.T
    acc = (s.argmax(1) == torch.arange(k, device=dev).repeat_interleave(10)).float().mean().item()
    sn = (no @ proto.T).max(1).values
    net.train()
    return acc, s.max(1).values.median().item(), sn.median().item(), sn.max().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=".pretrain_data/pretrain.npz")
    ap.add_argument("--out", default="/tmp/pretrain_out")
    ap.add_argument("--minutes", type=float, default=7.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--scale", type=float, default=30.0)
    ap.add_argument("--margin", type=float, default=0.25)
    ap.add_argument("--obj-weight", type=float, default=10.0)
    ap.add_argument("--n-val", type=int, default=20)
    ap.add_argument("--ckpt-every", type=float, default=60.0)
    ap.add_argument("--val-every", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", default="", help="continue from this checkpoint (weights only)")
    ap.add_argument("--warm", type=float, default=0.04, help="warm-up fraction of the budget")
    ap.add_argument("--no-bench", action="store_true", help="cudnn.benchmark off (saves ~40 s of start-up)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    torch.manual_seed(args.seed)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    amp = dev.type == "cuda" or os.environ.get("FORCE_AMP") == "1"
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = not args.no_bench
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    import numpy as np
    n_all = len(np.load(args.data)["slugs"])
    g = np.random.default_rng(1234)
    perm = g.permutation(n_all)
    val_logos, train_logos = sorted(perm[:args.n_val].tolist()), sorted(perm[args.n_val:].tolist())
    synth = Synth(args.data, dev, logo_ids=train_logos)
    vsynth = Synth(args.data, dev, logo_ids=val_logos)
    C = synth.n
    print(f"device {dev} ({torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu'}), torch {torch.__version__}, "
          f"{C} train logos, {len(val_logos)} val logos, {synth.P} photos, setup {time.time() - t_start:.1f}s", flush=True)
    net = M.LogoNet(n_classes=C + 1).to(dev).to(memory_format=torch.channels_last)
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location=dev)["net"])
        print("initialised from", args.init, flush=True)
    decay, no_decay = [], []
    for n_, p in net.named_parameters():
        (decay if p.ndim == 4 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99))
    budget = args.minutes * 60
    t0 = time.time()
    warm = args.warm
    step, seen = 0, 0
    last_ck, last_val, last_log = t0, t0, t0
    hist = []
    tsyn = tnet = 0.0
    while True:
        el = time.time() - t0
        prog = el / budget
        if prog >= 1.0:
            break
        lr = args.lr * (prog / warm if prog < warm else 0.5 * (1 + math.cos(math.pi * (prog - warm) / (1 - warm))))
        for gp in opt.param_groups:
            gp["lr"] = lr
        a = time.time()
        x, y, vis = synth.batch(args.batch, args.size)
        x = normalise(x).contiguous(memory_format=torch.channels_last)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        b = time.time()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            emb, obj, _ = net(x)
        emb, obj = emb.float(), obj.float()
        W = F.normalize(net.cls, dim=1)
        cos = emb @ W.T
        onehot = F.one_hot(y, C + 1).float()
        l_id = F.cross_entropy(args.scale * (cos - args.margin * onehot), y)
        t = obj_target(vis, obj.shape[-2:])
        l_obj = F.binary_cross_entropy_with_logits(obj, t, pos_weight=torch.tensor(3.0, device=dev))
        loss = l_id + args.obj_weight * l_obj
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        c = time.time()
        tsyn += b - a
        tnet += c - b
        step += 1
        seen += args.batch
        now = time.time()
        if now - last_log > 15 or step == 1:
            acc = (cos.argmax(1) == y).float().mean().item()
            print(f"step {step} t={now - t0:.0f}s lr={lr:.2e} img/s={seen / (now - t0):.0f} "
                  f"synth={tsyn / step * 1000:.0f}ms net={tnet / step * 1000:.0f}ms "
                  f"l_id={l_id.item():.3f} l_obj={l_obj.item():.4f} acc={acc:.3f}", flush=True)
            hist.append({"step": step, "t": round(now - t0, 1), "seen": seen, "lr": lr,
                         "l_id": round(l_id.item(), 4), "l_obj": round(l_obj.item(), 5), "acc": round(acc, 4)})
            last_log = now
        if now - last_val > args.val_every:
            v = fewshot_val(net, vsynth, list(range(vsynth.n)), dev, args.size, amp)
            print(f"  val step {step}: unseen-logo proto top1={v[0]:.3f} med cos={v[1]:.3f} "
                  f"none med/max={v[2]:.3f}/{v[3]:.3f}", flush=True)
            hist[-1]["val"] = v
            last_val = time.time()
        if now - last_ck > args.ckpt_every:
            torch.save({"net": net.state_dict(), "step": step}, os.path.join(args.out, "ckpt.pt"))
            last_ck = time.time()
    total = time.time() - t0
    v = fewshot_val(net, vsynth, list(range(vsynth.n)), dev, args.size, amp)
    print(f"done: {step} steps, {seen} images in {total:.0f}s ({seen / total:.0f} img/s); "
          f"final val top1={v[0]:.3f} none med/max={v[2]:.3f}/{v[3]:.3f}", flush=True)
    net = net.float().to(memory_format=torch.contiguous_format)
    torch.save({"net": net.state_dict(), "step": step}, os.path.join(args.out, "ckpt.pt"))
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump({"args": vars(args), "steps": step, "images": seen, "seconds": round(total, 1),
                   "img_per_s": round(seen / total, 1), "final_val": v, "history": hist,
                   "n_train_logos": C, "val_logos": [vsynth.slugs[i] for i in range(vsynth.n)],
                   "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
                   "torch": torch.__version__}, f, indent=1)


if __name__ == "__main__":
    main()
