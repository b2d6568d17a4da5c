"""Activation functions: value a = f(z) and the backward pass dz = dy ⊙ f'(z).

Each activation is a small object with ``value(z)`` and ``backward(dy, z, a)``.
Element-wise ones define ``derivative(z, a)`` (f'(z), from whichever of z or
a = f(z) is cheaper); softmax is not element-wise and defines its own backward
(a Jacobian-vector product). Arrays may be NumPy or CuPy: only ufuncs and
array methods are used.
"""
from __future__ import annotations

from typing import Any

import numpy as np  # ufuncs and np.where dispatch to CuPy for CuPy arrays

from .errors import ConfigError


class ActivationFunction:
    """f applied to pre-activations z (n, units)."""

    name = "activation"
    elementwise = True

    def __call__(self, z):
        return self.value(z)

    def value(self, z):
        raise NotImplementedError

    def derivative(self, z, a):
        """f'(z), element-wise; ``a`` is f(z) (already computed by forward)."""
        raise NotImplementedError

    def backward(self, dy, z, a):
        """dL/dz = dL/da ⊙ f'(z)  (BP1/BP2's ⊙ σ'(z) factor)."""
        return dy * self.derivative(z, a)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Linear(ActivationFunction):
    """f(z) = z."""

    name = "linear"

    def value(self, z):
        return z

    def derivative(self, z, a):
        return 1.0

    def backward(self, dy, z, a):
        return dy


class Sigmoid(ActivationFunction):
    """σ(z) = 1 / (1 + e^{-z}), σ' = σ(1 - σ).

    Computed as ½(1 + tanh(z/2)), which never overflows for large |z|.
    """

    name = "sigmoid"

    def value(self, z):
        a = z * 0.5
        np.tanh(a, out=a)
        a += 1.0
        a *= 0.5
        return a

    def derivative(self, z, a):
        return a * (1.0 - a)


class Tanh(ActivationFunction):
    """tanh(z) = (1 - e^{-2z}) / (1 + e^{-2z}), tanh' = 1 - tanh²."""

    name = "tanh"

    def value(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - a * a


class ReLU(ActivationFunction):
    """relu(z) = max(z, 0), relu' = 1[z > 0]."""

    name = "relu"

    def value(self, z):
        return np.maximum(z, 0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, dy, z, a):
        return dy * (z > 0)


class LeakyReLU(ActivationFunction):
    """leaky_relu(z) = z if z > 0 else α·z, derivative 1 or α (notes: α = 0.01)."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        alpha = float(alpha)
        if not alpha >= 0:
            raise ConfigError(f"leaky_relu alpha must be >= 0, got {alpha}")
        self.alpha = alpha

    def value(self, z):
        return np.where(z > 0, z, z * self.alpha).astype(z.dtype, copy=False)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype, copy=False)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class ELU(ActivationFunction):
    """elu(z) = z if z > 0 else α(e^z - 1); derivative 1 or elu(z) + α (notes: α = 1)."""

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        alpha = float(alpha)
        if not alpha > 0:
            raise ConfigError(f"elu alpha must be > 0, got {alpha}")
        self.alpha = alpha

    def value(self, z):
        neg = np.expm1(np.minimum(z, 0)) * self.alpha  # min() keeps exp from overflowing
        return np.where(z > 0, z, neg).astype(z.dtype, copy=False)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, a + self.alpha).astype(z.dtype, copy=False)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class Softmax(ActivationFunction):
    """softmax(z)_i = e^{z_i - max z} / Σ_j e^{z_j - max z} over the last axis (stable).

    Backward (Jacobian-vector product): dz = a ⊙ (dy - Σ_j dy_j a_j).
    With categorical cross-entropy the model fuses both into dz = (a - y)/n.
    """

    name = "softmax"
    elementwise = False

    def value(self, z):
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def backward(self, dy, z, a):
        return a * (dy - (dy * a).sum(axis=-1, keepdims=True))


_TABLE = {cls.name: cls for cls in (Linear, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax)}
_ALIASES = {None: "linear", "identity": "linear", "leakyrelu": "leaky_relu", "leaky-relu": "leaky_relu"}


def get(identifier: str | ActivationFunction | None, **kwargs) -> ActivationFunction:
    """An activation by name ("relu", "leaky_relu", ...) or passed through if already one."""
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, dict):
        cfg = dict(identifier)
        return get(cfg.pop("name"), **cfg)
    key = _ALIASES.get(identifier.lower() if isinstance(identifier, str) else identifier,
                       identifier.lower() if isinstance(identifier, str) else identifier)
    if key not in _TABLE:
        raise ConfigError(f"unknown activation {identifier!r}; valid: {', '.join(sorted(_TABLE))}")
    return _TABLE[key](**kwargs)


def names() -> list[str]:
    return sorted(_TABLE)
