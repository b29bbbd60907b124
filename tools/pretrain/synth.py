"""Batched logo-scene synthesiser in torch (runs on GPU or CPU).

Mirrors logogen's recipe (../shared/logogen/logogen.py) without per-image Python:
random crop of a real photo (or a procedural background) -> a simple-icons glyph
styled as brand colour / white / black / random or two-tone / badge / plate ->
3-D tilt + roll + perspective homography, scale 5-60 % of the side -> lighting
gain/gradient, surface texture pickup, transparency, sticker shadow ->
occluders (bar, blob, glare, truncation) -> global colour/contrast/gamma,
blur, resampling, noise, JPEG (8x8 DCT quantisation, 4:2:0 chroma).
Returns images in [0,1] RGB, labels (logo index, or n_logos for "no logo")
and the visible logo alpha (for objectness targets).
"""
import io
import math

import numpy as np
import torch
import torch.nn.functional as F

E = 1.75          # logo canvas half-extent in glyph units (glyph canvas spans [-1,1])
CANVAS = 160

_QY = torch.tensor([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
                    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
                    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
                   dtype=torch.float32).view(8, 8)
_QC = torch.full((8, 8), 99.0)
_QC[:4, :4] = torch.tensor([[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]],
                           dtype=torch.float32)


def _dct_mat():
    m = torch.zeros(8, 8)
    for k in range(8):
        for n in range(8):
            m[k, n] = math.cos(math.pi * (2 * n + 1) * k / 16) * (math.sqrt(1 / 8) if k == 0 else math.sqrt(2 / 8))
    return m


def decode_jpeg(buf):
    import cv2
    im = cv2.imdecode(np.asarray(buf, np.uint8), cv2.IMREAD_COLOR)
    return im[:, :, ::-1].copy()  # RGB


class Synth:
    def __init__(self, npz_path, device, bg_side=640, logo_ids=None):
        d = np.load(npz_path)
        self.dev = device
        masks = d["masks"] if logo_ids is None else d["masks"][logo_ids]
        hexrgb = d["hexrgb"] if logo_ids is None else d["hexrgb"][logo_ids]
        self.slugs = list(d["slugs"] if logo_ids is None else d["slugs"][logo_ids])
        self.n = len(masks)
        self.masks = torch.from_numpy(masks).to(device).unsqueeze(1)  # uint8 [N,1,128,128]
        self.hex = torch.from_numpy(hexrgb).float().to(device) / 255
        m = torch.from_numpy(masks).float()
        rows, cols = (m > 30).any(2), (m > 30).any(1)
        idx = torch.arange(128).float()
        def half(occ):
            lo = torch.where(occ, idx, torch.full_like(idx, 1e9)).min(1).values
            hi = torch.where(occ, idx, torch.full_like(idx, -1e9)).max(1).values
            return ((hi - lo + 1) / 128).clamp(0.05, 1.0)  # half extent in [-1,1] units = width/128
        self.gw, self.gh = half(cols).to(device), half(rows).to(device)
        bgs = []
        import cv2
        jp, offs = d["bg_jpeg"], d["bg_offsets"]
        for i in range(len(offs) - 1):
            im = decode_jpeg(jp[offs[i]:offs[i + 1]])
            h, w = im.shape[:2]
            s = bg_side / max(h, w)
            im = cv2.resize(im, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            bgs.append(im)
        self.P = len(bgs)
        self.bg = torch.zeros(self.P, 3, bg_side, bg_side, dtype=torch.uint8)
        self.bg_wh = torch.zeros(self.P, 2)
        for i, im in enumerate(bgs):
            h, w = im.shape[:2]
            self.bg[i, :, :h, :w] = torch.from_numpy(im).permute(2, 0, 1)
            self.bg_wh[i] = torch.tensor([w / bg_side, h / bg_side])
        self.bg, self.bg_wh = self.bg.to(device), self.bg_wh.to(device)
        self.D = _dct_mat().to(device)
        self.qy, self.qc = _QY.to(device), _QC.to(device)

    # ------------------------------------------------------------------
    def U(self, *shape, lo=0.0, hi=1.0):
        return torch.rand(*shape, device=self.dev) * (hi - lo) + lo

    def backgrounds(self, B, S):
        dev = self.dev
        pi = torch.randint(0, self.P, (B,), device=dev)
        wh = self.bg_wh[pi]                       # fraction of the padded canvas used
        side = wh.min(1).values                   # square crop side (canvas units, 0..1)
        frac = torch.sqrt(self.U(B, lo=0.25, hi=1.0))
        cs = side * frac
        x0 = self.U(B) * (wh[:, 0] - cs)
        y0 = self.U(B) * (wh[:, 1] - cs)
        flip = torch.where(self.U(B) < 0.5, -1.0, 1.0)
        th = torch.zeros(B, 2, 3, device=dev)
        th[:, 0, 0] = cs * flip
        th[:, 1, 1] = cs
        th[:, 0, 2] = (x0 + cs / 2) * 2 - 1
        th[:, 1, 2] = (y0 + cs / 2) * 2 - 1
        grid = F.affine_grid(th, (B, 3, S, S), align_corners=False)
        src = self.bg[pi].float() / 255
        img = F.grid_sample(src, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        # procedural backgrounds (smooth colour fields, stripes) for 12 %
        proc = self.U(B) < 0.12
        if proc.any():
            k = int(proc.sum())
            g = torch.rand(k, 3, 4, 4, device=dev)
            f = F.interpolate(g, size=(S, S), mode="bicubic", align_corners=False)
            fine = F.interpolate(torch.rand(k, 3, 32, 32, device=dev), size=(S, S), mode="bilinear",
                                 align_corners=False)
            f = f + (fine - 0.5) * self.U(k, 1, 1, 1, hi=0.4)
            img[proc] = f.clamp(0, 1)
        return img

    def logo_canvas(self, B, ids):
        """RGBA [B,4,CANVAS,CANVAS] in canvas space [-E,E]^2 and the object's half extents."""
        dev = self.dev
        lin = (torch.arange(CANVAS, device=dev).float() + 0.5) / CANVAS * 2 - 1
        v, u = torch.meshgrid(lin * E, lin * E, indexing="ij")
        uu, vv = u.expand(B, -1, -1), v.expand(B, -1, -1)
        grid = torch.stack([uu, vv], -1)  # glyph canvas spans [-1,1]
        m = F.grid_sample(self.masks[ids].float() / 255, grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)[:, 0]
        gw, gh = self.gw[ids], self.gh[ids]
        brand = self.hex[ids]
        r = self.U(B)
        # styles: 0 brand 1 white 2 black 3 random colour 4 two-tone 5 badge 6 plate
        style = torch.bucketize(r, torch.tensor([0.30, 0.37, 0.44, 0.52, 0.58, 0.80], device=dev))
        col = brand.clone()
        col[style == 1] = 0.97
        col[style == 2] = 0.05
        rc = torch.rand(B, 3, device=dev)
        col = torch.where((style == 3).unsqueeze(1), rc, col)
        rgb = col[:, :, None, None].expand(B, 3, CANVAS, CANVAS).clone()
        # two-tone / gradient
        tt = (style == 4)
        if tt.any():
            ang = self.U(B, hi=2 * math.pi)
            t = (torch.cos(ang)[:, None, None] * uu + torch.sin(ang)[:, None, None] * vv)
            hard = self.U(B) < 0.5
            ramp = torch.where(hard[:, None, None], (t > self.U(B, lo=-0.3, hi=0.3)[:, None, None]).float(),
                               (t * 0.5 + 0.5).clamp(0, 1))
            c2 = torch.rand(B, 3, device=dev)
            g2 = col[:, :, None, None] * (1 - ramp[:, None]) + c2[:, :, None, None] * ramp[:, None]
            rgb = torch.where(tt[:, None, None, None], g2, rgb)
        alpha = m.clone()
        hx, hy = gw.clone(), gh.clone()
        bp = style >= 5
        if bp.any():
            pad = self.U(B, lo=0.12, hi=0.35)
            L = torch.maximum(gw, gh)
            bw, bh = gw + 2 * pad * L, gh + 2 * pad * L
            circ = (gw / gh > 0.75) & (gw / gh < 1.33) & (self.U(B) < 0.4)
            rad = torch.maximum(bw, bh) * 1.12
            rr = self.U(B, hi=0.3) * torch.minimum(bw, bh)
            qx = uu.abs() - (bw - rr)[:, None, None]
            qy = vv.abs() - (bh - rr)[:, None, None]
            sd_rect = torch.sqrt(qx.clamp(min=0) ** 2 + qy.clamp(min=0) ** 2) + torch.maximum(qx, qy).clamp(max=0) - rr[:, None, None]
            sd_circ = torch.sqrt(uu ** 2 + vv ** 2) - rad[:, None, None]
            sd = torch.where(circ[:, None, None], sd_circ, sd_rect)
            px = 2 * E / CANVAS
            back = (0.5 - sd / px).clamp(0, 1)
            lum = lambda c: 0.2126 * c[:, 0] + 0.7152 * c[:, 1] + 0.0722 * c[:, 2]  # noqa: E731
            bl = lum(brand)
            badge_back = torch.where((bl > 0.92)[:, None], torch.full_like(brand, 0.93), brand)
            badge_glyph = torch.where((lum(badge_back) < 0.6)[:, None], torch.ones_like(brand), torch.zeros_like(brand))
            plates = torch.tensor([[1, 1, 1], [.92, .92, .92], [.97, .94, .86], [.08, .08, .08]], device=dev)
            pl = plates[torch.multinomial(torch.tensor([.45, .2, .15, .2], device=dev), B, replacement=True)]
            pg = torch.where(((bl - lum(pl)).abs() > 0.25)[:, None], brand,
                             torch.where((lum(pl) > 0.5)[:, None], torch.zeros_like(brand), torch.ones_like(brand)))
            isb = (style == 5)[:, None]
            back_col = torch.where(isb, badge_back, pl)
            glyph_col = torch.where(isb, badge_glyph, pg)
            rgb2 = back_col[:, :, None, None] * (1 - m[:, None]) + glyph_col[:, :, None, None] * m[:, None]
            a2 = torch.maximum(back, m)
            rgb = torch.where(bp[:, None, None, None], rgb2, rgb)
            alpha = torch.where(bp[:, None, None], a2, alpha)
            hx = torch.where(bp, torch.where(circ, rad, bw), hx)
            hy = torch.where(bp, torch.where(circ, rad, bh), hy)
        return torch.cat([rgb, alpha[:, None]], 1), hx, hy, style

    def homography(self, B, S, hx, hy, hard=False):
        """3x3 maps canvas (u,v,1) -> scene pixels; also the logo's target size in px."""
        dev = self.dev
        frac = torch.exp(self.U(B, lo=math.log(0.05), hi=math.log(0.6)))
        size = (frac * S).clamp(min=12)                    # longest side in px
        L = torch.maximum(hx, hy)
        s = size / (2 * L)                                 # px per canvas unit
        roll = torch.deg2rad(self.U(B, lo=-25, hi=25))
        yaw = torch.deg2rad((torch.randn(B, device=dev) * 15).clamp(-45, 45))
        pit = torch.deg2rad((torch.randn(B, device=dev) * 15).clamp(-45, 45))
        asp = self.U(B, lo=0.9, hi=1.1)
        cr, sr, cy, sy, cp, sp = torch.cos(roll), torch.sin(roll), torch.cos(yaw), torch.sin(yaw), torch.cos(pit), torch.sin(pit)
        z, o = torch.zeros_like(cr), torch.ones_like(cr)
        Rz = torch.stack([cr, -sr, z, sr, cr, z, z, z, o], 1).view(B, 3, 3)
        Ry = torch.stack([cy, z, sy, z, o, z, -sy, z, cy], 1).view(B, 3, 3)
        Rx = torch.stack([o, z, z, z, cp, -sp, z, sp, cp], 1).view(B, 3, 3)
        R = Rx @ Ry @ Rz
        f = self.U(B, lo=1.2, hi=4.0) * size
        # extent after rotation (approx, before perspective): radius of the object
        rad = torch.sqrt((hx * s * asp) ** 2 + (hy * s) ** 2)
        trunc = self.U(B) < 0.05
        cx = rad + self.U(B) * (S - 2 * rad).clamp(min=0)
        cyy = rad + self.U(B) * (S - 2 * rad).clamp(min=0)
        side = torch.randint(0, 4, (B,), device=dev)
        out = self.U(B, lo=0.2, hi=0.45) * 2 * rad
        cx = torch.where(trunc & (side == 0), -rad + out, cx)
        cx = torch.where(trunc & (side == 1), S + rad - out, cx)
        cyy = torch.where(trunc & (side == 2), -rad + out, cyy)
        cyy = torch.where(trunc & (side == 3), S + rad - out, cyy)
        M = torch.zeros(B, 3, 3, device=dev)
        M[:, 0, 0] = f * R[:, 0, 0] + cx * R[:, 2, 0]
        M[:, 0, 1] = f * R[:, 0, 1] + cx * R[:, 2, 1]
        M[:, 0, 2] = cx * f
        M[:, 1, 0] = f * R[:, 1, 0] + cyy * R[:, 2, 0]
        M[:, 1, 1] = f * R[:, 1, 1] + cyy * R[:, 2, 1]
        M[:, 1, 2] = cyy * f
        M[:, 2, 0] = R[:, 2, 0]
        M[:, 2, 1] = R[:, 2, 1]
        M[:, 2, 2] = f
        D = torch.zeros(B, 3, 3, device=dev)
        D[:, 0, 0] = s * asp
        D[:, 1, 1] = s
        D[:, 2, 2] = 1
        return M @ D, size

    def warp(self, canvas, H, S, size, hx, hy):
        B = canvas.shape[0]
        dev = self.dev
        Hi = torch.linalg.inv(H)
        lin = torch.arange(S, device=dev).float() + 0.5
        yy, xx = torch.meshgrid(lin, lin, indexing="ij")
        pts = torch.stack([xx, yy, torch.ones_like(xx)], -1).view(1, -1, 3)
        q = pts @ Hi.transpose(1, 2)                       # [B,S*S,3]
        w = q[..., 2:3]
        uv = q[..., :2] / torch.where(w.abs() < 1e-6, torch.full_like(w, 1e-6), w)
        grid = (uv / E).view(B, S, S, 2)
        grid = torch.where((w > 0).view(B, S, S, 1), grid, torch.full_like(grid, 4.0))
        # texels per pixel -> mip level
        L = torch.maximum(hx, hy)
        tpp = (CANVAS * L / E) / size
        lvl = torch.log2(tpp.clamp(min=1)).round().clamp(0, 3).long()
        out = torch.zeros(B, 4, S, S, device=dev)
        c = canvas
        for l in range(4):
            sel = lvl == l
            if sel.any():
                out[sel] = F.grid_sample(c[sel], grid[sel], mode="bilinear", padding_mode="zeros",
                                         align_corners=False)
            c = F.avg_pool2d(c, 2)
        return out

    def blur(self, x, sigma):
        """Per-sample separable gaussian blur; sigma [B] (0 = none)."""
        B, C, H, W = x.shape
        r = int(math.ceil(3 * float(sigma.max()))) if sigma.numel() else 0
        if r < 1:
            return x
        t = torch.arange(-r, r + 1, device=self.dev).float()
        k = torch.exp(-t[None] ** 2 / (2 * sigma[:, None].clamp(min=1e-3) ** 2))
        k = k / k.sum(1, keepdim=True)
        k = k.repeat_interleave(C, 0)
        y = x.reshape(1, B * C, H, W)
        y = F.conv2d(F.pad(y, (r, r, 0, 0), mode="reflect"), k.view(B * C, 1, 1, -1), groups=B * C)
        y = F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect"), k.view(B * C, 1, -1, 1), groups=B * C)
        return y.view(B, C, H, W)

    def jpeg(self, x, q):
        """x [B,3,S,S] in [0,1]; q [B] quality 1..100. 8x8 DCT quantisation with 4:2:0 chroma."""
        B, _, S, _ = x.shape
        r, g, b = x[:, 0] * 255, x[:, 1] * 255, x[:, 2] * 255
        Y = 0.299 * r + 0.587 * g + 0.114 * b
        Cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
        Cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
        scale = torch.where(q < 50, 5000 / q, 200 - 2 * q)

        def quant(ch, table):
            n, h, w = ch.shape
            blk = (ch - 128).view(n, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)
            co = self.D @ blk @ self.D.T
            T = ((table[None] * scale.view(-1, 1, 1) + 50) / 100).floor().clamp(1, 255)
            T = T.view(n, 1, 1, 8, 8)
            co = torch.round(co / T) * T
            blk = self.D.T @ co @ self.D
            return blk.permute(0, 1, 3, 2, 4).reshape(n, h, w) + 128

        Y = quant(Y, self.qy)
        cbcr = F.avg_pool2d(torch.stack([Cb, Cr], 1), 2)
        h2 = cbcr.shape[-1]
        if h2 % 8 == 0:
            cb = quant(cbcr[:, 0], self.qc)
            cr = quant(cbcr[:, 1], self.qc)
            cbcr = torch.stack([cb, cr], 1)
        cbcr = F.interpolate(cbcr, scale_factor=2, mode="bilinear", align_corners=False)
        Cb, Cr = cbcr[:, 0] - 128, cbcr[:, 1] - 128
        r = Y + 1.402 * Cr
        g = Y - 0.344136 * Cb - 0.714136 * Cr
        b = Y + 1.772 * Cb
        return (torch.stack([r, g, b], 1) / 255).clamp(0, 1)

    # ------------------------------------------------------------------
    @torch.no_grad()
    def batch(self, B, S=320, p_none=0.08, ids=None):
        dev = self.dev
        img = self.backgrounds(B, S)
        if ids is None:
            ids = torch.randint(0, self.n, (B,), device=dev)
        none = self.U(B) < p_none
        canvas, hx, hy, style = self.logo_canvas(B, ids)
        H, size = self.homography(B, S, hx, hy)
        wl = self.warp(canvas, H, S, size, hx, hy)          # [B,4,S,S]
        rgb, a = wl[:, :3], wl[:, 3:4]
        # logo softness (optics / upscaled photo)
        sig = self.U(B, hi=0.7) * (self.U(B) < 0.5)
        wl = self.blur(torch.cat([rgb * a, a], 1), sig)
        a = wl[:, 3:4]
        rgb = wl[:, :3] / a.clamp(min=1e-4)
        # lighting: gain + gradient in scene coordinates
        lin = (torch.arange(S, device=dev).float() + 0.5) / S - 0.5
        gain = (self.U(B, 1, 1, 1, lo=0.7, hi=1.12) + self.U(B, 1, 1, 1, lo=-0.4, hi=0.4) * lin.view(1, 1, 1, S)
                + self.U(B, 1, 1, 1, lo=-0.4, hi=0.4) * lin.view(1, 1, S, 1))
        rgb = rgb * gain
        tex_on = (self.U(B) < 0.35).float().view(B, 1, 1, 1)
        gray = img.mean(1, keepdim=True)
        tex = (gray / (F.avg_pool2d(gray, 17, 1, 8, count_include_pad=False) + 0.05)).clamp(0.3, 2.0)
        k = self.U(B, 1, 1, 1, lo=0.2, hi=0.6) * tex_on
        rgb = rgb * ((1 - k) + k * tex)
        a = a * torch.where(self.U(B, 1, 1, 1) < 0.25, self.U(B, 1, 1, 1, lo=0.7, hi=0.95), torch.ones(B, 1, 1, 1, device=dev))
        # sticker / drop shadow
        shad = ((style >= 5) & (self.U(B) < 0.4)).float().view(B, 1, 1, 1)
        if shad.any():
            dx, dy = [int(v) for v in torch.randint(-4, 5, (2,))]
            sh = torch.roll(F.avg_pool2d(a, 5, 1, 2), (dy, dx), (2, 3))
            img = img * (1 - shad * self.U(B, 1, 1, 1, lo=0.2, hi=0.5) * sh)
        a = a * (~none).float().view(B, 1, 1, 1)
        img = img * (1 - a) + rgb.clamp(0, 1) * a
        # occluders
        vis = a.clone()
        occ = (self.U(B) < 0.3) & ~none
        if occ.any():
            img, vis = self.occlude(img, vis, H, size, occ)
        img = self.degrade(img)
        labels = torch.where(none, torch.full_like(ids, self.n), ids)
        return img, labels, vis[:, 0]

    def occlude(self, img, vis, H, size, occ):
        B, _, S, _ = img.shape
        dev = self.dev
        cxy = H[:, :2, 2] / H[:, 2:3, 2]                     # logo centre in px
        lin = torch.arange(S, device=dev).float() + 0.5
        yy, xx = torch.meshgrid(lin, lin, indexing="ij")
        dx, dy = xx[None] - cxy[:, 0, None, None], yy[None] - cxy[:, 1, None, None]
        ang = self.U(B, hi=2 * math.pi)
        nx, ny = torch.cos(ang)[:, None, None], torch.sin(ang)[:, None, None]
        kind = torch.randint(0, 3, (B,), device=dev)          # 0 bar 1 blob 2 glare
        sz = size[:, None, None]
        # bar: band at offset d along n, half width hw
        hw = self.U(B, lo=0.06, hi=0.2)[:, None, None] * sz + 1.5
        d = self.U(B, lo=-0.3, hi=0.3)[:, None, None] * sz
        bar = (hw - (dx * nx + dy * ny - d).abs() + 0.5).clamp(0, 1)
        # blob: ellipse off-centre
        r0 = self.U(B, lo=0.25, hi=0.5)[:, None, None] * sz
        off = self.U(B, lo=0.35, hi=0.8)[:, None, None] * sz
        ex, ey = dx - nx * off, dy - ny * off
        el = self.U(B, lo=0.5, hi=1.0)[:, None, None]
        rr = torch.sqrt((ex * nx + ey * ny) ** 2 + ((-ex * ny + ey * nx) / el) ** 2)
        blob = ((r0 - rr) / 2 + 0.5).clamp(0, 1)
        # glare
        gl = torch.exp(-(ex ** 2 + ey ** 2) / (2 * (0.25 * sz) ** 2)) * self.U(B, lo=0.6, hi=0.95)[:, None, None]
        m = torch.where((kind == 0)[:, None, None], bar, torch.where((kind == 1)[:, None, None], blob, gl))
        m = m * occ.float()[:, None, None]
        m = m[:, None]
        shift = (int(torch.randint(S // 4, 3 * S // 4, (1,))), int(torch.randint(S // 4, 3 * S // 4, (1,))))
        patch = torch.roll(img, shift, (2, 3))
        patch = F.avg_pool2d(patch, 5, 1, 2, count_include_pad=False) * self.U(B, 1, 1, 1, lo=0.4, hi=1.0)
        colour = torch.rand(B, 3, 1, 1, device=dev) * 0.8
        fill = torch.where((self.U(B, 1, 1, 1) < 0.5) & (kind == 0).view(B, 1, 1, 1), colour.expand_as(img), patch)
        is_gl = (kind == 2).view(B, 1, 1, 1)
        occluded = torch.where(is_gl, img + (1 - img) * m, img * (1 - m) + fill * m)
        return occluded, vis * (1 - m)

    def degrade(self, img):
        B, _, S, _ = img.shape
        dev = self.dev
        wb = self.U(B, 3, lo=0.9, hi=1.1)
        sat = self.U(B, 1, 1, 1, lo=0.7, hi=1.3)
        gray = (img * torch.tensor([0.299, 0.587, 0.114], device=dev).view(1, 3, 1, 1)).sum(1, keepdim=True)
        img = (gray + (img - gray) * sat) * wb[:, :, None, None]
        c, b = self.U(B, 1, 1, 1, lo=0.8, hi=1.2), self.U(B, 1, 1, 1, lo=-0.08, hi=0.08)
        gam = self.U(B, 1, 1, 1, lo=0.8, hi=1.25)
        img = ((img - 0.5) * c + 0.5 + b).clamp(0, 1) ** gam
        r = self.U(B)
        sig = torch.where(r < 0.22, self.U(B, lo=0.5, hi=1.8), torch.zeros(B, device=dev))
        img = self.blur(img, sig)
        mot = (r > 0.22) & (r < 0.30)
        if mot.any():
            L = int(torch.randint(3, 10, (1,)))
            k = torch.ones(1, 1, 1, L, device=dev) / L
            x = img[mot].reshape(-1, 1, S, S)
            x = F.conv2d(F.pad(x, (L // 2, (L - 1) // 2, 0, 0), mode="replicate"), k) if int(torch.randint(2, (1,))) \
                else F.conv2d(F.pad(x, (0, 0, L // 2, (L - 1) // 2), mode="replicate"), k.transpose(2, 3))
            img[mot] = x.view(-1, 3, S, S)
        rs = self.U(B) < 0.15
        if rs.any():
            f = float(self.U(1, lo=0.4, hi=0.8))
            x = F.interpolate(img[rs], scale_factor=f, mode="area")
            img[rs] = F.interpolate(x, size=(S, S), mode="bilinear", align_corners=False)
        nz = (self.U(B, 1, 1, 1) < 0.3).float() * self.U(B, 1, 1, 1, lo=0.005, hi=0.03)
        img = (img + torch.randn_like(img) * nz).clamp(0, 1)
        q = self.U(B, lo=30, hi=95).round()
        return self.jpeg(img, q)
