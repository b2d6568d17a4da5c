"""Activation functions: a = f(z) and the backward pass dz = dy ⊙ f'(z).

Each activation is a small object with ``value(z, out=None)`` and ``backward(dy, a, out=None)``.
Most f here have a derivative that can be written from the output a = f(z) alone
(σ' = a(1 − a), tanh' = 1 − a², relu' = 1[a > 0], elu' = a + α for a ≤ 0, softplus' = 1 − e^{−a}),
so a layer may compute a in place over z and keep only a for backward. Those that cannot (GELU,
Swish) set ``needs_input = True``: the layer then keeps z too and calls ``backward(dy, a, out, z=z)``.
``out=z`` / ``out=dy`` make the computation in place (no temporaries in the training step). Softmax is not element-wise;
its backward is a Jacobian-vector product. Arrays may be NumPy or CuPy (ufuncs dispatch).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np  # ufuncs and np.where dispatch to CuPy for CuPy arrays

from .. import registry
from ..errors import ConfigError
from .backend import on_gpu


class ActivationFunction:
    """f applied element-wise (or row-wise, softmax) to pre-activations z (n, units)."""

    name = "activation"
    elementwise = True
    needs_input = False  # backward needs z as well as a (the layer keeps both)
    preferred_initializer = "glorot_uniform"  # what initializer="auto" picks for the layer (app/build.py)

    def __call__(self, z):
        return self.value(z)

    def value(self, z, out=None):
        """a = f(z); ``out=z`` computes in place."""
        raise NotImplementedError

    def backward(self, dy, a, out=None):
        """dL/dz = dL/da ⊙ f'(z), from a = f(z) (BP1/BP2's ⊙ σ'(z) factor); ``out=dy`` in place."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _expit(z):
    """The logistic ufunc for z's array module (SciPy's on the CPU, CuPy's on a GPU)."""
    if on_gpu(z):
        from cupyx.scipy.special import expit
        return expit
    return _scipy_expit


from scipy.special import expit as _scipy_expit  # noqa: E402  (a ufunc: one pass, both tails exact)


def _into(out, like):
    return out if out is not None else np.empty_like(like)


class Linear(ActivationFunction):
    """f(z) = z."""

    name = "linear"

    def value(self, z, out=None):
        if out is None or out is z:
            return z
        out[...] = z
        return out

    def backward(self, dy, a, out=None):
        if out is None or out is dy:
            return dy
        out[...] = dy
        return out


class Sigmoid(ActivationFunction):
    """σ(z) = 1 / (1 + e^{-z}), σ' = a(1 − a).

    Computed as SciPy's ``expit`` (one pass; 1/(1 + e^{−z}) for z ≥ 0 and e^{z}/(1 + e^{z}) below),
    which never overflows and keeps full relative accuracy in both tails: σ(−40) = 4.25e-18, as
    the book's 1/(1 + exp(−z)) gives, where ½(1 + tanh(z/2)) returns 0.
    """

    name = "sigmoid"

    def value(self, z, out=None):
        return _expit(z)(z, out=out) if out is not None else _expit(z)(z)

    def backward(self, dy, a, out=None):
        out = np.multiply(dy, a, out=out)     # dy·a
        out -= a * out                        # dy·a − a·(dy·a) = dy·a(1 − a)
        return out


class Tanh(ActivationFunction):
    """tanh(z) = (1 − e^{−2z}) / (1 + e^{−2z}), tanh' = 1 − a²."""

    name = "tanh"

    def value(self, z, out=None):
        return np.tanh(z, out=out)

    def backward(self, dy, a, out=None):
        sq = a * a
        np.subtract(1.0, sq, out=sq)
        return np.multiply(dy, sq, out=out)


class ReLU(ActivationFunction):
    """relu(z) = max(z, 0), relu' = 1[z > 0] = 1[a > 0]."""

    name = "relu"
    preferred_initializer = "he_normal"

    def value(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def backward(self, dy, a, out=None):
        return np.multiply(dy, a > 0, out=out)


class LeakyReLU(ActivationFunction):
    """leaky_relu(z) = z if z > 0 else α·z; derivative 1 or α (notes: α = 0.01).

    a > 0 exactly when z > 0 (α ≥ 0), so the derivative comes from a.
    """

    name = "leaky_relu"
    preferred_initializer = "he_normal"

    def __init__(self, alpha: float = 0.01):
        alpha = float(alpha)
        if not alpha >= 0:
            raise ConfigError(f"leaky_relu alpha must be >= 0, got {alpha}")
        self.alpha = alpha

    def value(self, z, out=None):
        out = _into(out, z)
        np.multiply(z, np.where(z > 0, 1.0, self.alpha).astype(z.dtype, copy=False), out=out)
        return out

    def backward(self, dy, a, out=None):
        return np.multiply(dy, np.where(a > 0, 1.0, self.alpha).astype(dy.dtype, copy=False), out=out)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class ELU(ActivationFunction):
    """elu(z) = z if z > 0 else α(e^z − 1); derivative 1, or α·e^z = a + α where z ≤ 0 (notes: α = 1)."""

    name = "elu"
    preferred_initializer = "he_normal"

    def __init__(self, alpha: float = 1.0):
        alpha = float(alpha)
        if not alpha > 0:
            raise ConfigError(f"elu alpha must be > 0, got {alpha}")
        self.alpha = alpha

    def value(self, z, out=None):
        neg = np.expm1(np.minimum(z, 0))  # min() keeps exp from overflowing
        neg *= self.alpha
        out = _into(out, z)
        np.copyto(out, np.where(z > 0, z, neg))
        return out

    def backward(self, dy, a, out=None):
        slope = np.where(a > 0, 1.0, a + self.alpha).astype(dy.dtype, copy=False)
        return np.multiply(dy, slope, out=out)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class Softmax(ActivationFunction):
    """softmax(z)_i = e^{z_i − max z} / Σ_j e^{z_j − max z} over the last axis (stable).

    Backward (Jacobian-vector product): dz = a ⊙ (dy − Σ_j dy_j a_j).
    With categorical cross-entropy the model fuses both into dz = (a − y)/n.
    """

    name = "softmax"
    elementwise = False

    def value(self, z, out=None):
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def backward(self, dy, a, out=None):
        s = (dy * a).sum(axis=-1, keepdims=True)
        out = np.subtract(dy, s, out=out)
        out *= a
        return out


class SELU(ActivationFunction):
    """selu(z) = λz for z > 0, λα(e^z − 1) otherwise, with PyTorch's/Keras's constants
    λ = 1.0507009873554805, α = 1.6732632423543772; derivative λ, or λα·e^z = a + λα where z ≤ 0."""

    name = "selu"
    preferred_initializer = "lecun_normal"
    ALPHA, SCALE = 1.6732632423543772, 1.0507009873554805

    def value(self, z, out=None):
        neg = np.expm1(np.minimum(z, 0))
        neg *= self.ALPHA * self.SCALE
        out = _into(out, z)
        np.copyto(out, np.where(z > 0, z * self.SCALE, neg))
        return out

    def backward(self, dy, a, out=None):
        slope = np.where(a > 0, self.SCALE, a + self.ALPHA * self.SCALE).astype(dy.dtype, copy=False)
        return np.multiply(dy, slope, out=out)


class Softplus(ActivationFunction):
    """softplus(z) = ln(1 + e^z), computed as max(z, 0) + ln(1 + e^{−|z|}) (no overflow);
    derivative σ(z) = 1 − e^{−a}, written as −expm1(−a) (accurate in both tails)."""

    name = "softplus"

    def value(self, z, out=None):
        tail = np.log1p(np.exp(-np.abs(z)))
        return np.add(np.maximum(z, 0), tail, out=out)

    def backward(self, dy, a, out=None):
        slope = np.expm1(-a)
        slope *= -1
        return np.multiply(dy, slope, out=out)


class HardSigmoid(ActivationFunction):
    """hard_sigmoid(z) = clip(z/6 + ½, 0, 1) (Keras 3 and PyTorch); derivative 1/6 where 0 < a < 1."""

    name = "hard_sigmoid"

    def value(self, z, out=None):
        out = np.add(z, 3.0, out=out)
        out /= 6.0
        return np.clip(out, 0.0, 1.0, out=out)

    def backward(self, dy, a, out=None):
        inside = ((a > 0) & (a < 1)).astype(dy.dtype)
        inside *= 1.0 / 6.0
        return np.multiply(dy, inside, out=out)


class Swish(ActivationFunction):
    """swish(z) = silu(z) = z·σ(z); derivative σ(z)(1 + z(1 − σ(z))) (needs z)."""

    name = "swish"
    preferred_initializer = "he_normal"
    needs_input = True

    def value(self, z, out=None):
        s = _expit(z)(z)
        return np.multiply(z, s, out=out)

    def backward(self, dy, a, out=None, z=None):
        s = _expit(z)(z)
        slope = 1.0 - s
        slope *= z
        slope += 1.0
        slope *= s
        return np.multiply(dy, slope, out=out)


class GELU(ActivationFunction):
    """gelu(z) = z·Φ(z) = ½z(1 + erf(z/√2)), derivative Φ(z) + z·φ(z) (needs z). With
    ``approximate=True`` the tanh form ½z(1 + tanh(u)), u = √(2/π)(z + 0.044715z³) (PyTorch's
    ``approximate="tanh"``, Keras's ``approximate=True``), computed as z·σ(2u), which equals it and
    keeps full relative accuracy in the negative tail where 1 + tanh(u) cancels. Default: exact."""

    name = "gelu"
    preferred_initializer = "he_normal"
    needs_input = True
    _C = math.sqrt(2.0 / math.pi)

    def __init__(self, approximate: bool = False):
        if not isinstance(approximate, (bool, np.bool_)):
            raise ConfigError(f"gelu approximate must be true or false, got {approximate!r}")
        self.approximate = bool(approximate)

    def value(self, z, out=None):
        if self.approximate:
            two_u = (2.0 * self._C) * (z + 0.044715 * z * z * z)
            return np.multiply(z, _expit(z)(two_u), out=out)
        phi = _erf(z)(z * (1.0 / math.sqrt(2.0)))
        phi += 1.0
        phi *= 0.5
        return np.multiply(z, phi, out=out)

    def backward(self, dy, a, out=None, z=None):
        if self.approximate:  # d/dz z·σ(2u) = σ(2u) + z·2σ(2u)(1 − σ(2u))·u'
            s = _expit(z)((2.0 * self._C) * (z + 0.044715 * z * z * z))
            du = self._C * (1.0 + 3 * 0.044715 * z * z)
            slope = s + 2.0 * z * s * (1.0 - s) * du
        else:
            cdf = 0.5 * (1.0 + _erf(z)(z * (1.0 / math.sqrt(2.0))))
            pdf = np.exp(-0.5 * z * z) * (1.0 / math.sqrt(2.0 * math.pi))
            slope = cdf + z * pdf
        return np.multiply(dy, slope.astype(dy.dtype, copy=False), out=out)

    def get_config(self):
        return {"name": self.name, "approximate": self.approximate}


def _erf(z):
    """The error function ufunc for z's array module."""
    if on_gpu(z):
        from cupyx.scipy.special import erf
        return erf
    from scipy.special import erf
    return erf


for _cls in (Linear, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax):
    registry.register("activation", _cls)
registry.register("activation", Linear, name="linear", aliases=("identity",))
registry.register("activation", LeakyReLU, name="leaky_relu", aliases=("leakyrelu", "leaky-relu"))
registry.register("activation", SELU)
registry.register("activation", Softplus)
registry.register("activation", HardSigmoid, name="hard_sigmoid")
registry.register("activation", Swish, aliases=("silu",))
registry.register("activation", GELU)
registry.register("activation", lambda: GELU(approximate=True), name="gelu_tanh")


def get(identifier: str | ActivationFunction | dict | None, **kwargs) -> ActivationFunction:
    """An activation by name ("relu", "leaky_relu", ...), config dict, or passed through if already one."""
    if identifier is None:
        identifier = "linear"
    return registry.resolve("activation", identifier, ActivationFunction, **kwargs)


def names() -> list[str]:
    return registry.names("activation")

registry.declare_base("activation", ActivationFunction)
