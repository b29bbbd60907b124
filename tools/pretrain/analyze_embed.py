# usage: analyze_embed.py LOGOGEN_DIR WEIGHTS SHORT LONG OUT.npz  (pooled / top-cell embeddings, objectness hit rate)
import sys, json, os, numpy as np, torch, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_fewshot as EV, model as M
import torch.nn.functional as F
torch.set_num_threads(2)
d = sys.argv[1]; wts = sys.argv[2]; short = int(sys.argv[3]); long_ = int(sys.argv[4])
EV.SHORT, EV.LONG = short, long_
fwd = EV.load_forward(wts)
anns = [json.loads(l) for l in open(os.path.join(d, "annotations.jsonl"))]
pooled, top, hit = [], [], []
with torch.no_grad():
    for a in anns:
        x = EV.preprocess(os.path.join(d, a["path"]))
        e, obj, cells = fwd(x)
        att = torch.softmax(obj.flatten(1), 1)
        raw = (cells.flatten(2) @ att[:, :, None])[0, :, 0]
        pooled.append(raw.numpy())
        i = int(obj.flatten().argmax()); top.append(cells.flatten(2)[0, :, i].numpy())
        if a["bbox"]:
            h, w = obj.shape[1:]; H, W = x.shape[2:]
            import cv2
            im = cv2.imread(os.path.join(d, a["path"])); ih, iw = im.shape[:2]
            cy, cx = (i // w + 0.5) / h * ih, (i % w + 0.5) / w * iw
            bx, by, bw, bh = a["bbox"]
            hit.append(bx - 8 <= cx <= bx + bw + 8 and by - 8 <= cy <= by + bh + 8)
        else:
            hit.append(None)
np.savez(sys.argv[5], pooled=np.stack(pooled), top=np.stack(top), split=np.array([a["path"].split("/")[0] for a in anns]),
         lab=np.array([a["label"] for a in anns]), hit=np.array([h if h is not None else -1 for h in hit]))
