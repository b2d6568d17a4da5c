"""Activation functions: a = f(z) and the backward pass dz = dy ⊙ f'(z).

Each activation is a small object whose two formulas are written once, against the array namespace
``xp`` of their arguments (NumPy, or jax.numpy when the XLA engine traces the same code):
``f(z)`` and ``df(dy, a, z)``. ``value(z, out=None)`` and ``backward(dy, a, out=None, z=None)`` call
them, writing into ``out`` for the NumPy path's buffers. Most f here have a derivative that can be
written from the output a = f(z) alone (σ' = a(1 − a), tanh' = 1 − a², relu' = 1[a > 0],
elu' = a + α for a ≤ 0, softplus' = 1 − e^{−a}), so a layer keeps only a for backward. Those that
cannot (GELU, Swish) set ``needs_input = True``: the layer then keeps z too. Softmax is not
element-wise; its backward is a Jacobian-vector product.

A user's activation that defines ``f``/``df`` with ``xp`` runs on every engine; one that overrides
``value``/``backward`` with NumPy code runs on NumPy (the fit says so).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import registry
from ..errors import ConfigError
from .backend import array_module_of, special, store


class ActivationFunction:
    """f applied element-wise (or row-wise, softmax) to pre-activations z (n, units).

    The base class of every activation. A subclass writes ``f`` and ``df`` with the array namespace
    ``xp = array_module_of(z)`` (so it runs on NumPy and in the XLA engine), sets ``name``, and
    sets ``needs_input = True`` when f' cannot be written from a = f(z) alone. Calling the object
    is ``value``. It takes no constructor arguments; subclasses with a parameter (α) take it.
    """

    name = "activation"
    needs_input = False  # backward needs z as well as a (the layer keeps both)
    preferred_initializer = "glorot_uniform"  # what initializer="auto" picks for the layer (app/build.py)

    def __call__(self, z):
        """a = f(z): the same as :meth:`value` without a buffer.

        Parameters
        ----------
        z : array of shape (n, units)
            Pre-activations, rows = samples.

        Returns
        -------
        array of shape (n, units)
            a = f(z), a new array of z's kind.
        """
        return self.value(z)

    def f(self, z):
        """a = f(z), written with ``xp = array_module_of(z)``.

        Parameters
        ----------
        z : array of shape (n, units)
            Pre-activations.

        Returns
        -------
        array of shape (n, units)
            a = f(z), a new array in z's namespace.
        """
        raise NotImplementedError

    def df(self, dy, a, z=None):
        """dL/dz = dL/da ⊙ f'(z), from a = f(z) (and z when ``needs_input``): BP1/BP2's ⊙ σ'(z).

        Parameters
        ----------
        dy : array of shape (n, units)
            dL/da, the gradient arriving from above.
        a : array of shape (n, units)
            The outputs a = f(z) of the forward pass.
        z : array of shape (n, units) or None, default None
            The pre-activations; given when ``needs_input`` is True, else None.

        Returns
        -------
        array of shape (n, units)
            dL/dz, a new array.
        """
        raise NotImplementedError

    def value(self, z, out=None):
        """a = f(z); ``out`` (a buffer, possibly z itself) receives it on the NumPy path.

        Parameters
        ----------
        z : array of shape (n, units)
            Pre-activations.
        out : array of shape (n, units) or None, default None
            A buffer to write a into (NumPy only; may be z itself). None: a new array.

        Returns
        -------
        array of shape (n, units)
            a = f(z): ``out`` when given.
        """
        return store(self.f(z), out)

    def backward(self, dy, a, out=None, z=None):
        """dL/dz = dy ⊙ f'(z); ``out`` (a buffer, possibly dy itself) receives it on the NumPy path.

        Parameters
        ----------
        dy : array of shape (n, units)
            dL/da.
        a : array of shape (n, units)
            The outputs a = f(z) of the forward pass.
        out : array of shape (n, units) or None, default None
            A buffer to write dL/dz into (NumPy only; may be dy itself). None: a new array.
        z : array of shape (n, units) or None, default None
            The pre-activations, needed when ``needs_input`` is True.

        Returns
        -------
        array of shape (n, units)
            dL/dz: ``out`` when given.
        """
        return store(self.df(dy, a, z), out)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def traceable(activation: ActivationFunction) -> bool:
    """Whether the activation's arithmetic is its ``f``/``df`` (so the XLA engine can trace it), not
    a ``value``/``backward`` of its own written for NumPy."""
    cls = type(activation)
    return cls.value is ActivationFunction.value and cls.backward is ActivationFunction.backward


class Linear(ActivationFunction):
    """f(z) = z."""

    name = "linear"

    def f(self, z):
        return z

    def df(self, dy, a, z=None):
        return dy


class Sigmoid(ActivationFunction):
    """σ(z) = 1 / (1 + e^{-z}), σ' = a(1 − a).

    Computed as ``expit`` (SciPy's ufunc: one pass; 1/(1 + e^{−z}) for z ≥ 0 and e^{z}/(1 + e^{z})
    below), which never overflows and keeps full relative accuracy in both tails: σ(−40) = 4.25e-18,
    as the book's 1/(1 + exp(−z)) gives, where ½(1 + tanh(z/2)) returns 0.
    """

    name = "sigmoid"

    def f(self, z):
        return special(array_module_of(z)).expit(z)

    def df(self, dy, a, z=None):
        t = dy * a
        return t - a * t                      # dy·a − a·(dy·a) = dy·a(1 − a)


class Tanh(ActivationFunction):
    """tanh(z) = (1 − e^{−2z}) / (1 + e^{−2z}), tanh' = 1 − a²."""

    name = "tanh"

    def f(self, z):
        return array_module_of(z).tanh(z)

    def df(self, dy, a, z=None):
        return dy * (1.0 - a * a)


class ReLU(ActivationFunction):
    """relu(z) = max(z, 0), relu' = 1[z > 0] = 1[a > 0]."""

    name = "relu"
    preferred_initializer = "he_normal"

    def f(self, z):
        return array_module_of(z).maximum(z, 0)

    def df(self, dy, a, z=None):
        return dy * (a > 0)


class LeakyReLU(ActivationFunction):
    """leaky_relu(z) = z if z > 0 else α·z; derivative 1 or α (notes: α = 0.01).

    a > 0 exactly when z > 0 (α ≥ 0), so the derivative comes from a.

    Parameters
    ----------
    alpha : float, default 0.01
        α, the slope for z ≤ 0; must be ≥ 0 (0 gives ReLU).
    """

    name = "leaky_relu"
    preferred_initializer = "he_normal"

    def __init__(self, alpha: float = 0.01):
        alpha = float(alpha)
        if not alpha >= 0:
            raise ConfigError(f"leaky_relu alpha must be >= 0, got {alpha}")
        self.alpha = alpha

    def f(self, z):
        return z * array_module_of(z).where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def df(self, dy, a, z=None):
        return dy * array_module_of(a).where(a > 0, 1.0, self.alpha).astype(dy.dtype)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class ELU(ActivationFunction):
    """elu(z) = z if z > 0 else α(e^z − 1); derivative 1, or α·e^z = a + α where z ≤ 0 (notes: α = 1).

    Parameters
    ----------
    alpha : float, default 1.0
        α: elu(z) tends to −α as z → −∞; must be > 0.
    """

    name = "elu"
    preferred_initializer = "he_normal"

    def __init__(self, alpha: float = 1.0):
        alpha = float(alpha)
        if not alpha > 0:
            raise ConfigError(f"elu alpha must be > 0, got {alpha}")
        self.alpha = alpha

    def f(self, z):
        xp = array_module_of(z)
        neg = xp.expm1(xp.minimum(z, 0)) * self.alpha  # min() keeps exp from overflowing
        return xp.where(z > 0, z, neg)

    def df(self, dy, a, z=None):
        return dy * array_module_of(a).where(a > 0, 1.0, a + self.alpha).astype(dy.dtype)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class Softmax(ActivationFunction):
    """softmax(z)_i = e^{z_i − max z} / Σ_j e^{z_j − max z} over the last axis (stable).

    Backward (Jacobian-vector product): dz = a ⊙ (dy − Σ_j dy_j a_j).
    With categorical cross-entropy the model fuses both into dz = (a − y)/n.
    """

    name = "softmax"

    def f(self, z):
        e = array_module_of(z).exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def df(self, dy, a, z=None):
        s = (dy * a).sum(axis=-1, keepdims=True)
        return (dy - s) * a


class SELU(ActivationFunction):
    """selu(z) = λz for z > 0, λα(e^z − 1) otherwise, with PyTorch's/Keras's constants
    λ = 1.0507009873554805, α = 1.6732632423543772; derivative λ, or λα·e^z = a + λα where z ≤ 0."""

    name = "selu"
    preferred_initializer = "lecun_normal"
    ALPHA, SCALE = 1.6732632423543772, 1.0507009873554805

    def f(self, z):
        xp = array_module_of(z)
        neg = xp.expm1(xp.minimum(z, 0)) * (self.ALPHA * self.SCALE)
        return xp.where(z > 0, z * self.SCALE, neg)

    def df(self, dy, a, z=None):
        xp = array_module_of(a)
        return dy * xp.where(a > 0, self.SCALE, a + self.ALPHA * self.SCALE).astype(dy.dtype)


class Softplus(ActivationFunction):
    """softplus(z) = ln(1 + e^z), computed as max(z, 0) + ln(1 + e^{−|z|}) (no overflow);
    derivative σ(z) = 1 − e^{−a}, written as −expm1(−a) (accurate in both tails)."""

    name = "softplus"

    def f(self, z):
        xp = array_module_of(z)
        return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))

    def df(self, dy, a, z=None):
        return dy * (array_module_of(a).expm1(-a) * -1)


class HardSigmoid(ActivationFunction):
    """hard_sigmoid(z) = clip(z/6 + ½, 0, 1) (Keras 3 and PyTorch); derivative 1/6 where 0 < a < 1."""

    name = "hard_sigmoid"

    def f(self, z):
        return array_module_of(z).clip((z + 3.0) / 6.0, 0.0, 1.0)

    def df(self, dy, a, z=None):
        return dy * (((a > 0) & (a < 1)).astype(dy.dtype) * (1.0 / 6.0))


class Swish(ActivationFunction):
    """swish(z) = silu(z) = z·σ(z); derivative σ(z)(1 + z(1 − σ(z))) (needs z)."""

    name = "swish"
    preferred_initializer = "he_normal"
    needs_input = True

    def f(self, z):
        return z * special(array_module_of(z)).expit(z)

    def df(self, dy, a, z=None):
        s = special(array_module_of(z)).expit(z)
        return dy * (((1.0 - s) * z + 1.0) * s)


class GELU(ActivationFunction):
    """gelu(z) = z·Φ(z) = ½z(1 + erf(z/√2)), derivative Φ(z) + z·φ(z) (needs z). With
    ``approximate=True`` the tanh form ½z(1 + tanh(u)), u = √(2/π)(z + 0.044715z³) (PyTorch's
    ``approximate="tanh"``, Keras's ``approximate=True``), computed as z·σ(2u), which equals it and
    keeps full relative accuracy in the negative tail where 1 + tanh(u) cancels. Default: exact.

    Parameters
    ----------
    approximate : bool, default False
        False: the exact form with erf. True: the tanh approximation (the name "gelu_tanh").
    """

    name = "gelu"
    preferred_initializer = "he_normal"
    needs_input = True
    _C = math.sqrt(2.0 / math.pi)

    def __init__(self, approximate: bool = False):
        if not isinstance(approximate, (bool, np.bool_)):
            raise ConfigError(f"gelu approximate must be true or false, got {approximate!r}")
        self.approximate = bool(approximate)

    def f(self, z):
        sp = special(array_module_of(z))
        if self.approximate:
            return z * sp.expit((2.0 * self._C) * (z + 0.044715 * z * z * z))
        return z * ((sp.erf(z * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5)

    def df(self, dy, a, z=None):
        xp = array_module_of(z)
        sp = special(xp)
        if self.approximate:  # d/dz z·σ(2u) = σ(2u) + z·2σ(2u)(1 − σ(2u))·u'
            s = sp.expit((2.0 * self._C) * (z + 0.044715 * z * z * z))
            du = self._C * (1.0 + 3 * 0.044715 * z * z)
            slope = s + 2.0 * z * s * (1.0 - s) * du
        else:
            cdf = 0.5 * (1.0 + sp.erf(z * (1.0 / math.sqrt(2.0))))
            pdf = xp.exp(-0.5 * z * z) * (1.0 / math.sqrt(2.0 * math.pi))
            slope = cdf + z * pdf
        return dy * slope.astype(dy.dtype)

    def get_config(self):
        return {"name": self.name, "approximate": self.approximate}


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
    """An activation by name ("relu", "leaky_relu", ...), config dict, or passed through if already one.

    Parameters
    ----------
    identifier : str, dict, ActivationFunction or None
        A registered name (case-insensitive, aliases included: "silu", "identity"), a config dict
        ({"name": "leaky_relu", "alpha": 0.1}), an ActivationFunction (returned as it is), or
        None for "linear".
    **kwargs
        Constructor arguments for a name (``get("elu", alpha=0.5)``).

    Returns
    -------
    ActivationFunction
        The activation. An unknown name or a bad argument raises ConfigError listing the choices.
    """
    if identifier is None:
        identifier = "linear"
    return registry.resolve("activation", identifier, ActivationFunction, **kwargs)


def names() -> list[str]:
    return registry.names("activation")

registry.declare_base("activation", ActivationFunction)
