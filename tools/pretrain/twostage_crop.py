# usage: twostage_crop.py LOGOGEN_DIR WEIGHTS CROP_SIZE OUT.npz ANALYZE.npz  (re-embeds an objectness-guided crop)
import sys, json, os, numpy as np, torch, cv2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_fewshot as EV, model as M
torch.set_num_threads(2)
d, wts, CS, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fwd = EV.load_forward(wts)
anns = [json.loads(l) for l in open(os.path.join(d, "annotations.jsonl"))]
mean, std = torch.tensor(M.MEAN).view(3,1,1), torch.tensor(M.STD).view(3,1,1)
crop_e, full_e = [], []
with torch.no_grad():
    for a in anns:
        im = cv2.imread(os.path.join(d, a["path"]))[:, :, ::-1]
        ih, iw = im.shape[:2]
        x = EV.preprocess(os.path.join(d, a["path"]))
        e, obj, cells = fwd(x)
        att = torch.softmax(obj.flatten(1), 1)
        full_e.append((cells.flatten(2) @ att[:, :, None])[0, :, 0].numpy())
        o = torch.sigmoid(obj[0]); h, w = o.shape
        m = (o >= o.max() * 0.5).numpy()
        ys, xs = np.nonzero(m)
        # box in image coords, cell units -> pixels
        x0, x1 = xs.min() / w * iw, (xs.max() + 1) / w * iw
        y0, y1 = ys.min() / h * ih, (ys.max() + 1) / h * ih
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        side = max(x1 - x0, y1 - y0) * 1.6 + 0.04 * min(ih, iw)
        side = min(side, min(ih, iw))
        X0 = int(np.clip(cx - side / 2, 0, iw - side)); Y0 = int(np.clip(cy - side / 2, 0, ih - side))
        crop = im[Y0:Y0 + int(side), X0:X0 + int(side)]
        crop = cv2.resize(np.ascontiguousarray(crop), (CS, CS), interpolation=cv2.INTER_AREA if side > CS else cv2.INTER_LINEAR)
        t = (torch.from_numpy(np.ascontiguousarray(crop)).permute(2,0,1).float()/255 - mean)/std
        e2, obj2, cells2 = fwd(t[None])
        att2 = torch.softmax(obj2.flatten(1), 1)
        crop_e.append((cells2.flatten(2) @ att2[:, :, None])[0, :, 0].numpy())
z = dict(np.load(sys.argv[5]))  # analyze_embed.py output for the same folder
z["crop"] = np.stack(crop_e); z["full"] = np.stack(full_e)
np.savez(out, **z)
