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
from .backend import array_module_of


def _nonneg(name: str, value: float) -> float:
    return checks.check(name, value, checks.NONNEGATIVE)


class Regularizer:
    """Penalty R(w): ``penalty(w) -> float`` and ``gradient(w) -> dR/dw``; the layers call
    ``penalty_array(w)`` and ``add_gradient(w, grad)``.

    A subclass sets ``name`` and writes ``penalty`` (or ``penalty_array``) and ``gradient`` with
    ``xp = array_module_of(w)``, which runs on every engine; one that writes only an in-place
    ``add_gradient`` in NumPy runs on NumPy. A layer adds R(w) to the loss and dR/dw to the
    parameter's gradient (``Dense(kernel_regularizer=...)``). The base class takes no constructor
    arguments.
    """

    name = "regularizer"

    def penalty(self, w) -> float:
        """R(w), the term added to the loss.

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.

        Returns
        -------
        float
            R(w).
        """
        raise NotImplementedError

    def penalty_array(self, w):
        """The penalty as a 0-d array on w's device (by default from ``penalty``).

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.

        Returns
        -------
        0-d array
            R(w), float64, on w's device.
        """
        return array_module_of(w).asarray(self.penalty(w), dtype=np.float64)

    def gradient(self, w):
        """dR/dw, written with ``xp = array_module_of(w)``.

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.

        Returns
        -------
        array of w's shape
            dR/dw.
        """
        raise NotImplementedError

    def added(self, w, grad):
        """grad + dR/dw (a new array; the step writes it where the gradient lives). A subclass that
        defines only the in-place ``add_gradient`` (NumPy code) keeps working: that form is used."""
        if not traceable(self):
            out = grad.copy()
            self.add_gradient(w, out)
            return out
        return self.plus_gradient(w, grad)

    def plus_gradient(self, w, grad):
        """grad + dR/dw, written with ``xp``.

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.
        grad : array of w's shape
            ∂L/∂w from the backward pass.

        Returns
        -------
        array of w's shape
            grad + dR/dw, a new array.
        """
        return grad + self.gradient(w)

    def add_gradient(self, w, grad) -> None:
        """grad += dR/dw, in place (the NumPy path's form of ``added``).

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.
        grad : array of w's shape
            ∂L/∂w, which receives the sum.
        """
        grad[...] = self.added(w, grad)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


def traceable(obj) -> bool:
    """Whether a regularizer's or constraint's arithmetic is its ``xp`` form (``plus_gradient``/``gradient``,
    ``project``), not an in-place ``add_gradient``/``apply`` of its own written for NumPy."""
    base = Regularizer if isinstance(obj, Regularizer) else Constraint
    name = "add_gradient" if base is Regularizer else "apply"
    return getattr(type(obj), name) is getattr(base, name)


class L1L2(Regularizer):
    """R(w) = l1·Σ|w| + l2·Σw²;  dR/dw = l1·sign(w) + 2·l2·w.

    Parameters
    ----------
    l1 : float, default 0.0
        The L1 factor (≥ 0).
    l2 : float, default 0.0
        The L2 factor (≥ 0). Nielsen's λ on n training samples is l2 = λ/(2n).
    """

    name = "l1_l2"

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _nonneg("l1", l1)
        self.l2 = _nonneg("l2", l2)

    def penalty(self, w) -> float:
        return float(self.penalty_array(w))

    def penalty_array(self, w):
        """The penalty as a 0-d array on w's device.

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.

        Returns
        -------
        0-d array
            R(w) = l1·Σ|w| + l2·Σw² (the Python float 0.0 when l1 = l2 = 0).
        """
        total = 0.0
        if self.l1:
            total = total + self.l1 * abs(w).sum()
        if self.l2:
            total = total + self.l2 * (w * w).sum()
        return total

    def gradient(self, w):
        g = 0.0
        if self.l1:
            g = array_module_of(w).sign(w) * self.l1
        if self.l2:
            g = g + w * (2.0 * self.l2)
        return g

    def plus_gradient(self, w, grad):
        """grad + l1·sign(w) + 2·l2·w, each term added in turn (the order the reference has always used).

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.
        grad : array of w's shape
            ∂L/∂w from the backward pass.

        Returns
        -------
        array of w's shape
            grad + dR/dw, a new array (``grad`` itself when l1 = l2 = 0).
        """
        if self.l1:
            grad = grad + array_module_of(w).sign(w) * self.l1
        if self.l2:
            grad = grad + w * (2.0 * self.l2)
        return grad

    def get_config(self):
        return {"name": self.name, "l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """R(w) = l1·Σ|w| (the notes' loss_L1).

    Parameters
    ----------
    l1 : float, default 0.01
        The factor (≥ 0); dR/dw = l1·sign(w).
    """

    name = "l1"

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"name": self.name, "l1": self.l1}


class L2(L1L2):
    """R(w) = l2·Σw² (the notes' loss_L2).

    Parameters
    ----------
    l2 : float, default 0.01
        The factor (≥ 0); dR/dw = 2·l2·w. Nielsen's λ on n training samples is l2 = λ/(2n).
    """

    name = "l2"

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"name": self.name, "l2": self.l2}


class Constraint:
    """A projection applied to a parameter after every update: ``project(w)`` returns the projected
    array (written with ``xp``); ``apply(w)`` writes it in place (the NumPy path).

    A subclass sets ``name`` and writes ``project``. A layer applies it to the parameter after
    each optimizer step (``Dense(kernel_constraint=...)``). The base class takes no constructor
    arguments.
    """

    name = "constraint"

    def project(self, w):
        """The projected parameter, written with ``xp = array_module_of(w)``.

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.

        Returns
        -------
        array of w's shape
            The projection of w onto the constraint set, a new array.
        """
        raise NotImplementedError

    def apply(self, w) -> None:
        """Project w in place (``w[...] = project(w)``).

        Parameters
        ----------
        w : array
            The parameter (a Dense kernel (n_in, units), a bias (units,)), on its device.
        """
        w[...] = self.project(w)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class MaxNorm(Constraint):
    """Each unit's incoming weight vector w_j = W[:, j] is rescaled so ‖w_j‖₂ <= max_value.

    For a Dense kernel (n_in, n_out) the norm is taken over ``axis=0`` (the inputs).

    Parameters
    ----------
    max_value : float, default 2.0
        The largest norm allowed (> 0).
    axis : int, default 0
        The axis the norm runs over: 0 gives each unit's incoming weights of a Dense kernel.
    """

    name = "max_norm"

    def __init__(self, max_value: float = 2.0, axis: int = 0):
        self.max_value = checks.check("max_value", max_value, checks.POSITIVE)
        self.axis = checks.check("axis", axis, checks.Interval(int))

    def project(self, w):
        xp = array_module_of(w)
        norms = xp.sqrt((w * w).sum(axis=self.axis, keepdims=True))
        scale = xp.minimum(1.0, self.max_value / xp.maximum(norms, 1e-12))
        return w * scale.astype(w.dtype)

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
