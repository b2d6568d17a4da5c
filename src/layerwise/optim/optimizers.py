"""Optimizers: ``update(params, grads)`` changes each parameter in place.

Every step runs the same chain (optax-style, in this order):
  1. clipvalue:       g ← clip(g, −c, c)
  2. clipnorm:        g ← g · min(1, c/‖g‖)        per tensor
  3. global_clipnorm: g ← g · min(1, c/‖(g₁, g₂, …)‖)  over all tensors
  4. weight_decay λ:  g ← g + λ·w   (coupled L2, as PyTorch's; for SGD this is the notes'
                      w ← (1 − ηλ)w − η·∇). AdamW instead decays decoupled: w ← w − ηλw.
  5. the update rule below, with η = schedule(step) · lr_multiplier.
``lr_multiplier`` is what ReduceLROnPlateau changes, so plateaus compose with schedules.
Adam-family arithmetic follows PyTorch (ε added to √v̂).

State that decays geometrically (momentum, Adam's moments, RMSProp's average) under a zero
gradient — weights fed by always-zero inputs, like the blank border pixels of MNIST — would
sink into subnormal numbers, on which x86 arithmetic runs about a hundred times slower. Every
``FLUSH_EVERY`` steps, state entries smaller than ``tiny · 2²⁴`` (≈ 2e-31 in float32) are set
to zero: far below anything that can change a weight, and deterministic (resumes stay exact).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import fused as fused_kernels, schedules
from .. import registry
from ..errors import ConfigError
def _check(name, value, lo=None, hi=None, lo_open=False, hi_open=False, optional=False):
    if value is None and optional:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    bad = not math.isfinite(v)
    if lo is not None:
        bad |= v <= lo if lo_open else v < lo
    if hi is not None:
        bad |= v >= hi if hi_open else v > hi
    if bad:
        lo_s = "" if lo is None else f"{'>' if lo_open else '>='} {lo}"
        hi_s = "" if hi is None else f"{'<' if hi_open else '<='} {hi}"
        raise ConfigError(f"{name} must be {' and '.join(s for s in (lo_s, hi_s) if s)}, got {value!r}")
    return v


FLUSH_EVERY = 8
BLOCK = 1 << 16  # elements per block of an update rule on the CPU: its arrays stay in the L2 cache


def flush_tiny(a) -> None:
    """Set entries smaller than tiny·2²⁴ in magnitude to zero (in place), so they never go subnormal."""
    limit = float(np.finfo(a.dtype).tiny) * 2.0 ** 24
    np.copyto(a, 0, where=np.abs(a) < limit)


def _scaled_step(p, g, s, tmp, epsilon: float, lr: float) -> None:
    """w ← w − η·g/(√s + ε), in place (AdaGrad's and RMSProp's common last step)."""
    np.sqrt(s, out=tmp)
    tmp += epsilon
    np.divide(g, tmp, out=tmp)
    tmp *= lr
    p -= tmp


class Optimizer:
    name = "optimizer"
    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01, weight_decay: float = 0.0, clipvalue=None,
                 clipnorm=None, global_clipnorm=None, fused: bool | None = None):
        if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
            _check("learning_rate", learning_rate, lo=0, lo_open=True)
        self.learning_rate = schedules.get(learning_rate)
        self.weight_decay = _check("weight_decay", weight_decay, lo=0)
        self.clipvalue = _check("clipvalue", clipvalue, lo=0, lo_open=True, optional=True)
        self.clipnorm = _check("clipnorm", clipnorm, lo=0, lo_open=True, optional=True)
        self.global_clipnorm = _check("global_clipnorm", global_clipnorm, lo=0, lo_open=True, optional=True)
        self.fused = None if fused is None else bool(fused)
        self.iterations = 0
        self.lr_multiplier = 1.0
        self.slots: dict[str, list] = {k: [] for k in self.slot_names}

    # -- the learning rate ------------------------------------------------------------
    @property
    def lr(self) -> float:
        """The rate the next update will use: schedule(iterations) · lr_multiplier."""
        return self.learning_rate(self.iterations) * self.lr_multiplier

    # -- the chain --------------------------------------------------------------------
    def transform_gradients(self, params: list, grads: list, tensors: list | None = None) -> list:
        """Steps 1–4 of the chain (in place on the gradient arrays). ``tensors``: per-tensor views
        of ``grads`` for the per-tensor clipnorm when ``grads`` holds one flat buffer."""
        if self.clipvalue is not None:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
        if self.clipnorm is not None:
            for g in (tensors if tensors is not None else grads):
                norm = float(np.sqrt((g * g).sum()))
                if norm > self.clipnorm:
                    g *= self.clipnorm / norm
        scale = self.global_clip_scale(grads)
        if scale is not None:
            for g in grads:
                g *= scale
        if self.weight_decay and self.couples_weight_decay:
            for i, (p, g) in enumerate(zip(params, grads)):
                tmp = self._tmp(i, p)
                np.multiply(p, self.weight_decay, out=tmp)
                g += tmp
        return grads

    def global_clip_scale(self, grads: list) -> float | None:
        """c/‖(g₁, g₂, …)‖ when global_clipnorm c is set and the norm exceeds it, else None."""
        if self.global_clipnorm is None:
            return None
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
        return self.global_clipnorm / norm if norm > self.global_clipnorm else None

    def _tmp(self, i: int, p):
        """Scratch space shaped like parameter i, reused every step (no allocation per update)."""
        scratch = self.__dict__.setdefault("_scratch", {})
        t = scratch.get(i)
        if t is None or t.shape != p.shape or t.dtype != p.dtype or type(t) is not type(p):
            t = scratch[i] = p * 0
        return t

    couples_weight_decay = True

    def update(self, params: list, grads: list, tensors: list | None = None, scalars: dict | None = None,
               ema=None) -> None:
        """One optimisation step over parallel lists of parameter and gradient arrays (in place).

        ``tensors`` (optional): per-tensor views when ``params``/``grads`` are flat buffers, for
        the per-tensor clipnorm. ``ema`` (optional): a moving average of the weights to advance
        after the step (inside the same pass when the fused CPU kernel runs).
        """
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameters but {len(grads)} gradients")
        self._ensure_slots(params)
        if self._runs_fused(params, grads):
            self._fused_update(params[0], grads[0], tensors, ema)
            return
        grads = self.transform_gradients(params, grads, tensors)
        lr = self.lr
        self.iterations += 1
        sc = scalars if scalars is not None else self.step_scalars(lr)
        for i, (p, g) in enumerate(zip(params, grads)):
            slots, tmp = {k: v[i] for k, v in self.slots.items()}, self._tmp(i, p)
            if not isinstance(p, np.ndarray) or p.ndim != 1 or p.size <= 8 * BLOCK:
                if not isinstance(p, np.ndarray) and self._fused_apply(p, g, slots, sc):
                    continue
                self.apply(p, g, slots, tmp, sc)
                continue
            # a large flat array, block by block: every pass of the rule over a block runs while the
            # block is in cache, instead of each pass streaming the whole array from memory
            for a in range(0, p.size, BLOCK):
                b = a + BLOCK
                self.apply(p[a:b], g[a:b], {k: v[a:b] for k, v in slots.items()}, tmp[a:b], sc)
        if self.iterations % FLUSH_EVERY == 0 and isinstance(params[0], np.ndarray):
            for arrays in self.slots.values():
                for a in arrays:
                    flush_tiny(a)
        if ema is not None:
            ema.update(params)

    # -- the fused CPU pass (optim/fused.py) -------------------------------------------------
    fused: bool | None = None   # None: the kernel when Numba is there and the buffer is large enough
    kernel_rule: type | None = None  # the class whose ``apply`` the kernel computes

    def _runs_fused(self, params, grads) -> bool:
        if self.fused is False or self.kernel_rule is None or type(self).apply is not self.kernel_rule.apply:
            return False
        if self.fused and not fused_kernels.available():
            from ..errors import MissingDependencyError
            raise MissingDependencyError(f"{self.name}(fused=True) needs Numba: pip install numba")
        return fused_kernels.usable(params, grads, min_size=1 if self.fused else fused_kernels.MIN_SIZE)

    def _fused_update(self, p, g, tensors, ema) -> None:
        """The whole chain and rule in one kernel call; the same arithmetic as the NumPy path."""
        dt = p.dtype.type
        if self.clipnorm is not None or (self.clipvalue is not None and self.global_clipnorm is not None):
            self.transform_gradients([], [g], tensors)  # the rare norm clips by NumPy, decay in the kernel
            clip, scale = 0.0, None
        else:
            clip, scale = self.clipvalue or 0.0, self.global_clip_scale([g])
        wd = self.weight_decay if self.couples_weight_decay else 0.0
        lr = self.lr
        self.iterations += 1
        sc = self.step_scalars(lr)
        if ema is not None:
            ema.start([p])
            d, shadow = ema.advance(), ema.shadows[0]
        else:
            d, shadow = 0.0, p
        head = (dt(clip if clip else np.inf), dt(1.0 if scale is None else scale), dt(wd))
        tail = (ema is not None, shadow, dt(d), dt(1.0 - d))
        self.run_kernel(p, g, head, sc, tail)
        if self.iterations % FLUSH_EVERY == 0:
            tiny = dt(np.finfo(p.dtype).tiny * 2.0 ** 24)
            for arrays in self.slots.values():
                fused_kernels.kernel("flush")(arrays[0], tiny)

    def run_kernel(self, p, g, head: tuple, sc: dict, tail: tuple) -> None:
        """Call this rule's kernel: ``head`` = (clip, scale, decay λ), ``tail`` = (ema?, shadow,
        d, 1 − d), all in the buffer's dtype."""
        raise NotImplementedError

    def _ensure_slots(self, params) -> None:
        for key in self.slot_names:
            slot = self.slots[key]
            if len(slot) != len(params):
                if slot:
                    raise ConfigError(f"{self.name}: optimizer state holds {len(slot)} tensors, "
                                      f"the model has {len(params)}")
                slot.extend(self._initial_slot(key, p) for p in params)

    def _initial_slot(self, key, p):
        return p * 0

    def step_scalars(self, lr: float) -> dict[str, float]:
        """The step's scalar factors (after ``iterations`` has counted this step). A captured CUDA
        graph reads them from device memory, refreshed before each replay."""
        return {"lr": lr}

    def apply(self, p, g, slots: dict, tmp, sc: dict) -> None:
        """The update rule on one array: ``slots`` holds this array's state (same shape),
        ``tmp`` is scratch space of the same shape, ``sc`` the step's scalars."""
        raise NotImplementedError

    def _fused_apply(self, p, g, slots, sc) -> bool:
        """On a GPU, the rule as one fused kernel where one is written (returns False otherwise)."""
        return False

    # -- persistence ------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        cfg = {"name": self.name, "learning_rate": self.learning_rate.get_config()}
        for key in ("weight_decay", "clipvalue", "clipnorm", "global_clipnorm"):
            value = getattr(self, key)
            if value:
                cfg[key] = value
        if self.fused is not None:
            cfg["fused"] = self.fused
        return cfg

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: step count, lr multiplier and slot arrays."""
        return {"iterations": self.iterations, "lr_multiplier": self.lr_multiplier,
                "slots": {k: [a.copy() for a in v] for k, v in self.slots.items()}}

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_scratch", None)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        self.lr_multiplier = float(state["lr_multiplier"])
        slots = state.get("slots", {})
        if set(slots) != set(self.slot_names):
            raise ConfigError(f"{self.name}: state has slots {sorted(slots)}, expected {sorted(self.slot_names)}")
        self.slots = {k: [a.copy() for a in v] for k, v in slots.items()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, with optional momentum (the notes' / Keras's form):

      plain:     w ← w − η·g
      momentum:  v ← μ·v − η·g;  w ← w + v
      nesterov:  v ← μ·v − η·g;  w ← w + μ·v − η·g
    Mini-batch, batch and online (batch size 1) learning differ only in the batch size.
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        self.momentum = _check("momentum", momentum, lo=0, hi=1, hi_open=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ConfigError("nesterov=True needs momentum > 0")
        self.slot_names = ("velocity",) if self.momentum else ()
        super().__init__(learning_rate, **kwargs)

    def apply(self, p, g, slots, tmp, sc):
        np.multiply(g, sc["lr"], out=tmp)    # η·g
        if not self.momentum:
            p -= tmp
            return
        v = slots["velocity"]
        v *= self.momentum
        v -= tmp
        if self.nesterov:
            p -= tmp
            np.multiply(v, self.momentum, out=tmp)
            p += tmp
        else:
            p += v

    def run_kernel(self, p, g, head, sc, tail):
        dt = p.dtype.type
        if self.momentum:
            fused_kernels.kernel("momentum")(p, g, self.slots["velocity"][0], *head, dt(sc["lr"]),
                                             dt(self.momentum), self.nesterov, *tail)
        else:
            fused_kernels.kernel("sgd")(p, g, *head, dt(sc["lr"]), *tail)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(momentum=self.momentum, nesterov=self.nesterov)
        return cfg


class AdaGrad(Optimizer):
    """s ← s + g²;  w ← w − η·g/(√s + ε)   (notes: ε inside the root; PyTorch placement here)."""

    name = "adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.01, epsilon: float = 1e-6,
                 initial_accumulator_value: float = 0.0, **kwargs):
        self.epsilon = _check("epsilon", epsilon, lo=0, lo_open=True)
        self.initial_accumulator_value = _check("initial_accumulator_value", initial_accumulator_value, lo=0)
        super().__init__(learning_rate, **kwargs)

    def _initial_slot(self, key, p):
        s = p * 0
        s += self.initial_accumulator_value
        return s

    def apply(self, p, g, slots, tmp, sc):
        s = slots["accumulator"]
        np.multiply(g, g, out=tmp)
        s += tmp
        _scaled_step(p, g, s, tmp, self.epsilon, sc["lr"])

    def run_kernel(self, p, g, head, sc, tail):
        dt = p.dtype.type
        fused_kernels.kernel("scaled")(p, g, self.slots["accumulator"][0], *head, dt(sc["lr"]), dt(1.0),
                                       dt(1.0), dt(self.epsilon), *tail)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(epsilon=self.epsilon, initial_accumulator_value=self.initial_accumulator_value)
        return cfg


class RMSProp(Optimizer):
    """s ← ρ·s + (1 − ρ)·g²;  w ← w − η·g/(√s + ε)   (notes: γ = 0.9, ε = 1e-6)."""

    name = "rmsprop"
    slot_names = ("mean_square",)

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-6, **kwargs):
        self.rho = _check("rho", rho, lo=0, hi=1, hi_open=True)
        self.epsilon = _check("epsilon", epsilon, lo=0, lo_open=True)
        super().__init__(learning_rate, **kwargs)

    def apply(self, p, g, slots, tmp, sc):
        s = slots["mean_square"]
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        s *= self.rho
        s += tmp
        _scaled_step(p, g, s, tmp, self.epsilon, sc["lr"])

    def run_kernel(self, p, g, head, sc, tail):
        dt = p.dtype.type
        fused_kernels.kernel("scaled")(p, g, self.slots["mean_square"][0], *head, dt(sc["lr"]), dt(self.rho),
                                       dt(1.0 - self.rho), dt(self.epsilon), *tail)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rho=self.rho, epsilon=self.epsilon)
        return cfg


class Adam(Optimizer):
    """Adam with bias correction (PyTorch arithmetic), t = step number from 1:

      m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
      w ← w − (η/(1 − β₁ᵗ)) · m / (√v/√(1 − β₂ᵗ) + ε)
    Defaults η = 0.001, β₁ = 0.9, β₂ = 0.999 (the notes), ε = 1e-8.
    """

    name = "adam"
    slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, **kwargs):
        self.beta_1 = _check("beta_1", beta_1, lo=0, hi=1, hi_open=True)
        self.beta_2 = _check("beta_2", beta_2, lo=0, hi=1, hi_open=True)
        self.epsilon = _check("epsilon", epsilon, lo=0, lo_open=True)
        super().__init__(learning_rate, **kwargs)

    def step_scalars(self, lr):
        t = self.iterations  # already incremented: 1 on the first step
        return {"lr": lr, "step": lr / (1.0 - self.beta_1 ** t), "c2": 1.0 / math.sqrt(1.0 - self.beta_2 ** t)}

    def _fused_apply(self, p, g, slots, sc) -> bool:
        if type(self).apply is not Adam.apply:
            return False
        from .kernels import adam_kernel
        adam_kernel()(g, p.dtype.type(self.beta_1), p.dtype.type(self.beta_2), p.dtype.type(self.epsilon),
                      p.dtype.type(sc["step"]), p.dtype.type(sc["c2"]), p, slots["m"], slots["v"])
        return True

    def _first_moment(self, m, g, tmp) -> None:
        """m ← β₁m + (1 − β₁)g, in place (tmp: scratch)."""
        m *= self.beta_1
        np.multiply(g, 1.0 - self.beta_1, out=tmp)
        m += tmp

    def _moments(self, m, v, g, tmp) -> None:
        """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g², in place (tmp: scratch)."""
        self._first_moment(m, g, tmp)
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.beta_2
        v *= self.beta_2
        v += tmp

    def apply(self, p, g, slots, tmp, sc):
        m, v = slots["m"], slots["v"]
        self._moments(m, v, g, tmp)
        np.sqrt(v, out=tmp)                  # the denominator √v/√(1 − β₂ᵗ) + ε
        tmp *= sc["c2"]
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= sc["step"]                    # η/(1 − β₁ᵗ)
        p -= tmp

    def run_kernel(self, p, g, head, sc, tail):
        dt = p.dtype.type
        fused_kernels.kernel("adam")(p, g, self.slots["m"][0], self.slots["v"][0], *head,
                                     dt(sc.get("decay", 1.0)), dt(self.beta_1), dt(1.0 - self.beta_1),
                                     dt(self.beta_2), dt(1.0 - self.beta_2), dt(self.epsilon), dt(sc["step"]),
                                     dt(sc["c2"]), *tail)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return cfg


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): w ← w − η·λ·w, then the Adam step."""

    name = "adamw"
    couples_weight_decay = False

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.01, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def step_scalars(self, lr):
        sc = super().step_scalars(lr)
        sc["decay"] = 1.0 - lr * self.weight_decay
        return sc

    def apply(self, p, g, slots, tmp, sc):
        if self.weight_decay:
            p *= sc["decay"]
        super().apply(p, g, slots, tmp, sc)


class Adamax(Adam):
    """Adam with the infinity norm (PyTorch's Adamax), t = step number from 1:

      m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  w ← w − (η/(1 − β₁ᵗ))·m/u
    Defaults η = 0.002, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    """

    name = "adamax"
    slot_names = ("m", "u")

    def __init__(self, learning_rate=0.002, **kwargs):
        super().__init__(learning_rate, **kwargs)

    def step_scalars(self, lr):
        return {"lr": lr, "step": lr / (1.0 - self.beta_1 ** self.iterations)}

    def _fused_apply(self, p, g, slots, sc) -> bool:
        return False

    def apply(self, p, g, slots, tmp, sc):
        m, u = slots["m"], slots["u"]
        self._first_moment(m, g, tmp)
        u *= self.beta_2
        np.abs(g, out=tmp)
        tmp += self.epsilon
        np.maximum(u, tmp, out=u)
        np.divide(m, u, out=tmp)
        tmp *= sc["step"]
        p -= tmp


class Nadam(Adam):
    """Adam with Nesterov momentum (PyTorch's NAdam, momentum decay ψ = 0.004), t from 1:

      μₜ = β₁(1 − ½·0.96^{tψ});  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  d = √(v/(1 − β₂ᵗ)) + ε
      w ← w − η(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ)·g/d − η·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ)·m/d
    Defaults η = 0.002, β₁ = 0.9, β₂ = 0.999, ε = 1e-8. The product of the μ is recomputed from
    the step count, so checkpoints resume it exactly.
    """

    name = "nadam"

    def __init__(self, learning_rate=0.002, momentum_decay: float = 0.004, **kwargs):
        self.momentum_decay = _check("momentum_decay", momentum_decay, lo=0)
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

    def step_scalars(self, lr):
        t = self.iterations
        mu, mu_next = self._mu(t), self._mu(t + 1)
        prod = self._product(t)
        return {"lr": lr, "c_g": lr * (1.0 - mu) / (1.0 - prod), "c_m": lr * mu_next / (1.0 - prod * mu_next),
                "bc2": 1.0 - self.beta_2 ** t}

    def _fused_apply(self, p, g, slots, sc) -> bool:
        return False

    def apply(self, p, g, slots, tmp, sc):
        m, v = slots["m"], slots["v"]
        self._moments(m, v, g, tmp)
        np.divide(v, sc["bc2"], out=tmp)      # the denominator d = √(v/(1 − β₂ᵗ)) + ε
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        p -= sc["c_g"] * g / tmp              # two terms over the same d
        p -= sc["c_m"] * m / tmp

    def get_config(self):
        cfg = super().get_config()
        cfg["momentum_decay"] = self.momentum_decay
        return cfg


def momentum(learning_rate=0.01, momentum: float = 0.9, **kwargs) -> SGD:
    """SGD with momentum 0.9 (the name "momentum" in configs)."""
    return SGD(learning_rate, momentum=momentum, **kwargs)


def nesterov(learning_rate=0.01, momentum: float = 0.9, **kwargs) -> SGD:
    """SGD with Nesterov momentum 0.9 (the name "nesterov" in configs)."""
    return SGD(learning_rate, momentum=momentum, nesterov=True, **kwargs)


# the rules the fused CPU kernels compute (a subclass that overrides ``apply`` runs its own NumPy rule)
for _rule in (SGD, AdaGrad, RMSProp, Adam, AdamW):
    _rule.kernel_rule = _rule

for _factory in (SGD, AdaGrad, RMSProp, Adam, AdamW, Adamax, Nadam, momentum, nesterov):
    registry.register("optimizer", _factory)


def get(identifier, **overrides) -> Optimizer:
    """An optimizer by name ("sgd", "momentum", "adam", ...), config dict, or object."""
    return registry.resolve("optimizer", identifier, Optimizer, **overrides)
