"""An independent float64 NumPy computation of the book's formulas (BP1-BP4 and the update rule),
written from the equations, for the tests of the book's API."""
import numpy as np


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_backprop(weights, biases, x, y, quadratic):
    """∇_b C_x, ∇_w C_x for one input by BP1-BP4, in the book's layout."""
    a, acts, zs = x, [x], []
    for w, b in zip(weights, biases):
        z = w @ a + b
        zs.append(z)
        a = sig(z)
        acts.append(a)
    delta = (a - y) * sig(zs[-1]) * (1 - sig(zs[-1])) if quadratic else a - y      # BP1
    nb, nw = [None] * len(weights), [None] * len(weights)
    nb[-1], nw[-1] = delta, delta @ acts[-2].T                                    # BP3, BP4
    for l in range(2, len(weights) + 1):
        s = sig(zs[-l])
        delta = (weights[-l + 1].T @ delta) * s * (1 - s)                         # BP2
        nb[-l], nw[-l] = delta, delta @ acts[-l - 1].T
    return nb, nw


def ref_update(weights, biases, batch, eta, lmbda, n, quadratic):
    """w ← (1 − ηλ/n)w − (η/m)Σ∇_w C_x;  b ← b − (η/m)Σ∇_b C_x."""
    sb = [np.zeros_like(b) for b in biases]
    sw = [np.zeros_like(w) for w in weights]
    for x, y in batch:
        nb, nw = ref_backprop(weights, biases, x, y, quadratic)
        sb = [s + d for s, d in zip(sb, nb)]
        sw = [s + d for s, d in zip(sw, nw)]
    m = len(batch)
    return ([(1 - eta * lmbda / n) * w - (eta / m) * g for w, g in zip(weights, sw)],
            [b - (eta / m) * g for b, g in zip(biases, sb)])
