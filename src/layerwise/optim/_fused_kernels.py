"""The Numba kernels behind optim/fused.py (imported only when a fused update first runs, so that
``import layerwise`` does not import Numba). Defined at module level so Numba's disk cache finds
them again in the next process."""
import numba as nb
import numpy as np

# Each rule is one flat loop over [0, n) that LLVM vectorises (AVX): no helper calls, no
# branch on the element inside it; clipping with clip = ∞ when off, the decay with λ = 0.
jit = dict(cache=True, error_model="numpy", nogil=True)
inline = nb.njit(inline="always", error_model="numpy")

@inline
def sgd_loop(p, g, clip, scale, wd, lr):
    for i in range(p.size):
        pi, gi = p[i], g[i]
        gi = clip if gi > clip else gi
        gi = -clip if gi < -clip else gi
        p[i] = pi - lr * (gi * scale + wd * pi)

@inline
def momentum_loop(p, g, vel, clip, scale, wd, lr, mu):
    for i in range(p.size):
        pi, gi = p[i], g[i]
        gi = clip if gi > clip else gi
        gi = -clip if gi < -clip else gi
        v = vel[i] * mu - lr * (gi * scale + wd * pi)
        vel[i] = v
        p[i] = pi + v

@inline
def nesterov_loop(p, g, vel, clip, scale, wd, lr, mu):
    for i in range(p.size):
        pi, gi = p[i], g[i]
        gi = clip if gi > clip else gi
        gi = -clip if gi < -clip else gi
        step = lr * (gi * scale + wd * pi)
        v = vel[i] * mu - step
        vel[i] = v
        p[i] = (pi - step) + v * mu

@inline
def scaled_loop(p, g, s, clip, scale, wd, lr, rho, orho, eps):
    for i in range(p.size):
        pi, gi = p[i], g[i]
        gi = clip if gi > clip else gi
        gi = -clip if gi < -clip else gi
        gi = gi * scale + wd * pi
        si = s[i] * rho + (gi * gi) * orho
        s[i] = si
        p[i] = pi - (gi / (np.sqrt(si) + eps)) * lr

@inline
def adam_loop(p, g, m, v, clip, scale, wd, decay, b1, ob1, b2, ob2, eps, step, c2):
    for i in range(p.size):
        pi, gi = p[i], g[i]
        gi = clip if gi > clip else gi
        gi = -clip if gi < -clip else gi
        gi = gi * scale + wd * pi
        mi = m[i] * b1 + gi * ob1
        vi = v[i] * b2 + (gi * gi) * ob2
        m[i] = mi
        v[i] = vi
        p[i] = pi * decay - (mi / (np.sqrt(vi) * c2 + eps)) * step

@inline
def average_loop(shadow, p, d, od):
    for i in range(p.size):
        shadow[i] = d * shadow[i] + od * p[i]

@nb.njit(**jit)
def sgd(p, g, clip, scale, wd, lr, ema, shadow, d, od):
    sgd_loop(p, g, clip, scale, wd, lr)
    if ema:
        average_loop(shadow, p, d, od)

@nb.njit(**jit)
def momentum(p, g, vel, clip, scale, wd, lr, mu, nesterov, ema, shadow, d, od):
    if nesterov:
        nesterov_loop(p, g, vel, clip, scale, wd, lr, mu)
    else:
        momentum_loop(p, g, vel, clip, scale, wd, lr, mu)
    if ema:
        average_loop(shadow, p, d, od)

@nb.njit(**jit)
def scaled(p, g, s, clip, scale, wd, lr, rho, orho, eps, ema, shadow, d, od):
    """AdaGrad (ρ = 1 − ρ = 1) and RMSProp: s ← ρs + (1 − ρ)g²; w ← w − η·g/(√s + ε)."""
    scaled_loop(p, g, s, clip, scale, wd, lr, rho, orho, eps)
    if ema:
        average_loop(shadow, p, d, od)

@nb.njit(**jit)
def adam(p, g, m, v, clip, scale, wd, decay, b1, ob1, b2, ob2, eps, step, c2, ema, shadow, d, od):
    adam_loop(p, g, m, v, clip, scale, wd, decay, b1, ob1, b2, ob2, eps, step, c2)
    if ema:
        average_loop(shadow, p, d, od)

@nb.njit(**jit)
def flush(a, tiny):
    """Entries with |x| < tiny → 0 (NaN stays NaN)."""
    for i in range(a.size):
        x = a[i]
        a[i] = x * 0 if abs(x) < tiny else x

KERNELS = {"sgd": sgd, "momentum": momentum, "scaled": scaled, "adam": adam, "flush": flush}
