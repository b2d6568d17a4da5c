"""Layers. Shapes exclude the batch axis; arrays are (n, features), rows = samples.

Every layer has ``params`` and ``grads`` (dicts of arrays with the same keys),
``build(input_shape, rng, dtype, xp)``, ``forward(x, training)``, ``backward(dy) -> dx``
and ``get_config()``. ``forward`` caches what ``backward`` needs; ``backward`` fills
``grads`` and returns dL/dx. Non-trainable arrays (BatchNorm's moving averages) live in
``state``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks, registry
from ..errors import ConfigError, DataError
from . import activations, initializers, regularizers
from .backend import array_module_of, traced


def _positive_int(name: str, value) -> int:
    return checks.check(name, value, checks.POSITIVE_INT)


def check_input_shape(shape, name: str = "input_shape") -> tuple[int, ...]:
    """A sample shape (no batch axis) as a tuple of positive integers: a tuple/list of them, or one
    integer for flat inputs; anything else (negative, zero, float, None) is a ConfigError naming it."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, np.ndarray):
        shape = shape.tolist() if shape.ndim == 1 else [shape]
    if not isinstance(shape, (tuple, list)) or not shape:
        raise ConfigError(f"{name} must be a tuple of positive integers such as (784,), got {shape!r}")
    for d in shape:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d <= 0:
            raise ConfigError(f"{name} must be a tuple of positive integers such as (784,), got {tuple(shape)!r} "
                              f"(dimension {d!r}; the batch axis is left out)")
    return tuple(int(d) for d in shape)


def _assign(arrays: dict, key: str, value) -> None:
    held = arrays.get(key)
    if held is not None and not traced(value) and not traced(held) and held.shape == value.shape:
        held[...] = value
    else:
        arrays[key] = value


class Layer:
    """Base class. Subclasses set ``params`` in ``build`` and implement forward/backward.

    Parameters
    ----------
    name : str or None, default None
        The layer's name, unique within its model. None: the model names it ``<class>_<n>``
        (``dense_1``, ``dropout_2``) when the layer is added.
    trainable : bool, default True
        False freezes the layer: the optimizer leaves its parameters as they are (and a frozen
        BatchNorm normalises with its moving statistics).
    input_shape : tuple of int, int or None, default None
        The shape of one sample without the batch axis ((784,)), for the first layer of a
        model that is not given one. None: the model's or the layer below's.
    """

    def __init__(self, name: str | None = None, trainable: bool = True,
                 input_shape: tuple[int, ...] | None = None):
        self.name = name
        self.trainable = bool(trainable)
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.built = False
        self.input_shape: tuple[int, ...] | None = \
            check_input_shape(input_shape) if input_shape is not None else None
        self.output_shape: tuple[int, ...] | None = None
        self.xp = np
        self.dtype = np.dtype(np.float32)

    # -- building -------------------------------------------------------------------
    def build(self, input_shape, rng: np.random.Generator, dtype=np.float32, xp=np) -> None:
        self.input_shape = tuple(int(d) for d in input_shape)
        self.xp, self.dtype = xp, np.dtype(dtype)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    initial_weights: tuple[dict, dict] | None = None  # (params, state) to start from, set by start_from

    def start_from(self, params: dict, state: dict | None = None) -> Layer:
        """Start from these arrays (``params`` and non-trainable ``state`` by key) when built,
        instead of initialising: how transfer learning puts a trained layer's values into a new
        model (``Sequential.copy_layers``). Shapes are checked when the model builds the layer.

        Parameters
        ----------
        params : dict of str to array_like
            The starting parameters by key (a Dense layer's ``kernel`` (n_in, units) and
            ``bias`` (units,)); they are copied.
        state : dict of str to array_like or None, default None
            The starting non-trainable arrays by key (BatchNorm's ``moving_mean`` and
            ``moving_variance``). None: none.

        Returns
        -------
        Layer
            The layer itself, to chain: ``Dense(10).start_from({"kernel": w, "bias": b})``.
        """
        self.initial_weights = ({k: np.array(v, copy=True) for k, v in params.items()},
                                {k: np.array(v, copy=True) for k, v in (state or {}).items()})
        return self

    def load_initial_weights(self) -> None:
        """Copy the arrays given to :meth:`start_from` into the built layer (once)."""
        if self.initial_weights is None:
            return
        for store, values in zip((self.params, self.state), self.initial_weights):
            for key, value in values.items():
                if tuple(value.shape) != tuple(store[key].shape):
                    raise ConfigError(f"copied layer {self.name!r}: {key} has shape {tuple(value.shape)} but "
                                      f"here it needs {tuple(store[key].shape)} (input {self.input_shape})")
                store[key][...] = self.xp.asarray(value, dtype=self.dtype)
        self.initial_weights = None

    def param_shapes(self, input_shape) -> dict[str, tuple[int, ...]]:
        """Shapes ``build`` would give ``params``, used to check files before building anything.
        The built-in layers compute them without allocating; for other layers (registered user
        layers) a fresh copy is built on the CPU and its shapes are read."""
        return {k: tuple(v.shape) for k, v in self._probe(input_shape).params.items()}

    def state_shapes(self, input_shape) -> dict[str, tuple[int, ...]]:
        return {k: tuple(v.shape) for k, v in self._probe(input_shape).state.items()}

    def _probe(self, input_shape) -> Layer:
        probe = type(self).from_config(self.get_config())
        probe.build(tuple(input_shape), np.random.default_rng(0), np.float32, np)
        return probe

    def set_grad(self, key: str, value) -> None:
        """``grads[key] = value``: written into the gradient's own array (a view of the model's flat
        buffer) on NumPy, rebound when the XLA engine traces the step."""
        _assign(self.grads, key, value)

    def set_param(self, key: str, value) -> None:
        """``params[key] = value``, in the same way as :meth:`set_grad`."""
        _assign(self.params, key, value)

    def _add_param(self, key: str, host_value: np.ndarray) -> None:
        self.params[key] = self.xp.asarray(host_value, dtype=self.dtype)
        self.grads[key] = self.xp.zeros_like(self.params[key])

    # -- computing ------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        raise NotImplementedError

    def backward(self, dy, need_input_grad: bool = True):
        raise NotImplementedError

    def backward_from_z(self, delta, need_input_grad: bool = True):
        """Backward given δ = ∂L/∂z directly, when the loss fuses this output layer's activation:
        layers with an activation (Dense, Activation) implement it.

        Parameters
        ----------
        delta : array of shape (n, units)
            δ = ∂L/∂z of this layer for the batch of the last forward pass, rows = samples.
        need_input_grad : bool, default True
            Whether to compute ∂L/∂x (False for the lowest trainable layer: nothing below needs it).

        Returns
        -------
        array of shape (n, ...) or None
            ∂L/∂x for the layer below, or None when not needed.
        """
        raise NotImplementedError

    def __call__(self, x, training: bool = False):
        """``layer(x)`` is ``layer.forward(x, training)``: the layer's output for a batch.

        Parameters
        ----------
        x : array of shape (n, ...)
            The inputs, rows = samples, of the sample shape the layer was built for.
        training : bool, default False
            True: training behaviour (Dropout drops, BatchNorm uses the batch's statistics, Augment
            augments) and a cache for ``backward``. False: inference.

        Returns
        -------
        array of shape (n, ...)
            The outputs, of the layer's ``output_shape`` per row.
        """
        return self.forward(x, training=training)

    @property
    def last_output(self):
        """The activations a = f(z) of the last forward pass, (n, *output_shape) on the layer's
        device, or None (not run yet, or a layer that keeps no copy: Dense and Activation keep
        one, for their backward). Read it before the next forward pass: during training it is a
        buffer that pass overwrites. Diagnostics, loggers and the non-finite report read it."""
        return getattr(self, "_a", None)

    # -- pickling (scikit-learn clones and pickles estimators): keep the array module by name
    def __getstate__(self):
        state = self.__dict__.copy()
        state["xp"] = self.xp.__name__
        state.pop("_buffers", None)
        if "_device_rng" in state:
            state["_device_rng"] = None  # re-seeded from the host generator on first use
        return state

    def __setstate__(self, state):
        state["xp"] = np
        self.__dict__.update(state)

    # -- bookkeeping ----------------------------------------------------------------
    def count_params(self) -> int:
        return int(sum(int(np.prod(p.shape)) for p in self.params.values()))

    def regularization_terms(self) -> list:
        """The penalties R(w) this layer adds to the loss, as 0-d arrays on its device."""
        return []

    def regularization_loss(self) -> float:
        return float(sum(float(t) for t in self.regularization_terms()))

    def apply_constraints(self) -> None:
        pass

    def get_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"class_name": type(self).__name__, "name": self.name}
        if not self.trainable:
            cfg["trainable"] = False
        if self.input_shape is not None:
            cfg["input_shape"] = list(self.input_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        cfg = {k: v for k, v in config.items() if k != "class_name"}
        return cls(**cfg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Dense(Layer):
    """Fully connected layer: a = f(z), z = x·W + b; W (n_in, units), b (units,).

    Backward, with δ = ∂L/∂z (the book's error), for a batch x (n, n_in):
      δ = ∂L/∂a ⊙ f'(z)                (BP1 at the output, BP2 inside)
      ∂L/∂b = Σ_rows δ                 (BP3)
      ∂L/∂W = xᵀ·δ                     (BP4)
      ∂L/∂x = δ·Wᵀ                     (passed to the layer below)

    Parameters
    ----------
    units : int
        The number of neurons (outputs), > 0.
    activation : str, dict, ActivationFunction or None, default None
        f: a name ("relu", "sigmoid", "softmax", ...), a config dict or an activation object.
        None: linear (a = z).
    use_bias : bool, default True
        Whether the layer has the bias b.
    kernel_initializer : str, dict or Initializer, default "glorot_uniform"
        How W is drawn ("he_normal", "default" for the book's N(0, 1/n_in), ...).
    bias_initializer : str, dict or Initializer, default "zeros"
        How b is drawn.
    kernel_regularizer : str, dict, Regularizer or None, default None
        A penalty R(W) added to the loss ("l2", {"name": "l2", "l2": 1e-4}, ``L2(1e-4)``).
    bias_regularizer : str, dict, Regularizer or None, default None
        A penalty R(b) added to the loss.
    kernel_constraint : str, dict, Constraint or None, default None
        A projection of W after each update ("max_norm", ``MaxNorm(3.0)``).
    bias_constraint : str, dict, Constraint or None, default None
        A projection of b after each update.
    **kwargs
        ``name``, ``trainable`` and ``input_shape``, as for Layer.
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = regularizers.get_constraint(kernel_constraint)
        self.bias_constraint = regularizers.get_constraint(bias_constraint)
        self._x = self._a = self._z = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise DataError(f"Dense expects flat inputs (features,), got shape {tuple(input_shape)}; "
                            "add a Flatten layer first")
        return (self.units,)

    def param_shapes(self, input_shape):
        shapes = {"kernel": (int(input_shape[0]), self.units)}
        if self.use_bias:
            shapes["bias"] = (self.units,)
        return shapes

    def state_shapes(self, input_shape):
        return {}

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        n_in = self.input_shape[0]
        self._add_param("kernel", self.kernel_initializer((n_in, self.units), rng, self.dtype))
        if self.use_bias:
            self._add_param("bias", self.bias_initializer((self.units,), rng, self.dtype))

    def forward(self, x, training=False):
        """z = x·W + b, a = f(z); keeps x, a (and z when f' needs it) for backward.

        Parameters
        ----------
        x : array of shape (n, n_in)
            The inputs, rows = samples.
        training : bool, default False
            Unused by Dense (the same in training and inference).

        Returns
        -------
        array of shape (n, units)
            a = f(z).
        """
        z = x @ self.params["kernel"]
        if self.use_bias:
            z = z + self.params["bias"]
        a = self.activation.value(z)
        if self.activation.needs_input:  # GELU, Swish: backward needs z as well as a
            self._z = z
        self._x, self._a = x, a
        return a

    def backward(self, dy, need_input_grad=True):
        """dy = ∂L/∂a; δ = dy ⊙ f'(z) (BP1/BP2), then :meth:`backward_from_z`; returns ∂L/∂x.

        Parameters
        ----------
        dy : array of shape (n, units)
            ∂L/∂a for the batch of the last forward pass, rows = samples.
        need_input_grad : bool, default True
            Whether to compute ∂L/∂x (False for the lowest trainable layer).

        Returns
        -------
        array of shape (n, n_in) or None
            ∂L/∂x = δ·Wᵀ, or None when not needed. ``grads["kernel"]`` and ``grads["bias"]`` are
            filled.
        """
        if self.activation.needs_input:  # GELU, Swish (a user's activation may take no z at all)
            delta = self.activation.backward(dy, self._a, z=self._z)
        else:
            delta = self.activation.backward(dy, self._a)
        return self.backward_from_z(delta, need_input_grad)

    def backward_from_z(self, delta, need_input_grad=True):
        """Backward given δ = ∂L/∂z (n, units), also where the loss fuses the activation:
        ∂L/∂W = xᵀ·δ (BP4), ∂L/∂b = Σ_rows δ (BP3), plus the regularizers' terms; returns
        ∂L/∂x = δ·Wᵀ (n, n_in), or None when not needed.

        Parameters
        ----------
        delta : array of shape (n, units)
            δ = ∂L/∂z for the batch of the last forward pass, rows = samples.
        need_input_grad : bool, default True
            Whether to compute ∂L/∂x (False for the lowest trainable layer).

        Returns
        -------
        array of shape (n, n_in) or None
            ∂L/∂x = δ·Wᵀ, or None when not needed.
        """
        kernel = self.params["kernel"]
        grad_kernel = self._x.T @ delta
        if self.kernel_regularizer is not None:
            grad_kernel = self.kernel_regularizer.added(kernel, grad_kernel)
        self.set_grad("kernel", grad_kernel)
        if self.use_bias:
            grad_bias = delta.sum(axis=0)
            if self.bias_regularizer is not None:
                grad_bias = self.bias_regularizer.added(self.params["bias"], grad_bias)
            self.set_grad("bias", grad_bias)
        return delta @ kernel.T if need_input_grad else None

    def regularization_terms(self) -> list:
        terms = []
        if self.kernel_regularizer is not None:
            terms.append(self.kernel_regularizer.penalty_array(self.params["kernel"]))
        if self.use_bias and self.bias_regularizer is not None:
            terms.append(self.bias_regularizer.penalty_array(self.params["bias"]))
        return terms

    def apply_constraints(self) -> None:
        for key in ("kernel", "bias"):
            constraint = getattr(self, f"{key}_constraint")
            if constraint is not None and key in self.params:
                self.set_param(key, constraint.project(self.params[key]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=self.activation.get_config(),
                   use_bias=self.use_bias,
                   kernel_initializer=self.kernel_initializer.get_config(),
                   bias_initializer=self.bias_initializer.get_config())
        for key in ("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"):
            obj = getattr(self, key)
            if obj is not None:
                cfg[key] = obj.get_config()
        return cfg


class Activation(Layer):
    """a = f(x) as a layer of its own; backward dx = dy ⊙ f'(x).

    Parameters
    ----------
    activation : str, dict or ActivationFunction
        f: a name ("relu", "softmax", ...), a config dict or an activation object; None is linear.
    **kwargs
        ``name``, ``trainable`` and ``input_shape``, as for Layer.
    """

    def param_shapes(self, input_shape):
        return {}

    def state_shapes(self, input_shape):
        return {}

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._a = None

    def forward(self, x, training=False):
        self._x = x
        self._a = self.activation.value(x)  # not in place: x is the layer below's output
        return self._a

    def backward(self, dy, need_input_grad=True):
        if self.activation.needs_input:
            return self.activation.backward(dy, self._a, z=self._x)
        return self.activation.backward(dy, self._a)

    def backward_from_z(self, delta, need_input_grad=True):
        """δ = ∂L/∂x already (the loss fused this activation): pass it down.

        Parameters
        ----------
        delta : array of shape (n, ...)
            δ, the gradient with respect to this layer's input, rows = samples.
        need_input_grad : bool, default True
            Unused: the layer has no parameters and returns δ either way.

        Returns
        -------
        array of shape (n, ...)
            ``delta`` itself.
        """
        return delta

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = self.activation.get_config()
        return cfg


def keep_mask(seed, shape: tuple, rate: float, xp):
    """A dropout mask of ``shape``: True where a unit is kept, with probability 1 − rate.

    Counter-based, so every engine draws the same mask from the same 32-bit ``seed``: unit i gets
    the bits h = fmix32(i·0x9E3779B1 + seed) (MurmurHash3's finaliser, uint32 arithmetic that
    wraps), and is kept when h ≥ rate·2³². NumPy and jax.numpy compute the same bits."""
    n = int(np.prod(shape))
    u32 = xp.uint32
    h = xp.arange(n, dtype=u32) * u32(0x9E3779B1) + xp.asarray(seed, dtype=u32)
    h = h ^ (h >> u32(16))
    h = h * u32(0x85EBCA6B)
    h = h ^ (h >> u32(13))
    h = h * u32(0xC2B2AE35)
    h = h ^ (h >> u32(16))
    return (h >= u32(min(int(round(rate * 2.0 ** 32)), 2 ** 32 - 1))).reshape(shape)


class Dropout(Layer):
    """Inverted dropout: in training y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate);
    at inference y = x. ``rate`` is the probability of dropping a unit (the notes'
    keep_prob = 1 − rate). Each training pass draws one 32-bit seed from the model's seeded
    generator and makes the mask from it with ``keep_mask`` (the same mask on every engine).

    Parameters
    ----------
    rate : float
        The probability of dropping each unit, in [0, 1) (0: the layer does nothing).
    **kwargs
        ``name``, ``trainable`` and ``input_shape``, as for Layer.
    """

    def param_shapes(self, input_shape):
        return {}

    def state_shapes(self, input_shape):
        return {}

    def __init__(self, rate: float, **kwargs):
        super().__init__(**kwargs)
        self.rate = checks.check("rate", rate, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self._mask = None
        self.rng: np.random.Generator | None = None
        self.seed = None  # the next pass's seed when given (the XLA engine hands in the host's draws)

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        self.rng = rng

    def draw_seed(self) -> int:
        """The next mask's seed, from the model's generator (one draw per training pass)."""
        if self.rng is None:
            raise ConfigError(f"layer {self.name!r} is not built: build the model (or fit it) first")
        return int(self.rng.integers(2 ** 32))

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        seed = self.seed if self.seed is not None else self.draw_seed()
        xp = array_module_of(x)
        mask = keep_mask(seed, tuple(x.shape), self.rate, xp).astype(x.dtype) * (1.0 / (1.0 - self.rate))
        self._mask = mask
        return x * mask

    def backward(self, dy, need_input_grad=True):
        return dy if self._mask is None else dy * self._mask

    def get_config(self):
        cfg = super().get_config()
        cfg["rate"] = self.rate
        return cfg


class BatchNorm(Layer):
    """Batch normalisation over the batch axis, per feature (last axis).

    Training:  μ, σ² = batch mean and (biased) variance;  x̂ = (x − μ)/√(σ² + ε);
               y = γ·x̂ + β;  moving_μ ← m·moving_μ + (1 − m)·μ  (same for σ²), m = momentum.
    Inference: y = γ·(x − moving_μ)/√(moving_σ² + ε) + β.
    Backward (training), n rows:  dx̂ = dy·γ;
               dx = (1/n)/√(σ²+ε) · (n·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂));  dγ = Σ dy·x̂;  dβ = Σ dy.
    Defaults follow Keras and the notes (momentum 0.99); ``center``/``scale`` switch β/γ.
    A frozen BatchNorm (``trainable=False``) always uses its moving statistics (Keras's rule).
    ``beta_regularizer``/``gamma_regularizer`` add penalties R(β), R(γ) as Dense's do (Keras's names).

    Parameters
    ----------
    momentum : float, default 0.99
        m, the moving statistics' momentum, in [0, 1).
    epsilon : float, default 1e-3
        ε > 0, added to the variance before the square root.
    center : bool, default True
        Whether the layer learns the shift β.
    scale : bool, default True
        Whether the layer learns the scale γ.
    beta_regularizer : str, dict, Regularizer or None, default None
        A penalty R(β) added to the loss.
    gamma_regularizer : str, dict, Regularizer or None, default None
        A penalty R(γ) added to the loss.
    **kwargs
        ``name``, ``trainable`` and ``input_shape``, as for Layer.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.momentum = checks.check("momentum", momentum, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self.epsilon = checks.check("epsilon", epsilon, checks.POSITIVE)
        self.center, self.scale = bool(center), bool(scale)
        self._cache = None

    def param_shapes(self, input_shape):
        c = int(input_shape[-1])
        return {k: (c,) for k, on in (("gamma", self.scale), ("beta", self.center)) if on}

    def state_shapes(self, input_shape):
        c = int(input_shape[-1])
        return {"moving_mean": (c,), "moving_variance": (c,)}

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        c = self.input_shape[-1]
        if self.scale:
            self._add_param("gamma", np.ones(c))
        if self.center:
            self._add_param("beta", np.zeros(c))
        self.state["moving_mean"] = xp.zeros(c, dtype=self.dtype)
        self.state["moving_variance"] = xp.ones(c, dtype=self.dtype)

    def forward(self, x, training=False):
        shape = x.shape
        xp = array_module_of(x)
        x2 = x.reshape(-1, shape[-1])
        training = training and self.trainable  # a frozen BatchNorm normalises with its moving statistics
        if training:
            mean = x2.mean(axis=0)
            xc = x2 - mean
            var = (xc * xc).mean(axis=0)
            inv_std = 1.0 / xp.sqrt(var + self.epsilon)
            xhat = xc * inv_std
            m = self.momentum
            _assign(self.state, "moving_mean", self.state["moving_mean"] * m + (1.0 - m) * mean)
            _assign(self.state, "moving_variance", self.state["moving_variance"] * m + (1.0 - m) * var)
        else:
            inv_std = 1.0 / xp.sqrt(self.state["moving_variance"] + self.epsilon)
            xhat = (x2 - self.state["moving_mean"]) * inv_std
        self._cache = (xhat, inv_std, training)
        y = xhat * self.params["gamma"] if self.scale else xhat
        if self.center:
            y = y + self.params["beta"]
        return y.reshape(shape)

    def backward(self, dy, need_input_grad=True):
        xhat, inv_std, training = self._cache
        shape = dy.shape
        dy2 = dy.reshape(-1, shape[-1])
        for key, grad, reg, on in (("beta", lambda: dy2.sum(axis=0), self.beta_regularizer, self.center),
                                   ("gamma", lambda: (dy2 * xhat).sum(axis=0), self.gamma_regularizer, self.scale)):
            if on:
                g = grad()
                self.set_grad(key, g if reg is None else reg.added(self.params[key], g))
        dxhat = dy2 * self.params["gamma"] if self.scale else dy2
        if not need_input_grad:
            return None
        if not training:
            return (dxhat * inv_std).reshape(shape)
        n = dy2.shape[0]
        dx = ((dxhat * n - dxhat.sum(axis=0)) - xhat * (dxhat * xhat).sum(axis=0)) * (inv_std / n)
        return dx.reshape(shape)

    def regularization_terms(self) -> list:
        terms = []
        if self.center and self.beta_regularizer is not None:
            terms.append(self.beta_regularizer.penalty_array(self.params["beta"]))
        if self.scale and self.gamma_regularizer is not None:
            terms.append(self.gamma_regularizer.penalty_array(self.params["gamma"]))
        return terms

    def get_config(self):
        cfg = super().get_config()
        cfg.update(momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale)
        for key in ("beta_regularizer", "gamma_regularizer"):
            if getattr(self, key) is not None:
                cfg[key] = getattr(self, key).get_config()
        return cfg


class Flatten(Layer):
    """Reshape (n, d1, d2, ...) to (n, d1·d2·...); backward reshapes back.

    Parameters
    ----------
    name : str or None, default None
        The layer's name (None: the model names it).
    trainable : bool, default True
        Without effect (the layer has no parameters).
    input_shape : tuple of int, int or None, default None
        The shape of one sample, e.g. (28, 28), for the first layer of a model.
    """

    def param_shapes(self, input_shape):
        return {}

    def state_shapes(self, input_shape):
        return {}

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, need_input_grad=True):
        return dy.reshape(self._shape)


for _cls in (Dense, Activation, Dropout, BatchNorm, Flatten):
    registry.register("layer", _cls)
registry.register("layer", BatchNorm, name="BatchNorm", aliases=("BatchNormalization",))


def unique_name(layer: Layer, taken: set) -> str:
    """The first free ``<snake_case class name>_<n>`` (n from 1), as models name unnamed layers."""
    base = "".join("_" + c.lower() if c.isupper() else c for c in type(layer).__name__).lstrip("_")
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``get_config()`` output; unknown types are refused by name.
    Layers added with ``layerwise.register("layer", ...)`` rebuild like the built-in ones."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"layer config must be a dict with 'class_name', got {config!r}")
    cls = registry.lookup("layer", config["class_name"])
    try:
        return cls.from_config(config)
    except TypeError as exc:
        raise ConfigError(f"bad config for layer {config.get('name')!r}: {exc}") from None

registry.declare_base("layer", Layer)
