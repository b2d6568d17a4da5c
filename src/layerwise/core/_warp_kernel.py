"""The Numba kernel behind core/augment.py (imported on first use; cached on disk)."""
import numba as nb
import numpy as np


@nb.njit(cache=True, error_model="numpy", nogil=True)
def warp(x, inv, shift, out):
    """out[k, r, c] = bilinear sample of x[k] at inv[k]·((r, c) − centre − shift[k]) + centre,
    zero outside the image. x, out: (m, h, w); inv: (m, 2, 2); shift: (m, 2)."""
    m, h, w = x.shape
    cr, cc = (h - 1) / 2.0, (w - 1) / 2.0
    for k in range(m):
        a, b, c, d = inv[k, 0, 0], inv[k, 0, 1], inv[k, 1, 0], inv[k, 1, 1]
        for r in range(h):
            dr = r - cr - shift[k, 0]
            for col in range(w):
                dc = col - cc - shift[k, 1]
                sr = a * dr + b * dc + cr
                sc = c * dr + d * dc + cc
                r0 = int(np.floor(sr))
                c0 = int(np.floor(sc))
                fr = sr - r0
                fc = sc - c0
                v = 0.0
                if 0 <= r0 < h and 0 <= c0 < w:
                    v += (1 - fr) * (1 - fc) * x[k, r0, c0]
                if 0 <= r0 < h and 0 <= c0 + 1 < w:
                    v += (1 - fr) * fc * x[k, r0, c0 + 1]
                if 0 <= r0 + 1 < h and 0 <= c0 < w:
                    v += fr * (1 - fc) * x[k, r0 + 1, c0]
                if 0 <= r0 + 1 < h and 0 <= c0 + 1 < w:
                    v += fr * fc * x[k, r0 + 1, c0 + 1]
                out[k, r, col] = v
