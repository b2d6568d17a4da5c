"""A Dense layer's element-wise passes, each fused into one compiled loop (Numba), for the step program.

    forward:  a = f(z + b)                      z (n, units) overwritten by a; b (units,)
    backward: δ = dy ⊙ f'(a);  ∂L/∂b = Σ_rows δ   dy (n, units) overwritten by δ; a (n, units); gb (units,)

Each loop does what the activation class does on arrays (``activations.py``, the readable
reference), with the same IEEE operations in the same order. σ, tanh and ELU would call the platform's
exponential, which may differ from NumPy's in the last bit, so their forward pass adds the bias
here and then runs the class's own ufunc: every pass is bit-identical to the reference
(``tests/test_program.py``). Only the built-in classes listed in :data:`KINDS` have a kernel: a subclass
that changes the arithmetic keeps its own ``value``/``backward``.
"""
from __future__ import annotations

import numba as nb

from . import activations as act

LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH, ELU = range(6)
KINDS = {act.Linear: LINEAR, act.ReLU: RELU, act.LeakyReLU: LEAKY_RELU, act.Sigmoid: SIGMOID,
         act.Tanh: TANH, act.ELU: ELU}


EXACT_FORWARD = (LINEAR, RELU, LEAKY_RELU)  # the forward loop is the reference's arithmetic; the rest
                                           # call NumPy/SciPy's exp/tanh/expm1 (the same bits) after the bias


def kind_of(activation) -> int | None:
    """The kernel for this activation object, or None (no kernel: the layer runs its reference)."""
    return KINDS.get(type(activation))


def alpha_of(activation) -> float:
    return float(getattr(activation, "alpha", 0.0))


@nb.njit(nogil=True, cache=True, error_model="numpy")
def bias_activation(z, b, kind, alpha):
    """z ← f(z + b) in place (b of shape (0,) when the layer has no bias), row by row. For the
    kinds in :data:`EXACT_FORWARD` only; for the others the program adds the bias and runs the
    activation's own ufunc in place, so the forward pass is bit-identical to the reference for every kind."""
    n, m = z.shape
    one = z.dtype.type(1)
    zero = z.dtype.type(0)
    alpha = z.dtype.type(alpha)
    has_bias = b.shape[0] > 0
    for i in range(n):
        row = z[i]
        if has_bias:
            for j in range(m):
                row[j] = row[j] + b[j]
        if kind == RELU:  # np.maximum(z, 0): NaN stays NaN
            for j in range(m):
                v = row[j]
                row[j] = zero if v <= zero else v
        elif kind == LEAKY_RELU:  # z·(1 if z > 0 else α)
            for j in range(m):
                v = row[j]
                row[j] = v * (one if v > zero else alpha)


@nb.njit(nogil=True, cache=True, error_model="numpy")
def activation_backward_bias(d, a, gb, kind, alpha):
    """d ← d ⊙ f'(a) in place (f' from the output a), and gb ← Σ_rows d (gb of shape (0,): no bias)."""
    n, m = d.shape
    one = d.dtype.type(1)
    zero = d.dtype.type(0)
    alpha = d.dtype.type(alpha)
    has_bias = gb.shape[0] > 0
    for j in range(gb.shape[0]):
        gb[j] = zero
    for i in range(n):
        row = d[i]
        ar = a[i]
        if kind == RELU:  # dy·1[a > 0]
            for j in range(m):
                row[j] = row[j] * (one if ar[j] > zero else zero)
        elif kind == LEAKY_RELU:
            for j in range(m):
                row[j] = row[j] * (one if ar[j] > zero else alpha)
        elif kind == SIGMOID:  # dy·a − a·(dy·a)
            for j in range(m):
                t = row[j] * ar[j]
                row[j] = t - ar[j] * t
        elif kind == TANH:  # dy·(1 − a²)
            for j in range(m):
                row[j] = row[j] * (one - ar[j] * ar[j])
        elif kind == ELU:  # dy·(1 if a > 0 else a + α)
            for j in range(m):
                row[j] = row[j] * (one if ar[j] > zero else ar[j] + alpha)
        if has_bias:
            for j in range(m):
                gb[j] = gb[j] + row[j]

