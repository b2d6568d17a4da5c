"""The one training step, for every backend.

    forward (training mode; each layer caches what backward needs)
    → loss L = loss(a, y) + Σ penalties           (a 0-d array where the data lives)
    → backward: δ at the output (fused with its activation where the loss allows), down the stack
    → optimizer: clip → decay → update rule       (in place, one flat buffer)
    → constraints (max-norm) → weight averages (EMA)
    → running sums of the loss and the metrics' streaming states

The XLA engine (xla.py) traces this same forward, loss, backward, chain and rule into one program;
its epochs add each step's loss to the same sums, read back once per epoch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core import backend
from ..core.metrics import Metric
from .nonfinite import Halt, policy_of


@dataclass(frozen=True)
class StepPlan:
    """Per-fit settings, computed once from the model (and the callbacks) by :func:`plan_for`."""

    fused: bool = False               # the loss gives δ = ∂L/∂z of the output activation directly
    regularized: bool = False         # some layer adds a penalty to the loss
    constrained: bool = False         # some layer has a weight constraint (max-norm)
    nonfinite: Halt | None = None     # the policy for a NaN/inf loss (nonfinite.py): each step's loss is
                                      # checked and a non-finite step is not applied; None: no check

    @property
    def halt_on_nonfinite(self) -> bool:
        return self.nonfinite is not None
    metrics: tuple[Metric, ...] = field(default=())
    measure: bool = True              # compute the loss value at all (the book's SGD monitors otherwise)


def output_activation(model) -> str | None:
    activation = getattr(model.layers[-1], "activation", None) if model.layers else None
    return getattr(activation, "name", None)


def plan_for(model, callbacks=()) -> StepPlan:
    """The step's settings for this model: fused loss/activation, penalties, constraints, metrics;
    ``halt_on_nonfinite`` when a callback asks for per-step checks (TerminateOnNaN, RollbackOnNaN)."""
    fused_with = model.loss.fused_activation if model.loss is not None else None
    layers = model.layers
    return StepPlan(
        fused=fused_with is not None and fused_with == output_activation(model),
        regularized=any(layer.regularization_terms() for layer in layers if layer.built),
        constrained=any(getattr(layer, "kernel_constraint", None) is not None or
                        getattr(layer, "bias_constraint", None) is not None for layer in layers),
        nonfinite=policy_of(callbacks),
        metrics=tuple(model.active_metrics),
    )


@dataclass
class StepResult:
    logs: dict          # for on_batch_end: {"size": m} (+ "loss" when read back)
    halted: bool = False  # the loss was non-finite and the update was not applied
    nonfinite: str | None = None  # where a non-finite loss first shows (locate_nonfinite), if it did


def penalty(model):
    """Σ of every layer's penalty terms, in float64, on the model's device (0.0 when none)."""
    total = 0.0
    for layer in model.layers:
        for term in layer.regularization_terms():
            total = total + model.xp.asarray(term, dtype=np.float64)
    return total


def locate_nonfinite(model, loss) -> str:
    """Where the first NaN/inf is: a parameter, a layer's output, or the loss itself."""
    step = model.optimizer.iterations
    xp = model.xp
    for layer in model.layers:
        for key, arr in layer.params.items():
            if not bool(xp.isfinite(arr).all()):
                return f"step {step}: layer {layer.name!r} parameter {key!r} holds NaN/inf"
        cached = layer.last_output
        if cached is not None and not bool(xp.isfinite(cached).all()):
            return f"step {step}: layer {layer.name!r} output (activations) holds NaN/inf"
    return f"step {step}: the loss is {loss} although every layer's output is finite"


def backward_and_update(model, plan: StepPlan, out, y, row_scale=None) -> None:
    """The step after the forward pass: δ at the output (row i scaled by ``row_scale[i]`` =
    n·wᵢ/Σw under sample weights), backward, optimizer, constraints, EMA."""
    delta = model.loss.grad_z(out, y) if plan.fused else model.loss.grad(out, y)
    if row_scale is not None:
        delta *= row_scale.reshape((-1,) + (1,) * (delta.ndim - 1))
    model.backward(delta, fused=plan.fused)
    averaged_in_step = model.ema if not plan.constrained else None  # the average follows the constraints
    model.optimizer.update(model.flat_params, model.flat_grads, model.tensor_grads, ema=averaged_in_step)
    if plan.constrained:
        for layer in model.layers:
            layer.apply_constraints()
        if model.ema is not None:
            model.ema.update(model.flat_params)


def weighting(model, out, y, weights, sum_dtype=np.float64, floor=1e-300):
    """Under sample weights w: the batch loss Σwᵢℓᵢ/Σwᵢ (summed in ``sum_dtype``) and the δ row
    scales n·wᵢ/Σwᵢ (a batch whose weights are all 0 gives loss 0 and no gradient). Both engines
    run this; the XLA engine sums in the model's dtype (float64 needs JAX's x64 mode)."""
    xp = backend.array_module_of(out)
    total = xp.maximum(weights.sum(), floor)
    loss = (model.loss.per_sample(out, y).astype(sum_dtype) * weights).sum() / total
    return loss, (weights * (out.shape[0] / total)).astype(out.dtype)


def train_step(model, plan: StepPlan, x, y, labels=None, sums=None, weights=None) -> StepResult:
    """One step on one batch . ``labels`` (integer classes,
    or None) feed the metrics; ``sums`` (EpochSums, or None) accumulate the loss and metrics;
    ``weights`` (n,) are the batch's sample weights (None: all 1)."""
    m = int(x.shape[0])
    out = model.forward(x, training=True)
    row_scale = None
    if weights is not None:
        loss, row_scale = weighting(model, out, y, weights)
    if not plan.measure:  # gradients only: no loss value, no penalty sum, no metrics
        backward_and_update(model, plan, out, y, row_scale)
        return StepResult({"size": m})
    if weights is None:
        loss = model.loss.value_array(out, y)
    if plan.regularized:
        loss = loss + penalty(model)  # float64
    value = float(loss)
    logs: dict = {"size": m, "loss": value}
    report = None
    if not math.isfinite(value):  # where it first shows (once the weights hold NaN, every step would)
        report = model.nonfinite_report or locate_nonfinite(model, value)
        if plan.halt_on_nonfinite:
            return StepResult(logs, halted=True, nonfinite=report)  # the weights stay as they were
    backward_and_update(model, plan, out, y, row_scale)
    if sums is not None:
        sums.add(value, m, out, y, labels, weights)
    return StepResult(logs, nonfinite=report)
