# usage: score_variants.py OUT.npz  (prototype top-1 and open-set figures for embedding variants)
import numpy as np, sys
z = np.load(sys.argv[1]); split, lab = z["split"], z["lab"]
hit = z["hit"]; print("objectness argmax inside bbox: train/test %.3f" % (hit[hit>=0].mean()))
def ev(E, name):
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    cls = sorted(set(lab[split == "train"]))
    P = np.stack([E[(split == "train") & (lab == c)].mean(0) for c in cls]); P /= np.linalg.norm(P, axis=1, keepdims=True)
    S = E @ P.T; best, sc = S.argmax(1), S.max(1)
    y = np.array([cls.index(l) if l in cls else -1 for l in lab]); te = split == "test"
    cor = te & (best == y); neg = (split == "test_none") | (split == "test_novel")
    thr = np.quantile(sc[neg], 0.9)
    print(f"{name:28s} top1={cor[te].mean():.3f}  acc@10%FA={(cor & (sc > thr))[te].mean():.3f}  "
          f"correct med={np.median(sc[cor]):.3f} none med={np.median(sc[split=='test_none']):.3f} novel med={np.median(sc[split=='test_novel']):.3f}")
for key in ["pooled", "top"]:
    E = z[key].astype(np.float64)
    ev(E, key)
    mu = E[split == "train"].mean(0)
    ev(E - mu, key + " centred(train mean)")
    En = E / np.linalg.norm(E, axis=1, keepdims=True); mu2 = En[split == "train"].mean(0)
    ev(En - mu2, key + " norm+centred")
if "crop" in z:
    C = z["crop"]; Fu = z["full"]
    ev(C, "crop")
    ev(C - C[split=="train"].mean(0), "crop centred")
    n = lambda A: A / np.linalg.norm(A, axis=1, keepdims=True)
    ev(np.concatenate([n(C), n(Fu)], 1), "crop+full concat")
    cc = n(C) - n(C)[split=="train"].mean(0); ff = n(Fu) - n(Fu)[split=="train"].mean(0)
    ev(np.concatenate([n(cc), n(ff)], 1), "crop+full centred concat")
