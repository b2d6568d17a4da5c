"""Weight penalties (added to the loss and to the gradients) and weight constraints.

Convention (Keras's, per layer): ``L2(l)`` adds ``l·Σw²`` to the loss and ``2l·w`` to
the gradient; ``L1(l)`` adds ``l·Σ|w|`` and ``l·sign(w)``. The notes' TensorFlow code
writes ``loss + REGULARIZER·Σw²`` — the same thing. Nielsen's book writes the L2 term as
``(λ/2n)·Σw²`` on the whole network; the book-style API (``layerwise.compat.nielsen``)
maps its λ onto ``L2(λ/(2n))`` so both give the update ``w ← (1 − ηλ/n)w − η∇C₀``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks, registry


def _nonneg(name: str, value: float) -> float:
    return checks.check(name, value, checks.NONNEGATIVE)


class Regularizer:
    """Penalty R(w): ``penalty(w) -> float`` and ``gradient(w) -> dR/dw``; the layers call
    ``penalty_array(w)`` and ``add_gradient(w, grad)``."""

    name = "regularizer"

    def penalty(self, w) -> float:
        raise NotImplementedError

    def penalty_array(self, w):
        """The penalty as a 0-d array on w's device (by default from ``penalty``)."""
        from .backend import array_module_of
        return array_module_of(w).asarray(self.penalty(w), dtype=np.float64)

    def gradient(self, w):
        raise NotImplementedError

    def add_gradient(self, w, grad) -> None:
        """grad += dR/dw, in place (by default from ``gradient``)."""
        grad += self.gradient(w)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class L1L2(Regularizer):
    """R(w) = l1·Σ|w| + l2·Σw²;  dR/dw = l1·sign(w) + 2·l2·w."""

    name = "l1_l2"

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _nonneg("l1", l1)
        self.l2 = _nonneg("l2", l2)

    def penalty(self, w) -> float:
        return float(self.penalty_array(w))

    def penalty_array(self, w):
        """The penalty as a 0-d array on w's device."""
        total = 0.0
        if self.l1:
            total = total + self.l1 * abs(w).sum()
        if self.l2:
            total = total + self.l2 * (w * w).sum()
        return total

    def gradient(self, w):
        g = 0.0
        if self.l1:
            g = self.l1 * np.sign(w)
        if self.l2:
            g = g + (2.0 * self.l2) * w
        return g

    def add_gradient(self, w, grad) -> None:
        """grad += dR/dw, in place, through a scratch array kept between steps (a weight-sized
        temporary per step would be an allocation, on large layers a page-faulting mmap)."""
        tmp = self._scratch(w)
        if self.l1:
            np.sign(w, out=tmp)
            tmp *= self.l1
            grad += tmp
        if self.l2:
            np.multiply(w, 2.0 * self.l2, out=tmp)
            grad += tmp

    def _scratch(self, w):
        buffers = self.__dict__.setdefault("_buffers", {})
        key = (w.shape, w.dtype, type(w))  # hashable as they are: no string formatting per step
        if key not in buffers:
            buffers[key] = w * 0
        return buffers[key]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_buffers", None)
        return state

    def get_config(self):
        return {"name": self.name, "l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """R(w) = l1·Σ|w| (the notes' loss_L1)."""

    name = "l1"

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"name": self.name, "l1": self.l1}


class L2(L1L2):
    """R(w) = l2·Σw² (the notes' loss_L2)."""

    name = "l2"

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"name": self.name, "l2": self.l2}


class Constraint:
    """A projection applied to a parameter in place after every update."""

    name = "constraint"

    def apply(self, w) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class MaxNorm(Constraint):
    """Each unit's incoming weight vector w_j = W[:, j] is rescaled so ‖w_j‖₂ <= max_value.

    For a Dense kernel (n_in, n_out) the norm is taken over ``axis=0`` (the inputs).
    """

    name = "max_norm"

    def __init__(self, max_value: float = 2.0, axis: int = 0):
        self.max_value = checks.check("max_value", max_value, checks.POSITIVE)
        self.axis = checks.check("axis", axis, checks.Interval(int))

    def apply(self, w) -> None:
        norms = np.sqrt((w * w).sum(axis=self.axis, keepdims=True))
        scale = np.minimum(1.0, self.max_value / np.maximum(norms, 1e-12))
        w *= scale.astype(w.dtype, copy=False)

    def get_config(self):
        return {"name": self.name, "max_value": self.max_value, "axis": self.axis}


for _cls in (L1, L2, L1L2):
    registry.register("regularizer", _cls)
registry.register("constraint", MaxNorm)


def get(identifier) -> Regularizer | None:
    """None, a Regularizer, a name ("l2") or a config dict ({"name": "l2", "l2": 1e-4})."""
    return None if identifier is None else registry.resolve("regularizer", identifier, Regularizer)


def get_constraint(identifier) -> Constraint | None:
    """None, a Constraint, a name ("max_norm") or a config dict."""
    return None if identifier is None else registry.resolve("constraint", identifier, Constraint)

registry.declare_base("regularizer", Regularizer)
registry.declare_base("constraint", Constraint)
