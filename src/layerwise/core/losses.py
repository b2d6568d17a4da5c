"""Losses: ``value(y_pred, y_true) -> float`` and ``grad(y_pred, y_true) -> ∂L/∂y_pred``.

All losses are averaged over the n samples of a batch: value = mean ℓᵢ with ℓᵢ = ``per_sample``.
With sample weights wᵢ the batch loss is Σwᵢℓᵢ / Σwᵢ (normalised by the batch's weight sum, as
scikit-learn's estimators; Keras divides by the batch size instead), and the step scales row i of
δ by n·wᵢ/Σwᵢ: a zero weight is the same as leaving the sample out, a weight of 2 the same as
repeating it (exactly, in full-batch gradient descent). Targets ``y_true`` are either
dense (n, k) arrays (one-hot for classification) or, for the categorical losses,
integer labels (n,) ("sparse"). Losses that pair with an output activation also
provide ``grad_z(a, y_true)``, the gradient with respect to the pre-activation z
of the output layer, fused and numerically stable:

  softmax + categorical cross-entropy (or log-likelihood): δ = (a − y)/n
  sigmoid + binary cross-entropy:                          δ = (a − y)/N

Conventions (stated because frameworks differ):
  mse        L = mean over all n·k elements of (a − y)²       (TensorFlow's reduce_mean, the notes' MSE)
  quadratic  L = (1/n) Σ_x ½‖a − y‖²                          (Nielsen's QuadraticCost, the ½ convention)
  binary_crossentropy      L = mean over all elements of −[y ln a + (1 − y) ln(1 − a)],
                           a clipped to [ε, 1 − ε], ε = 1e-12 as in the notes (float64) or
                           the dtype's machine ε where 1 − 1e-12 would round to 1 (float32);
                           ``sum_over_outputs=True`` sums over outputs instead (Nielsen's CrossEntropyCost)
  categorical_crossentropy L = −(1/n) Σ_x Σ_j y_j ln clip(a_j, 1e-12, 1)  (Keras; the notes' clip)
  log_likelihood           L = −(1/n) Σ_x ln a_y   (Nielsen's softmax + log-likelihood)
  huber, mae, hinge, squared_hinge   means over all elements, as Keras's (see each class)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import registry
from ..errors import ConfigError
from .backend import array_module_of

CLIP = 1e-12


def clip_bounds(a) -> tuple[float, float]:
    """[ε, 1 − ε] for probabilities of a's dtype: ε = max(1e-12, machine ε), because in float32
    1 − 1e-12 rounds to 1.0 and ln(1 − a) becomes −inf when a sigmoid saturates."""
    eps = max(CLIP, float(np.finfo(a.dtype).eps)) if np.issubdtype(a.dtype, np.floating) else CLIP
    return eps, 1.0 - eps


def is_sparse(y_true) -> bool:
    """Integer class labels of shape (n,) rather than dense targets."""
    return y_true.ndim == 1 and np.issubdtype(y_true.dtype, np.integer)


def one_hot(labels, k: int, dtype):
    """(n,) integer labels → (n, k) rows of 0 and 1 in ``dtype``, on the labels' device."""
    xp = array_module_of(labels)
    return (labels[:, None] == xp.arange(k)).astype(dtype)


def _rows(a):
    """Row indices 0..n-1 on the same device as ``a``."""
    return array_module_of(a).arange(a.shape[0])


class Loss:
    """The base class of every loss: L(a, y), averaged over the n samples of a batch.

    A subclass sets ``name`` and writes ``value_array`` and ``grad`` (with the array namespace
    ``xp = array_module_of(y_pred)``), and ``per_sample`` when it can compute ℓᵢ in one pass (sample
    weights use it); a loss that fuses with an output activation also writes ``grad_z`` and sets
    ``fused_activation``. Register it with :func:`layerwise.register` to use it by name; for a
    loss from two functions see :class:`~layerwise.CustomLoss`. Calling the object is ``value``.
    The base class takes no constructor arguments.
    """

    name = "loss"
    accepts_sparse = False          # may y_true be integer labels?
    fused_activation: str | None = None  # output activation whose δ this loss computes directly
    # the target values the loss can learn, checked by fit/evaluate (data/inputs.py): None (any
    # real value), "binary" (labels in {0, 1} or probabilities in [0, 1]: soft labels, as Keras
    # allows) or "signed" (labels in {-1, 1}, or in {0, 1} converted as Keras does)
    targets: str | None = None

    def value(self, y_pred, y_true) -> float:
        """L, the batch's mean loss, as a Python float.

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The network's outputs a (or the logits z with ``from_logits=True``), rows = samples.
        y_true : array of shape (n, k), or (n,) of int
            The targets: dense rows (one-hot for classes), or integer labels where the loss
            accepts them (the categorical losses).

        Returns
        -------
        float
            L = mean ℓᵢ (the class's formula).
        """
        return float(self.value_array(y_pred, y_true))

    def value_array(self, y_pred, y_true):
        """The loss as a 0-d array on the data's device (no host round trip).

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The network's outputs a (or the logits z with ``from_logits=True``), rows = samples.
        y_true : array of shape (n, k), or (n,) of int
            The targets: dense rows (one-hot for classes), or integer labels where the loss
            accepts them (the categorical losses).

        Returns
        -------
        0-d array
            L, an array of y_pred's kind (NumPy, or a traced JAX value in the XLA engine).
        """
        raise NotImplementedError

    def grad(self, y_pred, y_true):
        """∂L/∂y_pred, the gradient the output layer's backward starts from.

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The network's outputs a (or the logits z with ``from_logits=True``), rows = samples.
        y_true : array of shape (n, k), or (n,) of int
            The targets: dense rows (one-hot for classes), or integer labels where the loss
            accepts them (the categorical losses).

        Returns
        -------
        array of shape (n, k)
            ∂L/∂a, including the 1/n (or 1/(n·k)) of the mean.
        """
        raise NotImplementedError

    def grad_z(self, a, y_true):
        """δ = ∂L/∂z for the fused output activation; a = activation output.

        Parameters
        ----------
        a : array of shape (n, k)
            The output layer's activations (softmax or sigmoid outputs).
        y_true : array of shape (n, k), or (n,) of int
            The targets, as for ``value``.

        Returns
        -------
        array of shape (n, k)
            δ = ∂L/∂z, without dividing by a or 1 − a.
        """
        raise NotImplementedError

    def per_sample(self, y_pred, y_true):
        """ℓᵢ, the loss of each sample (n,), so that value = mean ℓᵢ: what sample weights weigh.
        This fallback evaluates the loss row by row (built-in losses compute it in one pass).

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The network's outputs a (or the logits z with ``from_logits=True``), rows = samples.
        y_true : array of shape (n, k), or (n,) of int
            The targets: dense rows (one-hot for classes), or integer labels where the loss
            accepts them (the categorical losses).

        Returns
        -------
        array of shape (n,)
            ℓᵢ for each sample.
        """
        xp = array_module_of(y_pred)
        return xp.stack([xp.asarray(self.value_array(y_pred[i:i + 1], y_true[i:i + 1]), dtype=np.float64)
                         for i in range(y_pred.shape[0])])

    def __call__(self, y_pred, y_true) -> float:
        """``loss(y_pred, y_true)`` is :meth:`value`.

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The network's outputs a (or the logits z with ``from_logits=True``), rows = samples.
        y_true : array of shape (n, k), or (n,) of int
            The targets: dense rows (one-hot for classes), or integer labels where the loss
            accepts them (the categorical losses).

        Returns
        -------
        float
            L.
        """
        return self.value(y_pred, y_true)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """L = mean((a − y)²) over all elements;  ∂L/∂a = 2(a − y)/(n·k)."""

    name = "mse"

    def value_array(self, y_pred, y_true):
        d = y_pred - y_true
        return (d * d).mean()

    def per_sample(self, y_pred, y_true):
        d = y_pred - y_true
        return (d * d).mean(axis=1)

    def grad(self, y_pred, y_true):
        d = y_pred - y_true
        return d * (2.0 / d.size)


class QuadraticCost(Loss):
    """L = (1/n) Σ_x ½‖a − y‖²;  ∂L/∂a = (a − y)/n  (Nielsen's quadratic cost)."""

    name = "quadratic"

    def value_array(self, y_pred, y_true):
        d = y_pred - y_true
        return 0.5 * (d * d).sum() / y_pred.shape[0]

    def per_sample(self, y_pred, y_true):
        d = y_pred - y_true
        return 0.5 * (d * d).sum(axis=1)

    def grad(self, y_pred, y_true):
        return (y_pred - y_true) / y_pred.shape[0]


class BinaryCrossentropy(Loss):
    """L = −[y ln a + (1 − y) ln(1 − a)], averaged (see module docstring).

    ``from_logits=True``: y_pred is z and L = max(z, 0) − z·y + ln(1 + e^{−|z|}) (stable),
    ∂L/∂z = (σ(z) − y)/N. With a sigmoid output and ``from_logits=False`` the model
    uses the fused δ = (a − y)/N, which never divides by a or 1 − a.

    Parameters
    ----------
    from_logits : bool, default False
        True: y_pred is the pre-activation z of a linear output layer (the sigmoid is part of the
        loss). False: y_pred holds probabilities a in [0, 1].
    sum_over_outputs : bool, default False
        False: N = n·k, the mean over every element (Keras). True: N = n, summed over the k
        outputs and averaged over samples (Nielsen's CrossEntropyCost).
    """

    name = "binary_crossentropy"
    fused_activation: str | None = "sigmoid"
    targets = "binary"  # y in {0, 1}, or soft labels in [0, 1]; anything else is refused at fit

    def __init__(self, from_logits: bool = False, sum_over_outputs: bool = False):
        self.from_logits = bool(from_logits)
        self.sum_over_outputs = bool(sum_over_outputs)
        if self.from_logits:
            self.fused_activation = None

    def _norm(self, y_pred) -> float:
        return float(y_pred.shape[0]) if self.sum_over_outputs else float(y_pred.size)

    def _elements(self, y_pred, y_true):
        xp = array_module_of(y_pred)
        if self.from_logits:
            z = y_pred
            return xp.maximum(z, 0) - z * y_true + xp.log1p(xp.exp(-xp.abs(z)))
        a = xp.clip(y_pred, *clip_bounds(y_pred))
        return -(y_true * xp.log(a) + (1.0 - y_true) * xp.log1p(-a))

    def value_array(self, y_pred, y_true):
        return self._elements(y_pred, y_true).sum() / self._norm(y_pred)

    def per_sample(self, y_pred, y_true):
        per = self._elements(y_pred, y_true).sum(axis=1)
        return per if self.sum_over_outputs else per / y_pred.shape[1]

    def grad(self, y_pred, y_true):
        xp = array_module_of(y_pred)
        if self.from_logits:
            return self.grad_z(0.5 * (1.0 + xp.tanh(0.5 * y_pred)), y_true)
        a = xp.clip(y_pred, *clip_bounds(y_pred))
        return (a - y_true) / (a * (1.0 - a)) / self._norm(y_pred)

    def grad_z(self, a, y_true):
        return (a - y_true) / self._norm(a)

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits,
                "sum_over_outputs": self.sum_over_outputs}


class CategoricalCrossentropy(Loss):
    """L = −(1/n) Σ_x Σ_j y_j ln a_j, for one-hot (n, k) or integer (n,) targets.

    ``from_logits=True``: y_pred is z; ln softmax(z) is computed stably and
    ∂L/∂z = (softmax(z) − y)/n. With a softmax output layer the model uses the fused
    δ = (a − y)/n.

    Parameters
    ----------
    from_logits : bool, default False
        True: y_pred is the pre-activation z of a linear output layer (softmax is part of the
        loss). False: y_pred holds probabilities (rows summing to 1), clipped to [1e-12, 1].
    label_smoothing : float, default 0.0
        ε in [0, 1): the targets become y(1 − ε) + ε/k (Keras's label smoothing).
    """

    name = "categorical_crossentropy"
    accepts_sparse = True
    fused_activation: str | None = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        if self.from_logits:
            self.fused_activation = None

    def _smoothed(self, y_true, k: int, like):
        """Keras's label smoothing: y ← y(1 − ε) + ε/k (integer labels become one-hot first)."""
        if is_sparse(y_true):
            y_true = one_hot(y_true, k, like.dtype)
        return y_true * (1.0 - self.label_smoothing) + self.label_smoothing / k

    def _log_probs(self, y_pred):
        xp = array_module_of(y_pred)
        if self.from_logits:
            z = y_pred - y_pred.max(axis=-1, keepdims=True)
            return z - xp.log(xp.exp(z).sum(axis=-1, keepdims=True))
        return xp.log(xp.clip(y_pred, CLIP, 1.0))

    def value_array(self, y_pred, y_true):
        n = y_pred.shape[0]
        if self.label_smoothing:
            y_true = self._smoothed(y_true, y_pred.shape[-1], y_pred)
        if is_sparse(y_true):
            if self.from_logits:
                logp = self._log_probs(y_pred)[_rows(y_pred), y_true]
            else:
                xp = array_module_of(y_pred)
                logp = xp.log(xp.clip(y_pred[_rows(y_pred), y_true], CLIP, 1.0))
            return -logp.sum() / n
        return -(y_true * self._log_probs(y_pred)).sum() / n

    def per_sample(self, y_pred, y_true):
        if self.label_smoothing:
            y_true = self._smoothed(y_true, y_pred.shape[-1], y_pred)
        if is_sparse(y_true):
            if self.from_logits:
                return -self._log_probs(y_pred)[_rows(y_pred), y_true]
            xp = array_module_of(y_pred)
            return -xp.log(xp.clip(y_pred[_rows(y_pred), y_true], CLIP, 1.0))
        return -(y_true * self._log_probs(y_pred)).sum(axis=1)

    def grad(self, y_pred, y_true):
        n = y_pred.shape[0]
        if self.label_smoothing:
            y_true = self._smoothed(y_true, y_pred.shape[-1], y_pred)
        xp = array_module_of(y_pred)
        if self.from_logits:
            e = xp.exp(y_pred - y_pred.max(axis=-1, keepdims=True))
            return self.grad_z(e / e.sum(axis=-1, keepdims=True), y_true)
        a = xp.clip(y_pred, CLIP, 1.0)
        if is_sparse(y_true):
            hot = one_hot(y_true, y_pred.shape[-1], y_pred.dtype)
            return xp.where(hot > 0, -1.0 / (a * n), 0.0).astype(y_pred.dtype)
        return -y_true / a / n

    def grad_z(self, a, y_true):
        """δ = (a − y)/n, with y one-hot for integer labels (subtracting 0 elsewhere is exact).

        Parameters
        ----------
        a : array of shape (n, k)
            The softmax outputs.
        y_true : array of shape (n, k), or (n,) of int
            One-hot rows or integer labels (smoothed first when ``label_smoothing`` is set).

        Returns
        -------
        array of shape (n, k)
            δ = ∂L/∂z = (a − y)/n.
        """
        if self.label_smoothing:
            y_true = self._smoothed(y_true, a.shape[-1], a)
        if is_sparse(y_true):
            y_true = one_hot(y_true, a.shape[-1], a.dtype)
        return (a - y_true) / a.shape[0]

    def get_config(self):
        cfg = {"name": self.name, "from_logits": self.from_logits}
        if self.label_smoothing:
            cfg["label_smoothing"] = self.label_smoothing
        return cfg


class LogLikelihood(CategoricalCrossentropy):
    """L = −(1/n) Σ_x ln a_y (Nielsen's log-likelihood cost for a softmax output).

    Numerically the same as categorical cross-entropy on probabilities; δ = a − y (over n).
    """

    name = "log_likelihood"

    def __init__(self):
        super().__init__(from_logits=False)

    def get_config(self):
        return {"name": self.name}


class Huber(Loss):
    """L = mean over all elements of ½d² where |d| ≤ δ, else δ(|d| − ½δ), d = a − y (Keras's Huber);
    ∂L/∂a = d, or δ·sign(d) beyond δ, over the element count N.

    Parameters
    ----------
    delta : float, default 1.0
        δ > 0, where the loss turns from quadratic to linear.
    """

    name = "huber"

    def __init__(self, delta: float = 1.0):
        self.delta = float(delta)
        if not self.delta > 0:
            raise ConfigError(f"huber delta must be > 0, got {delta}")

    def value_array(self, y_pred, y_true):
        return self.per_sample(y_pred, y_true).mean()

    def per_sample(self, y_pred, y_true):
        d = abs(y_pred - y_true)
        xp = array_module_of(d)
        return xp.where(d <= self.delta, 0.5 * d * d, self.delta * (d - 0.5 * self.delta)).mean(axis=1)

    def grad(self, y_pred, y_true):
        d = y_pred - y_true
        return array_module_of(d).clip(d, -self.delta, self.delta) / d.size

    def get_config(self):
        return {"name": self.name, "delta": self.delta}


class MeanAbsoluteError(Loss):
    """L = mean over all elements of |a − y|;  ∂L/∂a = sign(a − y)/N (0 where a = y)."""

    name = "mae"

    def value_array(self, y_pred, y_true):
        return abs(y_pred - y_true).mean()

    def per_sample(self, y_pred, y_true):
        return abs(y_pred - y_true).mean(axis=1)

    def grad(self, y_pred, y_true):
        d = y_pred - y_true
        return array_module_of(d).sign(d) / d.size


def _signed(y_true):
    """Keras's hinge targets: labels in {0, 1} become {−1, 1}; targets already ±1 pass through."""
    xp = array_module_of(y_true)
    if bool(((y_true == 0) | (y_true == 1)).all()):
        return 2.0 * y_true - 1.0
    return y_true.astype(xp.result_type(y_true, 1.0), copy=False)


class Hinge(Loss):
    """L = mean over all elements of max(0, 1 − y·a), y ∈ {−1, 1} (0/1 labels are converted, as
    Keras does);  ∂L/∂a = −y·1[y·a < 1]/N."""

    name = "hinge"
    targets = "signed"

    def value_array(self, y_pred, y_true):
        return array_module_of(y_pred).maximum(0.0, 1.0 - _signed(y_true) * y_pred).mean()

    def per_sample(self, y_pred, y_true):
        return array_module_of(y_pred).maximum(0.0, 1.0 - _signed(y_true) * y_pred).mean(axis=1)

    def grad(self, y_pred, y_true):
        y = _signed(y_true)
        return (-y * (y * y_pred < 1.0)).astype(y_pred.dtype) / y_pred.size


class SquaredHinge(Loss):
    """L = mean over all elements of max(0, 1 − y·a)²;  ∂L/∂a = −2y·max(0, 1 − y·a)/N."""

    name = "squared_hinge"
    targets = "signed"

    def value_array(self, y_pred, y_true):
        m = array_module_of(y_pred).maximum(0.0, 1.0 - _signed(y_true) * y_pred)
        return (m * m).mean()

    def per_sample(self, y_pred, y_true):
        m = array_module_of(y_pred).maximum(0.0, 1.0 - _signed(y_true) * y_pred)
        return (m * m).mean(axis=1)

    def grad(self, y_pred, y_true):
        y = _signed(y_true)
        return (-2.0 * y * array_module_of(y_pred).maximum(0.0, 1.0 - y * y_pred)).astype(y_pred.dtype) / y_pred.size


class CustomLoss(Loss):
    """A loss from two functions: ``value_fn(y_pred, y_true) -> float`` and
    ``grad_fn(y_pred, y_true) -> ∂L/∂y_pred`` (same shape as y_pred).

    The notes' example of a custom loss is asymmetric costs of over- and under-
    prediction; any differentiable function works. Custom losses are not saved in
    model files by value (code is never stored); re-register them by name on load.

    Parameters
    ----------
    value_fn : callable
        ``value_fn(y_pred, y_true)``: the batch's loss L, a float or 0-d array (mean over samples).
    grad_fn : callable
        ``grad_fn(y_pred, y_true)``: ∂L/∂y_pred, an array of y_pred's shape (n, k), including
        the 1/n of the mean.
    name : str, default "custom"
        The name the loss is logged and saved under.
    """

    name = "custom"

    def __init__(self, value_fn: Callable, grad_fn: Callable, name: str = "custom"):
        if not callable(value_fn) or not callable(grad_fn):
            raise ConfigError("CustomLoss needs two callables: value_fn and grad_fn")
        self.value_fn, self.grad_fn, self.name = value_fn, grad_fn, name

    def value_array(self, y_pred, y_true):
        return self.value_fn(y_pred, y_true)

    def grad(self, y_pred, y_true):
        g = self.grad_fn(y_pred, y_true)
        g = g.copy() if hasattr(g, "copy") else g  # the model may overwrite it in place
        if getattr(g, "shape", None) != y_pred.shape:
            raise ConfigError(f"custom loss {self.name!r}: grad_fn returned shape "
                              f"{getattr(g, 'shape', None)}, expected {y_pred.shape}")
        return g


registry.register("loss", MeanSquaredError, aliases=("mean_squared_error",))
registry.register("loss", QuadraticCost)
registry.register("loss", BinaryCrossentropy, aliases=("bce",))
registry.register("loss", CategoricalCrossentropy,
                  aliases=("sparse_categorical_crossentropy", "crossentropy", "cross_entropy"))
registry.register("loss", LogLikelihood)
registry.register("loss", Huber, aliases=("huber_loss",))
registry.register("loss", MeanAbsoluteError, aliases=("mean_absolute_error",))
registry.register("loss", Hinge)
registry.register("loss", SquaredHinge)


def get(identifier) -> Loss:
    """A loss by name ("mse", "categorical_crossentropy", ...), config dict, or object.

    Parameters
    ----------
    identifier : str, dict or Loss
        A registered name (case-insensitive, aliases included: "bce",
        "sparse_categorical_crossentropy"), a config dict ({"name": "huber", "delta": 2.0}),
        or a Loss (returned as it is).

    Returns
    -------
    Loss
        The loss. An unknown name or a bad argument raises ConfigError listing the choices.
    """
    return registry.resolve("loss", identifier, Loss)

registry.declare_base("loss", Loss)
