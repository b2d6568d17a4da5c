"""Optimizers: ``update(params, grads)`` changes each parameter in place.

Every step runs the gradient chain (``chain.py``: clip by value → clip by norm → global-norm clip
→ coupled weight decay), then the optimizer's rule, with η = schedule(step) · lr_multiplier.
``lr_multiplier`` is what ReduceLROnPlateau changes, so plateaus compose with schedules.
Adam-family arithmetic follows PyTorch (ε added to √v̂).

A rule is written once, as an element-wise body ``rule(w, g, *state, *scalars) -> (w, *state)``
using arithmetic and NumPy ufuncs only, with its per-step scalars from ``scalars(lr)``. The same
body runs on whole arrays (NumPy: the small-model path and the reference; jax.numpy in the XLA step) and is
compiled into the fused CPU kernel (``fused.py``). A subclass that changes ``scalars`` (a different
bias correction, say) or ``rule`` runs its own arithmetic on every path.

State is kept per parameter *name* (``layer/key``, the model state's names): the model binds the
optimizer to the layout of its flat parameter buffer, and when that layout changes (a layer frozen
or unfrozen between fits) every parameter that stays trainable keeps its state; new ones start fresh.

State decaying under a zero gradient (blank border pixels) would sink into subnormal numbers, ~100×
slower on x86: every ``FLUSH_EVERY`` steps entries below ``tiny · 2²⁴`` (≈ 2e-31 in float32) are set
to zero, far below anything that moves a weight, and deterministic (resumes stay exact).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import checks, registry
from ..core import state as model_state
from ..core.backend import array_module_of
from ..errors import ConfigError, MissingDependencyError
from . import chain, schedules
from . import fused as fused_kernels

FLUSH_EVERY = 8
BLOCK = 1 << 16  # elements per block of the NumPy path: a rule's temporaries stay in the L2 cache


def flush_tiny(a) -> None:
    """Set entries smaller than tiny·2²⁴ in magnitude to zero (in place), so they never go subnormal."""
    limit = float(np.finfo(a.dtype).tiny) * 2.0 ** 24
    np.copyto(a, 0, where=np.abs(a) < limit)


# -- the rules: each written once (element-wise; the kernel is compiled from this text) -------------
def sgd_rule(w, g, lr):
    """w ← w − η·g

    Parameters
    ----------
    w : array or float
        The weights (a whole array, or one element inside the fused kernel).
    g : array or float
        Their gradient, after the chain (clips, coupled decay).
    lr : float
        η, this step's learning rate.

    Returns
    -------
    tuple
        (new w,).
    """
    return (w - g * lr,)


def momentum_rule(w, g, velocity, lr, mu):
    """v ← μ·v − η·g;  w ← w + v"""
    velocity = velocity * mu - g * lr
    return w + velocity, velocity


def nesterov_rule(w, g, velocity, lr, mu):
    """v ← μ·v − η·g;  w ← w − η·g + μ·v"""
    step = g * lr
    velocity = velocity * mu - step
    return (w - step) + velocity * mu, velocity


def scaled_rule(w, g, s, lr, rho, one_minus_rho, eps):
    """s ← ρ·s + (1 − ρ)·g²;  w ← w − η·g/(√s + ε)   (AdaGrad: ρ = 1 − ρ = 1, a plain sum)

    Parameters
    ----------
    w : array or float
        The weights (a whole array, or one element inside the fused kernel).
    g : array or float
        Their gradient, after the chain (clips, coupled decay).
    s : array or float
        The running (mean) square of the gradient, as w.
    lr : float
        η, this step's learning rate.
    rho : float
        ρ, the weight of the old s (RMSProp's ρ; 1 for AdaGrad).
    one_minus_rho : float
        The weight of g² (1 − ρ; 1 for AdaGrad).
    eps : float
        ε, added to √s.

    Returns
    -------
    tuple
        (new w, new s).
    """
    s = s * rho + (g * g) * one_minus_rho
    return w - (g / (np.sqrt(s) + eps)) * lr, s


def adam_rule(w, g, m, v, b1, one_minus_b1, b2, one_minus_b2, eps, step, c2, decay):
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← decay·w − step·m/(c₂·√v + ε)
    with step = η/(1 − β₁ᵗ), c₂ = 1/√(1 − β₂ᵗ), decay = 1 (AdamW: 1 − ηλ).

    Parameters
    ----------
    w : array or float
        The weights (a whole array, or one element inside the fused kernel).
    g : array or float
        Their gradient, after the chain (clips, coupled decay).
    m : array or float
        The first moment (running mean of g), as w.
    v : array or float
        The second moment (running mean of g²), as w.
    b1, one_minus_b1 : float
        β₁ and 1 − β₁.
    b2, one_minus_b2 : float
        β₂ and 1 − β₂.
    eps : float
        ε, added to the corrected √v.
    step : float
        η/(1 − β₁ᵗ), the step with the first moment's bias correction.
    c2 : float
        1/√(1 − β₂ᵗ), the second moment's bias correction.
    decay : float
        The factor on w: 1 (AdamW: 1 − ηλ).

    Returns
    -------
    tuple
        (new w, new m, new v).
    """
    m = m * b1 + g * one_minus_b1
    v = v * b2 + (g * g) * one_minus_b2
    return w * decay - (m / (np.sqrt(v) * c2 + eps)) * step, m, v


def adamax_rule(w, g, m, u, b1, one_minus_b1, b2, eps, step):
    """m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  w ← w − step·m/u,  step = η/(1 − β₁ᵗ)

    Parameters
    ----------
    w : array or float
        The weights (a whole array, or one element inside the fused kernel).
    g : array or float
        Their gradient, after the chain (clips, coupled decay).
    m : array or float
        The first moment (running mean of g), as w.
    u : array or float
        The infinity norm (decayed running maximum of |g|), as w.
    b1, one_minus_b1 : float
        β₁ and 1 − β₁.
    b2 : float
        β₂, the decay of u.
    eps : float
        ε, added to |g|.
    step : float
        η/(1 − β₁ᵗ).

    Returns
    -------
    tuple
        (new w, new m, new u).
    """
    m = m * b1 + g * one_minus_b1
    u = np.maximum(u * b2, np.abs(g) + eps)
    return w - (m / u) * step, m, u


def nadam_rule(w, g, m, v, b1, one_minus_b1, b2, one_minus_b2, eps, c_g, c_m, bc2):
    """m, v as Adam's;  d = √(v/(1 − β₂ᵗ)) + ε;  w ← w − c_g·g/d − c_m·m/d

    Parameters
    ----------
    w : array or float
        The weights (a whole array, or one element inside the fused kernel).
    g : array or float
        Their gradient, after the chain (clips, coupled decay).
    m : array or float
        The first moment (running mean of g), as w.
    v : array or float
        The second moment (running mean of g²), as w.
    b1, one_minus_b1 : float
        β₁ and 1 − β₁.
    b2, one_minus_b2 : float
        β₂ and 1 − β₂.
    eps : float
        ε, added to the corrected √v.
    c_g : float
        η(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ), the weight of the current gradient.
    c_m : float
        η·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ), the weight of the momentum.
    bc2 : float
        1 − β₂ᵗ, the second moment's bias correction.

    Returns
    -------
    tuple
        (new w, new m, new v).
    """
    m = m * b1 + g * one_minus_b1
    v = v * b2 + (g * g) * one_minus_b2
    d = np.sqrt(v / bc2) + eps
    return w - c_g * g / d - c_m * m / d, m, v


class Optimizer:
    """The base of every optimizer: the chain, the learning rate, the state and the step.

    A subclass names its state (``slot_names``), gives its rule (an element-wise function, see
    the module docstring) and the rule's per-step scalars (``scalars``).

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.01
        η: a positive number (constant), a schedule's config dict, or a Schedule, called with
        the number of updates done (``ExponentialDecay(0.1, 1000, 0.96)``).
    weight_decay : float, default 0.0
        λ ≥ 0: coupled weight decay, g ← g + λ·w before the rule (L2 through the gradient);
        AdamW decouples it (w ← (1 − ηλ)·w in its rule).
    clipvalue : float or None, default None
        c > 0: clip every gradient element to [−c, c]. None: no clip.
    clipnorm : float or None, default None
        c > 0: rescale each tensor's gradient to a norm of at most c. None: no clip.
    global_clipnorm : float or None, default None
        c > 0: rescale all gradients together to a joint norm ‖(g₁, g₂, …)‖ of at most c.
        None: no clip.
    fused : bool or None, default None
        The compiled CPU kernel (Numba) over the flat parameter buffer: True always (a
        MissingDependencyError without Numba), False never (the NumPy path). None: when Numba
        is there and the buffer holds at least 32,768 values.
    """

    name = "optimizer"
    slot_names: tuple[str, ...] = ()
    rule: Callable = staticmethod(sgd_rule)
    couples_weight_decay = True  # the chain's decay step adds λ·w to the gradient (AdamW: False)
    fused: bool | None = None    # None: the kernel when Numba is there and the buffer is large enough
    config_keys: tuple[str, ...] = ()  # the subclass's hyperparameters, saved by get_config

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not isinstance(vars(cls).get("rule", staticmethod(len)), staticmethod):  # a method would get self as w
            raise TypeError(f"{cls.__name__}.rule must be a @staticmethod: rule(w, g, *slots, *scalars) -> (w, *slots)")
        old = sorted({"apply", "step_scalars", "run_kernel", "_fused_apply"} & set(vars(cls)))
        if old:  # the extension points before rules were written once: they would be ignored silently
            raise TypeError(f"{cls.__name__} defines {', '.join(old)}, which optimizers no longer call: override "
                            "rule (the element-wise update body) and scalars(lr) (its per-step constants)")

    def __init__(self, learning_rate=0.01, weight_decay: float = 0.0, clipvalue=None,
                 clipnorm=None, global_clipnorm=None, fused: bool | None = None):
        if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
            checks.check("learning_rate", learning_rate, checks.POSITIVE)
        self.learning_rate = schedules.get(learning_rate)
        self.weight_decay = checks.check("weight_decay", weight_decay, checks.NONNEGATIVE)
        self.clipvalue = checks.check("clipvalue", clipvalue, checks.NONE, checks.POSITIVE)
        self.clipnorm = checks.check("clipnorm", clipnorm, checks.NONE, checks.POSITIVE)
        self.global_clipnorm = checks.check("global_clipnorm", global_clipnorm, checks.NONE, checks.POSITIVE)
        self.fused = None if fused is None else bool(fused)
        self.iterations = 0
        self.lr_multiplier = 1.0
        self.slots: dict[str, list] = {k: [] for k in self.slot_names}
        self.layout: tuple | None = None  # ((name, shape), ...) of the flat buffer the model bound
        self.owner: object | None = None  # the token of the model whose parameters the state belongs to

    # -- the learning rate ------------------------------------------------------------
    @property
    def lr(self) -> float:
        """The rate the next update will use: schedule(iterations) · lr_multiplier."""
        return self.learning_rate(self.iterations) * self.lr_multiplier

    def scalars(self, lr: float) -> tuple:
        """The rule's scalars for this step (``iterations`` already counts it: 1 on the first).

        Parameters
        ----------
        lr : float
            η for this step: the schedule's rate times ``lr_multiplier``.

        Returns
        -------
        tuple of float
            The arguments after the state in ``rule``'s signature: (η,) for plain SGD.
        """
        return (lr,)

    def initial_state(self, key: str, p):
        """A fresh state array ``key`` for parameter ``p`` (zeros by default).

        Parameters
        ----------
        key : str
            The slot's name, one of ``slot_names`` ("velocity", "m", "v", ...).
        p : array
            The parameter (or the model's flat parameter buffer) the state is for.

        Returns
        -------
        array
            An array of ``p``'s shape, dtype and kind.
        """
        return p * 0

    # -- the step ---------------------------------------------------------------------
    def update(self, params: list, grads: list, tensors: list | None = None, ema=None) -> None:
        """One optimisation step over parallel lists of parameter and gradient arrays (in place).

        ``tensors`` (optional): per-tensor views when ``params``/``grads`` are flat buffers, for
        the per-tensor clipnorm. ``ema`` (optional): a moving average of the weights to advance
        after the step (inside the same pass when the fused CPU kernel runs).

        Parameters
        ----------
        params : list of array
            The parameters, changed in place (the model passes its one flat buffer).
        grads : list of array
            Their gradients, in the same order and shapes; the chain (clips, coupled decay) may
            change them in place.
        tensors : list of array or None, default None
            Per-tensor views of the flat ``grads``, for ``clipnorm``. None: each entry of
            ``grads`` is a tensor.
        ema : ExponentialMovingAverage or None, default None
            A moving average of the weights, advanced after the step. None: none.
        """
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameters but {len(grads)} gradients")
        self.ensure_slots(params)
        chain_scalars = chain.prepare(self, grads, tensors)
        lr = self.lr
        self.iterations += 1
        scalars = self.scalars(lr)
        if self._runs_fused(params, grads) and self._fused_step(params[0], grads[0], chain_scalars, scalars, ema):
            return
        for i, (p, g) in enumerate(zip(params, grads)):
            slots = [self.slots[k][i] for k in self.slot_names]
            if p.ndim == 1 and p.size > 8 * BLOCK:
                # a large flat array block by block: the rule's temporaries stay in cache
                for a in range(0, p.size, BLOCK):
                    self._apply(p[a:a + BLOCK], g[a:a + BLOCK], [s[a:a + BLOCK] for s in slots],
                                chain_scalars, scalars)
            else:
                self._apply(p, g, slots, chain_scalars, scalars)
        if self.iterations % FLUSH_EVERY == 0:
            for arrays in self.slots.values():
                for a in arrays:
                    flush_tiny(a)
        if ema is not None:
            ema.update(params)

    def _apply(self, p, g, slots: list, chain_scalars: tuple, scalars: tuple) -> None:
        """The chain's element-wise part and the rule on whole NumPy arrays, in place."""
        dt = p.dtype.type
        g = chain.on_arrays(g, p, *(dt(v) for v in chain_scalars))
        new = self.rule(p, g, *slots, *(dt(c) for c in scalars))
        p[...] = new[0]
        for s, value in zip(slots, new[1:]):
            s[...] = value

    def _runs_fused(self, params, grads) -> bool:
        if self.fused is False:
            return False
        if self.fused and not fused_kernels.available():
            raise MissingDependencyError(f"{self.name}(fused=True) needs Numba: pip install numba")
        return fused_kernels.usable(params, grads, min_size=1 if self.fused else fused_kernels.MIN_SIZE)

    def _fused_step(self, p, g, chain_scalars, scalars, ema) -> bool:
        """The chain, the rule and the EMA in one kernel call over the flat buffer."""
        dt = p.dtype.type
        if ema is not None:
            ema.start([p])
            d = ema.effective_decay(ema.num_updates)
            tail = (True, ema.shadows[0], dt(d), dt(1.0 - d))
        else:
            tail = (False, p, dt(0.0), dt(1.0))
        slots = [self.slots[k][0] for k in self.slot_names]
        if not fused_kernels.run(self.rule, p, g, slots, chain_scalars, scalars, tail):
            return False
        if ema is not None:
            ema.num_updates += 1
        if self.iterations % FLUSH_EVERY == 0:
            fused_kernels.flush(self.rule, len(slots), slots, dt(np.finfo(p.dtype).tiny * 2.0 ** 24))
        return True

    # -- state, by parameter name ---------------------------------------------------------------
    def ensure_slots(self, params) -> None:
        for key in self.slot_names:
            slot = self.slots[key]
            if not slot:
                slot.extend(self.initial_state(key, p) for p in params)
            elif len(slot) != len(params) or any(tuple(s.shape) != tuple(p.shape) for s, p in zip(slot, params)):
                raise ConfigError(f"{self.name}: optimizer state for shapes {[tuple(s.shape) for s in slot]} does "
                                  f"not fit parameters of shapes {[tuple(p.shape) for p in params]}")

    def bind(self, layout: tuple, flat) -> None:
        """Lay the state out for a model's flat parameter buffer ``flat`` holding ``layout`` =
        ((name, shape), ...) in order. State already held for a name of the same shape is kept;
        other names start fresh (a layer unfrozen, added or rebuilt)."""
        layout = tuple((str(n), tuple(s)) for n, s in layout)
        if layout == self.layout:
            return
        held = self.slots if self.layout is not None and all(len(v) == 1 for v in self.slots.values()) else None
        if held is not None and self.slot_names:
            self.slots = {k: [model_state.relayout(v[0], self.layout, layout, self.initial_state(k, flat))]
                          for k, v in held.items()}
        else:
            self.slots = {k: [] for k in self.slot_names}
        self.layout = layout

    def claim(self, owner: object) -> None:
        """Tie the state to one model (``owner``: its ``state_owner`` token). An optimizer that has
        stepped for another model is refused, as Keras refuses it: its moments and step count belong to
        that model's parameters, even where the parameter names match."""
        held = getattr(self, "owner", None)
        if held is not None and held is not owner and self.iterations > 0:
            raise ConfigError(f"this {type(self).__name__} holds another model's state ({self.iterations} steps of "
                              f"moments for its parameters); give this model its own optimizer: a new "
                              f"{type(self).__name__}(...), or lw.optimizers.get(opt.get_config()) for a fresh copy")
        self.owner = owner

    def named_state(self) -> dict[str, dict[str, Any]]:
        """{slot: {parameter name: array view}} for a bound optimizer that has taken a step.

        Returns
        -------
        dict of str to dict of str to array
            Each slot ("m", "v", ...) by parameter name (``dense_1/kernel``), as views of the
            state (changing them changes it); empty before the first step or when not bound to a
            model.
        """
        if self.layout is None or not all(len(v) == 1 for v in self.slots.values()):
            return {}
        return {k: dict(model_state.split(v[0], self.layout)) for k, v in self.slots.items()}

    # -- persistence ------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"name": self.name, "learning_rate": self.learning_rate.get_config()}
        for key in ("weight_decay", "clipvalue", "clipnorm", "global_clipnorm"):
            value = getattr(self, key)
            if value:
                cfg[key] = value
        if self.fused is not None:
            cfg["fused"] = self.fused
        cfg.update({k: getattr(self, k) for k in self.config_keys})
        return cfg

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: step count, lr multiplier, slot arrays and the
        layout (parameter names) they are laid out in.

        Returns
        -------
        dict
            ``iterations`` (int), ``lr_multiplier`` (float), ``layout`` (((name, shape), ...) or
            None) and ``slots`` ({slot: list of arrays}, copies).
        """
        return {"iterations": self.iterations, "lr_multiplier": self.lr_multiplier, "layout": self.layout,
                "slots": {k: [a.copy() for a in v] for k, v in self.slots.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """The inverse of :meth:`state_dict`; state laid out for other names is re-laid by name.

        Parameters
        ----------
        state : dict
            ``state_dict()``'s output, for an optimizer of the same kind (the same slots; else
            ConfigError). The arrays are copied.
        """
        self.iterations = int(state["iterations"])
        self.lr_multiplier = float(state["lr_multiplier"])
        slots = state.get("slots", {})
        if set(slots) != set(self.slot_names):
            raise ConfigError(f"{self.name}: state has slots {sorted(slots)}, expected {sorted(self.slot_names)}")
        bound, self.layout = self.layout, state.get("layout", self.layout)
        self.slots = {k: [a.copy() for a in v] for k, v in slots.items()}
        if bound is not None and self.layout is not None and bound != self.layout:
            flat = next((v[0] for v in self.slots.values() if v), None)
            if flat is not None:
                xp = array_module_of(flat)
                self.bind(bound, xp.zeros(sum(int(np.prod(s)) for _, s in bound), dtype=flat.dtype))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, with optional momentum (the notes' / Keras's form):

      plain:     w ← w − η·g
      momentum:  v ← μ·v − η·g;  w ← w + v
      nesterov:  v ← μ·v − η·g;  w ← w + μ·v − η·g
    Mini-batch, batch and online (batch size 1) learning differ only in the batch size.

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.01
        η, as for Optimizer.
    momentum : float, default 0.0
        μ in [0, 1). 0: plain gradient descent (no velocity kept).
    nesterov : bool, default False
        Nesterov's momentum (needs momentum > 0).
    **kwargs
        ``weight_decay``, ``clipvalue``, ``clipnorm``, ``global_clipnorm`` and ``fused``, as for
        Optimizer.
    """

    name = "sgd"
    config_keys = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        self.momentum = checks.check("momentum", momentum, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ConfigError("nesterov=True needs momentum > 0")
        self.slot_names = ("velocity",) if self.momentum else ()
        if self.momentum:
            self.rule = nesterov_rule if self.nesterov else momentum_rule
        super().__init__(learning_rate, **kwargs)

    def scalars(self, lr):
        """The rule's scalars: (η, μ) with momentum, else (η,).

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (η, μ), or (η,) without momentum.
        """
        return (lr, self.momentum) if self.momentum else (lr,)


class AdaGrad(Optimizer):
    """s ← s + g²;  w ← w − η·g/(√s + ε)   (notes: ε inside the root; PyTorch placement here).

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.01
        η, as for Optimizer.
    epsilon : float, default 1e-6
        ε > 0.
    initial_accumulator_value : float, default 0.0
        The value s starts at (≥ 0).
    **kwargs
        ``weight_decay``, ``clipvalue``, ``clipnorm``, ``global_clipnorm`` and ``fused``, as for
        Optimizer.
    """

    name = "adagrad"
    config_keys = ("epsilon", "initial_accumulator_value")
    slot_names = ("accumulator",)
    rule = staticmethod(scaled_rule)

    def __init__(self, learning_rate=0.01, epsilon: float = 1e-6,
                 initial_accumulator_value: float = 0.0, **kwargs):
        self.epsilon = checks.check("epsilon", epsilon, checks.POSITIVE)
        self.initial_accumulator_value = checks.check("initial_accumulator_value", initial_accumulator_value,
                                                      checks.NONNEGATIVE)
        super().__init__(learning_rate, **kwargs)

    def initial_state(self, key, p):
        """The accumulator s at its start: ``initial_accumulator_value`` everywhere.

        Parameters
        ----------
        key : str
            The slot's name ("accumulator").
        p : array
            The parameter (or flat parameter buffer) the state is for.

        Returns
        -------
        array
            An array of ``p``'s shape and dtype.
        """
        s = p * 0
        s += self.initial_accumulator_value
        return s

    def scalars(self, lr):
        """The shared rule's scalars with ρ = 1 − ρ = 1 (a plain sum of g²).

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (η, 1, 1, ε).
        """
        return (lr, 1.0, 1.0, self.epsilon)


class RMSProp(Optimizer):
    """s ← ρ·s + (1 − ρ)·g²;  w ← w − η·g/(√s + ε)   (notes: γ = 0.9, ε = 1e-6).

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.001
        η, as for Optimizer.
    rho : float, default 0.9
        ρ in [0, 1), the decay of the mean square (the notes' γ).
    epsilon : float, default 1e-6
        ε > 0.
    **kwargs
        ``weight_decay``, ``clipvalue``, ``clipnorm``, ``global_clipnorm`` and ``fused``, as for
        Optimizer.
    """

    name = "rmsprop"
    config_keys = ("rho", "epsilon")
    slot_names = ("mean_square",)
    rule = staticmethod(scaled_rule)

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-6, **kwargs):
        self.rho = checks.check("rho", rho, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self.epsilon = checks.check("epsilon", epsilon, checks.POSITIVE)
        super().__init__(learning_rate, **kwargs)

    def scalars(self, lr):
        """The rule's scalars.

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (η, ρ, 1 − ρ, ε).
        """
        return (lr, self.rho, 1.0 - self.rho, self.epsilon)


class Adam(Optimizer):
    """Adam with bias correction (PyTorch arithmetic), t = step number from 1:

      m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
      w ← w − (η/(1 − β₁ᵗ)) · m / (√v/√(1 − β₂ᵗ) + ε)
    Defaults η = 0.001, β₁ = 0.9, β₂ = 0.999 (the notes), ε = 1e-8.

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.001
        η, as for Optimizer.
    beta_1 : float, default 0.9
        β₁ in [0, 1), the decay of the first moment m.
    beta_2 : float, default 0.999
        β₂ in [0, 1), the decay of the second moment v.
    epsilon : float, default 1e-8
        ε > 0.
    **kwargs
        ``weight_decay``, ``clipvalue``, ``clipnorm``, ``global_clipnorm`` and ``fused``, as for
        Optimizer.
    """

    name = "adam"
    config_keys: tuple[str, ...] = ("beta_1", "beta_2", "epsilon")  # Nadam adds momentum_decay
    slot_names = ("m", "v")
    rule: Callable = staticmethod(adam_rule)  # Adamax and Nadam replace it (other scalars)

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, **kwargs):
        self.beta_1 = checks.check("beta_1", beta_1, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self.beta_2 = checks.check("beta_2", beta_2, checks.UNIT_INTERVAL_OPEN_RIGHT)
        self.epsilon = checks.check("epsilon", epsilon, checks.POSITIVE)
        super().__init__(learning_rate, **kwargs)

    def bias_corrections(self, t: int) -> tuple[float, float]:
        """(1 − β₁ᵗ, 1 − β₂ᵗ): what Adam divides its moments by at step t.

        Parameters
        ----------
        t : int
            The step number, from 1.

        Returns
        -------
        tuple of float
            (1 − β₁ᵗ, 1 − β₂ᵗ).
        """
        return 1.0 - self.beta_1 ** t, 1.0 - self.beta_2 ** t

    def decay(self, lr: float) -> float:
        """The factor on w before the step: 1 (AdamW: 1 − ηλ).

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        float
            1.0.
        """
        return 1.0

    def scalars(self, lr):
        """The rule's scalars at step t = ``iterations``.

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (β₁, 1 − β₁, β₂, 1 − β₂, ε, η/(1 − β₁ᵗ), 1/√(1 − β₂ᵗ), ``decay(η)``).
        """
        bc1, bc2 = self.bias_corrections(self.iterations)
        return (self.beta_1, 1.0 - self.beta_1, self.beta_2, 1.0 - self.beta_2, self.epsilon,
                lr / bc1, 1.0 / math.sqrt(bc2), self.decay(lr))


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): w ← w − η·λ·w, then the Adam step.

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.001
        η, as for Optimizer.
    weight_decay : float, default 0.01
        λ ≥ 0, applied to the weights directly, not through the gradient.
    **kwargs
        ``beta_1``, ``beta_2`` and ``epsilon``, as for Adam, and ``clipvalue``, ``clipnorm``,
        ``global_clipnorm`` and ``fused``, as for Optimizer.
    """

    name = "adamw"
    couples_weight_decay = False

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.01, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def decay(self, lr):
        """The factor on w before the step: 1 − ηλ.

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        float
            1 − ηλ.
        """
        return 1.0 - lr * self.weight_decay


class Adamax(Adam):
    """Adam with the infinity norm (PyTorch's Adamax), t = step number from 1:

      m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  w ← w − (η/(1 − β₁ᵗ))·m/u
    Defaults η = 0.002, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.002
        η, as for Optimizer.
    **kwargs
        ``beta_1``, ``beta_2`` and ``epsilon``, as for Adam, and ``weight_decay``, ``clipvalue``,
        ``clipnorm``, ``global_clipnorm`` and ``fused``, as for Optimizer.
    """

    name = "adamax"
    slot_names = ("m", "u")
    rule = staticmethod(adamax_rule)

    def __init__(self, learning_rate=0.002, **kwargs):
        super().__init__(learning_rate, **kwargs)

    def scalars(self, lr):
        """The rule's scalars at step t = ``iterations``.

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (β₁, 1 − β₁, β₂, ε, η/(1 − β₁ᵗ)).
        """
        return (self.beta_1, 1.0 - self.beta_1, self.beta_2, self.epsilon,
                lr / self.bias_corrections(self.iterations)[0])


class Nadam(Adam):
    """Adam with Nesterov momentum (PyTorch's NAdam, momentum decay ψ = 0.004), t from 1:

      μₜ = β₁(1 − ½·0.96^{tψ});  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  d = √(v/(1 − β₂ᵗ)) + ε
      w ← w − η(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ)·g/d − η·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ)·m/d
    Defaults η = 0.002, β₁ = 0.9, β₂ = 0.999, ε = 1e-8. The product of the μ is recomputed from
    the step count, so checkpoints resume it exactly.

    Parameters
    ----------
    learning_rate : float, dict or Schedule, default 0.002
        η, as for Optimizer.
    momentum_decay : float, default 0.004
        ψ ≥ 0 in μₜ = β₁(1 − ½·0.96^{tψ}).
    **kwargs
        ``beta_1``, ``beta_2`` and ``epsilon``, as for Adam, and ``weight_decay``, ``clipvalue``,
        ``clipnorm``, ``global_clipnorm`` and ``fused``, as for Optimizer.
    """

    name = "nadam"
    config_keys = ("beta_1", "beta_2", "epsilon", "momentum_decay")
    rule = staticmethod(nadam_rule)

    def __init__(self, learning_rate=0.002, momentum_decay: float = 0.004, **kwargs):
        self.momentum_decay = checks.check("momentum_decay", momentum_decay, checks.NONNEGATIVE)
        super().__init__(learning_rate, **kwargs)
        self._products = (0, 1.0)  # (t, Π_{i≤t} μᵢ), extended one step at a time

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _product(self, t: int) -> float:
        done, prod = getattr(self, "_products", (0, 1.0))
        if done > t:
            done, prod = 0, 1.0
        for i in range(done + 1, t + 1):
            prod *= self._mu(i)
        self._products = (t, prod)
        return prod

    def scalars(self, lr):
        """The rule's scalars at step t = ``iterations``.

        Parameters
        ----------
        lr : float
            η for this step.

        Returns
        -------
        tuple of float
            (β₁, 1 − β₁, β₂, 1 − β₂, ε, c_g, c_m, 1 − β₂ᵗ), with
            c_g = η(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ) and c_m = η·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ).
        """
        t = self.iterations
        mu, mu_next = self._mu(t), self._mu(t + 1)
        prod = self._product(t)
        return (self.beta_1, 1.0 - self.beta_1, self.beta_2, 1.0 - self.beta_2, self.epsilon,
                lr * (1.0 - mu) / (1.0 - prod), lr * mu_next / (1.0 - prod * mu_next), 1.0 - self.beta_2 ** t)


def momentum(learning_rate=0.01, momentum: float = 0.9, **kwargs) -> SGD:
    """SGD with momentum 0.9 (the name "momentum" in configs)."""
    return SGD(learning_rate, momentum=momentum, **kwargs)


def nesterov(learning_rate=0.01, momentum: float = 0.9, **kwargs) -> SGD:
    """SGD with Nesterov momentum 0.9 (the name "nesterov" in configs)."""
    return SGD(learning_rate, momentum=momentum, nesterov=True, **kwargs)


for _factory in (SGD, AdaGrad, RMSProp, Adam, AdamW, Adamax, Nadam, momentum, nesterov):
    registry.register("optimizer", _factory)


def get(identifier, **overrides) -> Optimizer:
    """An optimizer by name ("sgd", "momentum", "adam", ...), config dict, or object.

    Parameters
    ----------
    identifier : str, dict or Optimizer
        A registered name (case-insensitive: "sgd", "momentum", "nesterov", "adagrad",
        "rmsprop", "adam", "adamw", "adamax", "nadam"), a config dict ({"name": "adam",
        "learning_rate": 3e-4}, as ``get_config`` writes), or an Optimizer (returned as it is).
    **overrides
        Constructor arguments for a name or a config dict (``get("sgd", learning_rate=0.1)``).

    Returns
    -------
    Optimizer
        The optimizer. An unknown name or a bad argument raises ConfigError listing the choices.
    """
    return registry.resolve("optimizer", identifier, Optimizer, **overrides)

registry.declare_base("optimizer", Optimizer)
