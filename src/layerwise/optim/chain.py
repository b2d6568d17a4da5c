"""The gradient chain: the ordered transforms every update applies before its rule (optax's ``chain``).

    1. clip by value      g ← clip(g, −c, c)                       element-wise
    2. clip by norm       g ← g · min(1, c/‖g‖)   per tensor       a reduction per tensor
    3. clip global norm   g ← g · min(1, c/‖(g₁, g₂, …)‖)          one reduction, then a scale
    4. coupled decay      g ← g + λ·w                              element-wise (coupled L2; SGD's
                          w ← (1 − ηλ)w − η∇ in the notes; AdamW decays in its rule instead)
    5. the update rule    (optimizers.py: one element-wise body per rule)

:func:`prepare` runs the reductions (steps 2–3, with step 1 first when a reduction must see clipped
values) on the host, in place, and leaves the scalars of the element-wise part; :func:`element` is
that part on one value. The same :func:`element` runs on whole arrays (NumPy, CuPy) and, inlined,
on scalars inside the compiled kernel, so every backend computes the same chain in the same order.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.backend import array_module_of


def clip_value(g, c):
    """clip(g, −c, c) on arrays; the kernel's per-element twin is two comparisons (fused.TEMPLATE:
    NumPy's minimum/maximum would stop Numba vectorising), the same value for every input (tests)."""
    return array_module_of(g).clip(g, -c, c)


def element(g, w, clip, scale, wd):
    """Steps 1, 3 and 4 on one gradient value ``g`` of weight ``w`` (or element-wise on arrays):
    clip(g, −clip, clip)·scale + wd·w. Off is clip = ∞, scale = 1, wd = 0."""
    return clip_value(g, clip) * scale + wd * w


def on_arrays(g, w, clip, scale, wd):
    """:func:`element` on whole arrays, skipping the steps that are off (clip = ∞, scale = 1,
    wd = 0): the same values (x·1 = x, x + 0·w = x for finite w) with fewer passes."""
    if clip != math.inf:
        g = clip_value(g, clip)
    if scale != 1:
        g = g * scale
    if wd:
        g = g + wd * w
    return g


def global_norm(grads: list) -> float:
    """‖(g₁, g₂, …)‖ over all tensors, in float64."""
    return math.sqrt(sum(float((g * g).sum()) for g in grads))


def prepare(opt, grads: list, tensors: list | None) -> tuple[float, float, float]:
    """Run the chain's reductions for optimizer ``opt`` (in place on ``grads``) and return the
    element-wise scalars (clip, scale, wd) for :func:`element`. ``tensors``: per-tensor views of
    ``grads`` for the per-tensor norm when ``grads`` holds one flat buffer."""
    clip = opt.clipvalue
    if clip is not None and (opt.clipnorm is not None or opt.global_clipnorm is not None):
        for g in grads:  # the norms below must see clipped values
            np.clip(g, -clip, clip, out=g)
        clip = None
    if opt.clipnorm is not None:
        for g in (tensors if tensors is not None else grads):
            norm = float(np.sqrt((g * g).sum()))
            if norm > opt.clipnorm:
                g *= opt.clipnorm / norm
    scale = 1.0
    if opt.global_clipnorm is not None:
        norm = global_norm(grads)
        if norm > opt.global_clipnorm:
            scale = opt.global_clipnorm / norm
    wd = opt.weight_decay if opt.couples_weight_decay else 0.0
    return (math.inf if clip is None else clip), scale, wd
