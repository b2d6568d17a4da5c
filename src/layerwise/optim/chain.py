"""The gradient chain: the ordered transforms every update applies before its rule (optax's ``chain``).

    1. clip by value      g ← clip(g, −c, c)                       element-wise
    2. clip by norm       g ← g · min(1, c/‖g‖)   per tensor       a reduction per tensor
    3. clip global norm   g ← g · min(1, c/‖(g₁, g₂, …)‖)          one reduction, then a scale
    4. coupled decay      g ← g + λ·w                              element-wise (coupled L2; SGD's
                          w ← (1 − ηλ)w − η∇ in the notes; AdamW decays in its rule instead)
    5. the update rule    (optimizers.py: one element-wise body per rule)

:func:`reduced` runs the reductions (steps 2–3, with step 1 first when a reduction must see clipped
values), written once against xp (the XLA step traces it; :func:`prepare` runs it in place on NumPy),
and leaves the scalars of the element-wise part; :func:`element` is that part on one value, run on
whole arrays (NumPy, jax.numpy) and, inlined, on scalars inside the fused kernel: every engine computes
the same chain in the same order.
"""
from __future__ import annotations

import math
from typing import Any

from ..core.backend import array_module_of, traced


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
    wd = 0): the same values (x·1 = x, x + 0·w = x for finite w) with fewer passes. ``scale`` may
    be a traced 0-d array (the XLA engine's global norm scale)."""
    if clip != math.inf:
        g = clip_value(g, clip)
    if not (isinstance(scale, (int, float)) and scale == 1):
        g = g * scale
    if wd:
        g = g + wd * w
    return g


def global_norm(grads: list):
    """‖(g₁, g₂, …)‖ over all tensors: each Σg², summed in float64 on NumPy (a float), in the
    tensors' dtype under XLA (a 0-d array)."""
    if not traced(grads[0]):
        return math.sqrt(sum(float((g * g).sum()) for g in grads))
    return array_module_of(grads[0]).sqrt(sum((g * g).sum() for g in grads))


def norm_scale(g, c):
    """min(1, c/‖g‖), ‖g‖ = √Σg² in g's dtype: the factor that brings g to a norm of at most ``c``."""
    xp = array_module_of(g)
    norm = xp.sqrt((g * g).sum())
    return xp.where(norm > c, c / norm, 1.0)


def reduced(opt, grads: list) -> tuple[list, float, Any, float]:
    """Steps 1–3 for optimizer ``opt`` on one gradient per tensor, written once against xp:
    (the gradients after the per-tensor norm clip, the clip left for :func:`element`, the global
    scale, the coupled decay). When a norm is taken, clipping by value comes first (the norm must
    see clipped values) and the returned clip is ∞."""
    clip = opt.clipvalue
    if clip is not None and (opt.clipnorm is not None or opt.global_clipnorm is not None):
        grads = [clip_value(g, clip) for g in grads]
        clip = None
    if opt.clipnorm is not None:
        grads = [g * norm_scale(g, opt.clipnorm) for g in grads]
    scale: Any = 1.0
    if opt.global_clipnorm is not None:
        norm = global_norm(grads)
        scale = min(1.0, opt.global_clipnorm / norm) if isinstance(norm, float) else \
            array_module_of(norm).where(norm > opt.global_clipnorm, opt.global_clipnorm / norm, 1.0)
    wd = opt.weight_decay if opt.couples_weight_decay else 0.0
    return grads, (math.inf if clip is None else clip), scale, wd


def prepare(opt, grads: list, tensors: list | None) -> tuple[float, float, float]:
    """:func:`reduced` on the NumPy engine, in place on ``grads``, returning the element-wise
    scalars (clip, scale, wd) for :func:`element`. ``tensors``: per-tensor views of ``grads`` for
    the per-tensor norm when ``grads`` holds one flat buffer."""
    views = tensors if tensors is not None else grads
    new, clip, scale, wd = reduced(opt, views)
    if new is not views:  # a norm was taken: the clipped values go back into the buffer
        for view, value in zip(views, new):
            view[...] = value
    return clip, float(scale), wd
