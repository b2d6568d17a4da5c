"""The Numba kernel behind core/augment.py (imported on first use; cached on disk)."""
import numba as nb
import numpy as np


@nb.njit(cache=True, error_model="numpy", nogil=True)
def warp(x, inv, shift, out):
    """out[k, r, c] = bilinear sample of x[k] at inv[k]·((r, c) − centre − shift[k]) + centre,
    zero outside the image (SciPy's mode="grid-constant"). x, out: (m, h, w); inv: (m, 2, 2);
    shift: (m, 2). Each image is copied into a zero border first, so the inner loop has no
    bounds checks: a sample that falls outside is clamped onto the border, which holds zeros."""
    m, h, w = x.shape
    cr, cc = (h - 1) / 2.0, (w - 1) / 2.0
    pad = np.zeros((h + 3, w + 3), dtype=x.dtype)  # image at [1:h+1, 1:w+1]; zeros around it
    for k in range(m):
        pad[1:h + 1, 1:w + 1] = x[k]
        a, b, c, d = inv[k, 0, 0], inv[k, 0, 1], inv[k, 1, 0], inv[k, 1, 1]
        for r in range(h):
            dr = r - cr - shift[k, 0]
            dc0 = -cc - shift[k, 1]
            sr = a * dr + b * dc0 + cr + 1.0  # in padded coordinates
            sc = c * dr + d * dc0 + cc + 1.0
            for col in range(w):
                fr0 = np.floor(sr)
                fc0 = np.floor(sc)
                fr = sr - fr0
                fc = sc - fc0
                if fr0 < 0.0:
                    fr0, fr = 0.0, 0.0
                elif fr0 > h + 1.0:
                    fr0, fr = h + 1.0, 0.0
                if fc0 < 0.0:
                    fc0, fc = 0.0, 0.0
                elif fc0 > w + 1.0:
                    fc0, fc = w + 1.0, 0.0
                i = int(fr0)
                j = int(fc0)
                top = pad[i, j] + fc * (pad[i, j + 1] - pad[i, j])
                bottom = pad[i + 1, j] + fc * (pad[i + 1, j + 1] - pad[i + 1, j])
                out[k, r, col] = top + fr * (bottom - top)
                sr += b
                sc += d
