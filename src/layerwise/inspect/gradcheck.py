"""Gradient checking: backpropagation against float64 central differences.

    result = layerwise.gradcheck(Dense(4, "tanh"), x)          # a layer
    result = layerwise.gradcheck(model, x, y)                   # a compiled float64 model + its loss
    result = layerwise.gradcheck(CategoricalCrossentropy(), y_pred, y_true)   # a loss
    assert result.passed            # every error below result.tolerance (1e-6); max_error is the largest

For each array θ (parameter, input, or prediction), the numerical gradient is
(f(θ + ε) − f(θ − ε)) / 2ε element by element, and the error is the relative distance
‖g_backprop − g_numeric‖ / max(‖g_backprop‖ + ‖g_numeric‖, 1e-3). The floor keeps gradients that
are zero up to rounding from reading as wrong: a central difference of f ~ 1 carries about
ε_mach·|f|/ε ≈ 2e-10 of rounding noise per element (ε = 1e-6), ~1e-9 over a few dozen elements,
which is 1e-6 of 1e-3. (A floor of 1e-4 let a truly zero gradient, the first layer below a
BatchNorm over 2 samples, fail at 1.1e-6.) Gradients larger than 1e-3 are compared relatively;
below it an absolute error above 1e-9 still fails a 1e-6 tolerance.
For a layer, f = Σ forward(x) ⊙ R + Σ R(w) with a fixed random R, so every output is exercised and
the layer's weight penalties (kernel/bias/β/γ regularizers) are differentiated too: ``backward``
adds dR/dw to ``grads``, so the check covers the data gradient and the penalty's gradient together.
For a model, f = loss(forward(x), y) + Σ penalties, likewise.
The layer's ``backward`` is run twice and the second call's gradients are checked, so a
``backward`` that accumulates into ``grads`` instead of filling them fails.
Randomness (dropout masks) is replayed identically for every evaluation.
An error that is NaN (a NaN gradient) or a gradient of the wrong shape counts as failed (inf/NaN).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.activations import ActivationFunction
from ..core.layers import Layer
from ..core.losses import Loss
from ..errors import ConfigError
from ..training.step import plan_for

ABS_FLOOR = 1e-3
TOLERANCE = 1e-6  # GradcheckResult.passed: every error below this


@dataclass
class GradcheckResult:
    """Relative error per checked array; ``passed`` when every one is below ``tolerance``.

    What :func:`layerwise.gradcheck` returns; ``print(result)`` lists every error.

    Parameters
    ----------
    errors : dict of str to float, default {}
        The relative error ‖g_backprop − g_numeric‖ / max(‖g_backprop‖ + ‖g_numeric‖, 1e-3) of each
        checked array, by name ("kernel", "bias", "x", "dense/kernel", "y_pred", ...).
    tolerance : float, default 1e-6
        An array passes when its error is below this.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tolerance: float = TOLERANCE

    @property
    def max_error(self) -> float:
        """The largest error; NaN if any error is NaN (max() would skip it when it is not first)."""
        values = list(self.errors.values())
        if any(np.isnan(v) for v in values):
            return float("nan")
        return max(values, default=0.0)

    @property
    def failures(self) -> dict[str, float]:
        """The arrays whose error is not below the tolerance (NaN included)."""
        return {k: v for k, v in self.errors.items() if not v < self.tolerance}

    @property
    def passed(self) -> bool:
        """True when every error is below ``tolerance`` (a NaN error fails)."""
        return not self.failures

    def __repr__(self):
        inner = ", ".join(f"{k}: {v:.2e}" for k, v in self.errors.items())
        verdict = "passed" if self.passed else f"FAILED ({', '.join(self.failures)})"
        return (f"GradcheckResult({verdict}, tolerance={self.tolerance:.0e}, "
                f"max_error={self.max_error:.2e}; {inner})")


def relative_error(analytic, numeric) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, 1e-3); inf when the shapes differ (broadcasting would hide it)."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if a.shape != n.shape:
        return float("inf")
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(n)), ABS_FLOOR)
    return float(np.linalg.norm(a - n) / denom)


def numeric_gradient(f, theta: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of the scalar f() with respect to every element of theta (in place)."""
    grad = np.zeros_like(theta, dtype=np.float64)
    flat, gflat = theta.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def _replayable(rng):
    """A function that rewinds the generator to its current state (so masks repeat)."""
    if rng is None:
        return lambda: None
    state = rng.bit_generator.state
    return lambda: setattr(rng.bit_generator, "state", state)


def _check_layer(layer: Layer, x, training, eps, seed) -> GradcheckResult:
    x = np.array(x, dtype=np.float64)
    if not layer.built:  # all four arguments, as Sequential.build passes them (user layers may lack defaults)
        layer.build(tuple(x.shape[1:]), np.random.default_rng(seed), np.float64, np)
    if layer.dtype != np.float64:
        raise ConfigError(f"gradcheck needs a float64 layer; {layer.name or layer} is {layer.dtype}")
    rewind = _replayable(getattr(layer, "rng", None))
    rewind()
    r = np.random.default_rng(seed + 1).standard_normal(layer.forward(x, training).shape)

    def f():
        rewind()
        return float((layer.forward(x, training) * r).sum()) + layer.regularization_loss()

    for _ in range(2):  # the second call's grads: a backward that adds into grads instead of filling them fails
        rewind()
        layer.forward(x, training)
        dx = layer.backward(r.copy(), True)
    analytic = {f"grad {k}": layer.grads[k].copy() for k in layer.params}
    analytic["grad x"] = dx
    result = GradcheckResult()
    for k in layer.params:
        result.errors[k] = relative_error(analytic[f"grad {k}"], numeric_gradient(f, layer.params[k], eps))
    result.errors["x"] = relative_error(dx, numeric_gradient(f, x, eps))
    return result


def _check_model(model, x, y, training, eps) -> GradcheckResult:
    from ..data.inputs import as_targets
    if model.dtype != np.float64:
        raise ConfigError("gradcheck needs a float64 model: Sequential(..., dtype='float64')")
    if model.loss is None:
        raise ConfigError("compile the model (its loss is checked too) before gradcheck")
    x = np.array(x, dtype=np.float64)
    if not model.built:
        model.build(x.shape[1:])
    y, _ = as_targets(y, len(x), model.n_outputs, model.loss.accepts_sparse, np.float64)
    fused = plan_for(model).fused
    rewind = _replayable(model.rng)

    def f():
        rewind()
        return model.loss.value(model.forward(x, training), y) + model.regularization_loss()

    rewind()
    out = model.forward(x, training)
    model.collect_params()
    model.backward(model.loss.grad_z(out, y) if fused else model.loss.grad(out, y), fused=fused, all_layers=True)
    result = GradcheckResult()
    for layer in model.layers:
        for k in layer.params:
            analytic = layer.grads[k].copy()
            result.errors[f"{layer.name}/{k}"] = relative_error(analytic, numeric_gradient(f, layer.params[k], eps))
    return result


def _check_loss(loss: Loss, y_pred, y_true, eps) -> GradcheckResult:
    y_pred = np.array(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    if not np.issubdtype(y_true.dtype, np.integer):
        y_true = y_true.astype(np.float64)
    result = GradcheckResult()
    result.errors["y_pred"] = relative_error(loss.grad(y_pred, y_true),
                                             numeric_gradient(lambda: loss.value(y_pred, y_true), y_pred, eps))
    if loss.fused_activation is not None:  # δ = ∂L/∂z through the paired output activation
        from ..core import activations
        act = activations.get(loss.fused_activation)
        z = np.log(np.clip(y_pred, 1e-6, None)) if act.name == "softmax" else \
            np.log(np.clip(y_pred, 1e-6, 1 - 1e-6) / (1 - np.clip(y_pred, 1e-6, 1 - 1e-6)))
        numeric = numeric_gradient(lambda: loss.value(act.value(z), y_true), z, eps)
        result.errors[f"z ({act.name} fused)"] = relative_error(loss.grad_z(act.value(z), y_true), numeric)
    return result


def _check_activation(act: ActivationFunction, z, eps, seed) -> GradcheckResult:
    z = np.array(z, dtype=np.float64)
    r = np.random.default_rng(seed + 1).standard_normal(z.shape)
    extra = {"z": z} if getattr(act, "needs_input", False) else {}
    analytic = act.backward(r.copy(), act.value(z.copy()), **extra)
    numeric = numeric_gradient(lambda: float((act.value(z.copy()) * r).sum()), z, eps)
    return GradcheckResult({"z": relative_error(analytic, numeric)})


def gradcheck(obj, x, y=None, *, training: bool = True, eps: float = 1e-6, seed: int = 0,
              tolerance: float = TOLERANCE) -> GradcheckResult:
    """Compare backprop with float64 central differences for a layer, model, loss or activation.

    - Layer: ``x`` is the input batch; checks every parameter and the input gradient.
    - Sequential (compiled, dtype float64): checks every parameter against model.loss(x, y) + penalties.
    - A layer's objective includes its penalties R(w) too (backward adds their gradient to grads).
    - Loss: ``x`` is y_pred, ``y`` is y_true; checks ∂L/∂y_pred and the fused ∂L/∂z.
    - ActivationFunction: ``x`` is z.
    The result's ``passed`` says whether every error is below ``tolerance``; ``failures`` names
    the arrays that are not; ``max_error`` is the largest error.

    Parameters
    ----------
    obj : Layer, Sequential, Loss or ActivationFunction
        What to check. An unbuilt layer is built for x's shape in float64; a model must be
        compiled with ``dtype="float64"``.
    x : ndarray
        The input batch (n, features) for a layer or model, y_pred (n, k) for a loss, z (n, units)
        for an activation. Use float64.
    y : ndarray or None, default None
        The targets: needed for a model and a loss, else unused.
    training : bool, default True
        Run the forward pass in training mode (dropout masks, batch statistics); the masks are
        replayed identically for every evaluation.
    eps : float, default 1e-6
        ε of the central difference (f(θ + ε) − f(θ − ε)) / 2ε.
    seed : int, default 0
        Seeds a layer's initial weights and the fixed random weighting R of its outputs.
    tolerance : float, default 1e-6
        The largest error that passes.

    Returns
    -------
    GradcheckResult
        The error of every checked array: each parameter and the input x for a layer, each
        parameter for a model, y_pred and the fused z for a loss, z for an activation. Any other
        ``obj``, or a loss without y, raises ConfigError.
    """
    from ..model import Sequential
    result = None
    if isinstance(obj, Sequential):
        result = _check_model(obj, x, y, training, eps)
    elif isinstance(obj, Layer):
        result = _check_layer(obj, x, training, eps, seed)
    elif isinstance(obj, Loss):
        if y is None:
            raise ConfigError("gradcheck of a loss needs y (the targets)")
        result = _check_loss(obj, x, y, eps)
    elif isinstance(obj, ActivationFunction):
        result = _check_activation(obj, x, eps, seed)
    if result is not None:
        result.tolerance = float(tolerance)
        return result
    raise ConfigError(f"gradcheck takes a Layer, Sequential, Loss or ActivationFunction, got {obj!r}")
