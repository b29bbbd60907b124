#!/usr/bin/python3
"""Build the compact pre-training package for loupe's logo backbone.

Run with Debian's /usr/bin/python3 after `bash ../shared/logogen/setup.sh`:
    /usr/bin/python3 tools/pretrain/prep_data.py --out .pretrain_data

Writes OUT/pretrain.npz:
  masks   uint8 [N,128,128]  alpha masks of the allowed simple-icons logos,
          trimmed, longest side 120 px, centred on a 128x128 canvas
  hexrgb  uint8 [N,3]        brand colour (R,G,B)
  slugs   str   [N]
  bg_jpeg uint8 [sum], bg_offsets int64 [P+1]: concatenated JPEG bytes of the
          allowed background photos (max side 1024)
and OUT/excluded.json (which logos / photos were held out and why).

Exclusion rule (honest benchmark): every logo that logogen's select_classes
picks for seeds 0..4 (K=10 known classes, which contain the K=5 ones as a
prefix, and the 20 novel logos each context draws) is removed, plus every
logo whose 48x48 silhouette signature (logogen.shape_signature) overlaps one
of those with IoU > 0.8 (near-identical shapes, e.g. a brand's variant icons;
logogen's own 0.6 diversity threshold would also drop ~1,000 merely round or
blocky logos).  Background photos: only seed 0's
*train* pool is used, so logogen seed 0 test images are on photos the
backbone never saw.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LOGOGEN = os.environ.get("LOGOGEN_DIR", os.path.join(HERE, "..", "..", "..", "shared", "logogen"))
sys.path.insert(0, LOGOGEN)
import logogen  # noqa: E402

EXCL_SEEDS = range(5)
MASK = 128
GLYPH = 120
DUP_IOU = 0.8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=".pretrain_data")
    ap.add_argument("--bg-max-side", type=int, default=1024)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    table = logogen.load_icon_table()
    excl, excl_why = set(), {}
    for seed in EXCL_SEEDS:
        cls, nov = logogen.select_classes(seed, 10, 20)
        for c in cls:
            excl.add(c["slug"]); excl_why.setdefault(c["slug"], []).append(f"seed{seed}:known")
        for c in nov:
            excl.add(c["slug"]); excl_why.setdefault(c["slug"], []).append(f"seed{seed}:novel")
    print(f"{len(excl)} benchmark logos excluded ({time.time() - t0:.0f}s)", flush=True)
    excl_sigs = {s: logogen.shape_signature(logogen.render_mask(s)) for s in sorted(excl)}
    masks, hexes, slugs, near_dup, rejected = [], [], [], {}, []
    for i, d in enumerate(table):
        s = d["slug"]
        if s in excl:
            continue
        m = logogen.render_mask(s)
        if m is None:
            rejected.append(s); continue
        st = logogen.mask_stats(m)
        if not (0.25 <= st["aspect"] <= 4.0 and 0.04 <= st["fill"] <= 0.95):
            rejected.append(s); continue
        sig = logogen.shape_signature(m)
        dup = None
        for es, esig in excl_sigs.items():
            inter = np.logical_and(sig, esig).sum()
            if inter / max(1, np.logical_or(sig, esig).sum()) > DUP_IOU:
                dup = es; break
        if dup:
            near_dup[s] = dup; continue
        h, w = m.shape
        sc = GLYPH / max(h, w)
        g = cv2.resize(m, (max(1, round(w * sc)), max(1, round(h * sc))), interpolation=cv2.INTER_AREA)
        c = np.zeros((MASK, MASK), np.uint8)
        oy, ox = (MASK - g.shape[0]) // 2, (MASK - g.shape[1]) // 2
        c[oy:oy + g.shape[0], ox:ox + g.shape[1]] = g
        masks.append(c)
        hx = d["hex"]
        hexes.append([int(hx[0:2], 16), int(hx[2:4], 16), int(hx[4:6], 16)])
        slugs.append(s)
        if i % 500 == 0:
            print(f"  {i}/{len(table)} icons, {len(slugs)} kept ({time.time() - t0:.0f}s)", flush=True)
    ctx0 = logogen.context(seed=0, k=10)
    idx = {d["id"]: d for d in logogen.load_bg_index()}
    bgs, bg_ids = [], []
    for bid in ctx0.bg_train:
        im = logogen.get_bg(bid)
        h, w = im.shape[:2]
        sc = min(1.0, args.bg_max_side / max(h, w))
        if sc < 1:
            im = cv2.resize(im, (round(w * sc), round(h * sc)), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 95])
        bgs.append(np.frombuffer(buf.tobytes(), np.uint8)); bg_ids.append(bid)
    offs = np.cumsum([0] + [len(b) for b in bgs]).astype(np.int64)
    np.savez_compressed(os.path.join(args.out, "pretrain.npz"), masks=np.stack(masks),
                        hexrgb=np.array(hexes, np.uint8), slugs=np.array(slugs),
                        bg_jpeg=np.concatenate(bgs), bg_offsets=offs, bg_ids=np.array(bg_ids))
    info = {
        "rule": ("logos chosen by logogen select_classes(seed, k=10, n_novel=20) for seeds 0-4 "
                 "(known K=10 incl. the K=5 prefix, and novel), plus near-duplicates of them "
                 "(48x48 shape-signature IoU > 0.8); icons with aspect outside [0.25,4] or "
                 "fill outside [0.04,0.95] rejected; background photos: seed 0 bg_train only"),
        "simple_icons_version": logogen.si_version(),
        "excluded": {s: excl_why[s] for s in sorted(excl)},
        "excluded_near_duplicates": near_dup,
        "rejected_shape": rejected,
        "n_train_logos": len(slugs),
        "backgrounds_used": [{k: idx[b][k] for k in ("id", "package", "package_version", "source_path")}
                             for b in bg_ids],
        "backgrounds_held_out": ctx0.bg_test,
    }
    with open(os.path.join(args.out, "excluded.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"{len(slugs)} logos, {len(bgs)} photos, excluded {len(excl)} + {len(near_dup)} near-dups, "
          f"rejected {len(rejected)}; {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
