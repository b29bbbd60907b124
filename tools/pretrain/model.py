"""loupe logo backbone ("logo_v1"): definition shared by training, export and eval.

Works on torch 1.13 (Debian python3-torch, CPU) and torch 2.x (GPU training).
Architecture (all convs bias-free + BatchNorm while training; export folds BN):
  stem 3x3/2 -> MobileNetV2-style inverted-residual stages (ReLU) to stride 32,
  FPN-lite neck: stride-32 features upsampled (nearest x2) + lateral 1x1 of the
  stride-16 features -> 3x3 conv -> P16 (stride 16),
  heads on P16: objectness logit per cell (1x1), cell embedding (1x1 -> ReLU -> 1x1, D),
  image embedding = softmax(objectness over all cells)-weighted sum of cell
  embeddings, L2-normalised.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# (expand, out_channels, repeats, first_stride)
STAGES = [
    (1, 16, 1, 1),
    (4, 24, 2, 2),   # /4
    (4, 40, 3, 2),   # /8
    (4, 80, 3, 2),   # /16
    (4, 112, 2, 1),  # /16  -> lateral
    (4, 160, 3, 2),  # /32
]
STEM = 24
NECK = 128
EMB_HID = 256
EMB_DIM = 128
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def arch_dict():
    return {"stem": STEM, "stages": STAGES, "neck": NECK, "emb_hidden": EMB_HID,
            "emb_dim": EMB_DIM, "act": "relu", "lateral_stage": 4}


class CBA(nn.Sequential):
    def __init__(self, cin, cout, k=1, s=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class IR(nn.Module):
    def __init__(self, cin, cout, e, s):
        super().__init__()
        hid = cin * e
        layers = []
        if e != 1:
            layers.append(CBA(cin, hid, 1))
        layers += [CBA(hid, hid, 3, s, groups=hid), CBA(hid, cout, 1, act=False)]
        self.conv = nn.Sequential(*layers)
        self.res = (s == 1 and cin == cout)

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.res else y


class LogoNet(nn.Module):
    def __init__(self, n_classes=0):
        super().__init__()
        self.stem = CBA(3, STEM, 3, 2)
        stages, cin = [], STEM
        for e, c, n, s in STAGES:
            blocks = []
            for i in range(n):
                blocks.append(IR(cin, c, e, s if i == 0 else 1))
                cin = c
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.lat = CBA(STAGES[4][1], NECK, 1, act=False)
        self.top = CBA(STAGES[5][1], NECK, 1, act=False)
        self.fuse = CBA(NECK, NECK, 3)
        self.obj = nn.Conv2d(NECK, 1, 1)
        self.emb1 = CBA(NECK, EMB_HID, 1)
        self.emb2 = nn.Conv2d(EMB_HID, EMB_DIM, 1)
        nn.init.constant_(self.obj.bias, -4.0)
        self.n_classes = n_classes
        if n_classes:
            self.cls = nn.Parameter(torch.randn(n_classes, EMB_DIM) * 0.01)

    def features(self, x):
        x = self.stem(x)
        lat = None
        for i, st in enumerate(self.stages):
            x = st(x)
            if i == 4:
                lat = x
        t = self.top(x)
        t = F.interpolate(t, size=lat.shape[-2:], mode="nearest")
        return self.fuse(self.lat(lat) + t)

    def forward(self, x):
        """x: [N,3,H,W] normalised RGB. Returns (embedding [N,D] L2-normalised,
        objectness logits [N,h,w], cell embeddings [N,D,h,w] (not normalised))."""
        p = self.features(x)
        obj = self.obj(p)[:, 0]
        cells = self.emb2(self.emb1(p))
        n, d = cells.shape[:2]
        att = torch.softmax(obj.flatten(1), dim=1)
        emb = torch.bmm(cells.flatten(2), att.unsqueeze(2))[:, :, 0]
        return F.normalize(emb, dim=1), obj, cells


# ------------------------------------------------------------- export ----

def fold_bn(conv_w, bn):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = conv_w * s.reshape(-1, 1, 1, 1)
    b = bn.bias - bn.running_mean * s
    return w, b


def folded_state(net):
    """Ordered {name: tensor} of the BN-folded weights, names matching the C++ loader:
    stem.w/.b, s{i}.{j}.{exp,dw,proj}.w/.b, lat, top, fuse, obj, emb1, emb2."""
    out = {}

    def put(name, cba):
        w, b = fold_bn(cba[0].weight, cba[1])
        out[name + ".w"] = w.detach().float().contiguous()
        out[name + ".b"] = b.detach().float().contiguous()

    put("stem", net.stem)
    for i, st in enumerate(net.stages):
        for j, blk in enumerate(st):
            mods = list(blk.conv)
            if len(mods) == 3:
                put(f"s{i}.{j}.exp", mods[0])
            put(f"s{i}.{j}.dw", mods[-2])
            put(f"s{i}.{j}.proj", mods[-1])
    put("lat", net.lat)
    put("top", net.top)
    put("fuse", net.fuse)
    out["obj.w"] = net.obj.weight.detach().float().contiguous()
    out["obj.b"] = net.obj.bias.detach().float().contiguous()
    put("emb1", net.emb1)
    out["emb2.w"] = net.emb2.weight.detach().float().contiguous()
    out["emb2.b"] = net.emb2.bias.detach().float().contiguous()
    return out


def folded_forward(W, x):
    """Reference inference on folded weights (plain functional ops, what C++ mirrors)."""
    def conv(name, x, s=1, groups=1, act=True):
        w = W[name + ".w"]
        x = F.conv2d(x, w, W[name + ".b"], s, w.shape[-1] // 2, 1, groups)
        return F.relu(x) if act else x

    x = conv("stem", x, 2)
    cin = STEM
    lat = None
    for i, (e, c, n, s) in enumerate(STAGES):
        for j in range(n):
            st = s if j == 0 else 1
            y = x
            if e != 1:
                y = conv(f"s{i}.{j}.exp", y)
            y = conv(f"s{i}.{j}.dw", y, st, groups=y.shape[1])
            y = conv(f"s{i}.{j}.proj", y, act=False)
            x = x + y if (st == 1 and cin == c) else y
            cin = c
        if i == 4:
            lat = x
    t = conv("top", x, act=False)
    t = F.interpolate(t, size=lat.shape[-2:], mode="nearest")
    p = conv("fuse", conv("lat", lat, act=False) + t)
    obj = conv("obj", p, act=False)[:, 0]
    cells = conv("emb2", conv("emb1", p), act=False)
    att = torch.softmax(obj.flatten(1), dim=1)
    emb = torch.bmm(cells.flatten(2), att.unsqueeze(2))[:, :, 0]
    return F.normalize(emb, dim=1), obj, cells
