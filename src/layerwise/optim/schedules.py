"""Learning-rate schedules: ``schedule(step) -> lr``, step = optimizer updates done so far (0-based).

| schedule            | lr(step)                                                        |
|---------------------|-----------------------------------------------------------------|
| Constant            | lr0                                                             |
| ExponentialDecay    | lr0 · rate^(step / decay_steps); floor of the exponent when staircase (the notes' formula) |
| StepDecay           | lr0 · gamma^⌊step / step_size⌋                                   |
| PiecewiseConstant   | values[i] for boundaries[i−1] < step ≤ boundaries[i] (Keras)    |
| CosineDecay         | lr0 · ((1 − α)·½(1 + cos(π·min(step, T)/T)) + α)                 |
| LinearWarmup        | initial + (inner(0) − initial)·step/W for step < W, then inner(step − W) |
"""
from __future__ import annotations

import math
from typing import Any

from .. import checks, registry
from ..errors import ConfigError


def _pos(name: str, value, allow_zero=False) -> float:
    return checks.check(name, value, checks.NONNEGATIVE if allow_zero else checks.POSITIVE)


def _steps(name: str, value) -> int:
    return checks.check(name, value, checks.POSITIVE_INT)


class Schedule:
    name = "schedule"

    def __call__(self, step: int) -> float:
        """The learning rate for update number ``step`` (the base class writes none).

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            η for that update.
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """lr = lr0 at every step (what a number given as an optimizer's learning rate becomes).

    Parameters
    ----------
    learning_rate : float
        lr0, > 0.
    """

    name = "constant"

    def __init__(self, learning_rate: float):
        self.learning_rate = _pos("learning_rate", learning_rate)

    def __call__(self, step):
        """lr0, whatever the step.

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            lr0.
        """
        return self.learning_rate

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}


class ExponentialDecay(Schedule):
    """lr = lr0 · decay_rate^(step/decay_steps); with staircase the exponent is floored.

    Parameters
    ----------
    initial_learning_rate : float
        lr0, > 0.
    decay_steps : int
        The number of updates over which the rate is multiplied by ``decay_rate`` (> 0).
    decay_rate : float
        The factor per ``decay_steps`` updates (> 0; below 1 to decay).
    staircase : bool, default False
        Floor the exponent: the rate changes in steps, once every ``decay_steps`` updates.
    """

    name = "exponential"

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False):
        self.initial_learning_rate = _pos("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.decay_rate = _pos("decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step):
        """lr0 · decay_rate^(step/decay_steps), the exponent floored with ``staircase``.

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            The rate.
        """
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase}


class StepDecay(Schedule):
    """lr = lr0 · gamma^⌊step/step_size⌋ (PyTorch's StepLR, counted in updates).

    Parameters
    ----------
    initial_learning_rate : float
        lr0, > 0.
    step_size : int
        The number of updates between changes (> 0).
    gamma : float, default 0.1
        The factor at each change (> 0).
    """

    name = "step"

    def __init__(self, initial_learning_rate: float, step_size: int, gamma: float = 0.1):
        self.initial_learning_rate = _pos("initial_learning_rate", initial_learning_rate)
        self.step_size = _steps("step_size", step_size)
        self.gamma = _pos("gamma", gamma)

    def __call__(self, step):
        """lr0 · gamma^⌊step/step_size⌋.

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            The rate.
        """
        return self.initial_learning_rate * self.gamma ** (step // self.step_size)

    def get_config(self):
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "step_size": self.step_size, "gamma": self.gamma}


class PiecewiseConstant(Schedule):
    """values[0] while step ≤ boundaries[0], values[i] while boundaries[i−1] < step ≤ boundaries[i],
    values[-1] after the last boundary.

    Parameters
    ----------
    boundaries : list of int
        The steps where the rate changes, increasing.
    values : list of float
        The rates (each > 0), one more than the boundaries.
    """

    name = "piecewise"

    def __init__(self, boundaries: list[int], values: list[float]):
        boundaries, values = [int(b) for b in boundaries], [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ConfigError(f"piecewise schedule needs len(values) == len(boundaries) + 1, "
                              f"got {len(values)} values and {len(boundaries)} boundaries")
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ConfigError(f"piecewise boundaries must increase, got {boundaries}")
        for v in values:
            _pos("piecewise value", v)
        self.boundaries, self.values = boundaries, values

    def __call__(self, step):
        """The value of the interval ``step`` falls in.

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            The rate.
        """
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self):
        return {"name": self.name, "boundaries": self.boundaries, "values": self.values}


class CosineDecay(Schedule):
    """lr = lr0 · ((1 − alpha)·½(1 + cos(π·min(step, T)/T)) + alpha), T = decay_steps.

    Parameters
    ----------
    initial_learning_rate : float
        lr0, > 0.
    decay_steps : int
        T, the number of updates over which the rate falls (> 0); it stays at alpha·lr0 after.
    alpha : float, default 0.0
        The final rate as a fraction of lr0 (≥ 0).
    """

    name = "cosine"

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0):
        self.initial_learning_rate = _pos("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.alpha = _pos("alpha", alpha, allow_zero=True)

    def __call__(self, step):
        """lr0 · ((1 − alpha)·½(1 + cos(π·min(step, T)/T)) + alpha).

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            The rate.
        """
        t = min(step, self.decay_steps) / self.decay_steps
        return self.initial_learning_rate * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * t)) + self.alpha)

    def get_config(self):
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha}


class LinearWarmup(Schedule):
    """Linear warm-up from ``initial`` to ``after(0)`` over ``warmup_steps``, then ``after(step − W)``.

    ``after`` is any schedule or a constant rate.

    Parameters
    ----------
    after : float, dict or Schedule
        The schedule after the warm-up, started from its own step 0 (a number: a constant rate).
    warmup_steps : int
        W, the number of warm-up updates (> 0).
    initial : float, default 0.0
        The rate at step 0 (≥ 0).
    """

    name = "warmup"

    def __init__(self, after, warmup_steps: int, initial: float = 0.0):
        self.after = get(after)
        self.warmup_steps = _steps("warmup_steps", warmup_steps)
        self.initial = _pos("initial", initial, allow_zero=True)

    def __call__(self, step):
        """initial + (after(0) − initial)·step/W for step < W, then after(step − W).

        Parameters
        ----------
        step : int
            The number of optimizer updates done so far (0 before the first).

        Returns
        -------
        float
            The rate.
        """
        if step < self.warmup_steps:
            target = self.after(0)
            return self.initial + (target - self.initial) * step / self.warmup_steps
        return self.after(step - self.warmup_steps)

    def get_config(self):
        return {"name": self.name, "after": self.after.get_config(),
                "warmup_steps": self.warmup_steps, "initial": self.initial}


registry.register("schedule", Constant)
registry.register("schedule", ExponentialDecay, aliases=("exponential_decay",))
registry.register("schedule", StepDecay)
registry.register("schedule", PiecewiseConstant)
registry.register("schedule", CosineDecay, aliases=("cosine_decay",))
registry.register("schedule", LinearWarmup)


def get(identifier) -> Schedule:
    """A schedule from a number (constant), a config dict, or a Schedule.

    Parameters
    ----------
    identifier : float, dict or Schedule
        A positive number (a Constant), a config dict ({"name": "cosine",
        "initial_learning_rate": 0.1, "decay_steps": 1000}, as ``get_config`` writes), or a
        Schedule (returned as it is).

    Returns
    -------
    Schedule
        The schedule. Anything else raises ConfigError.
    """
    if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
        return Constant(identifier)
    if isinstance(identifier, (Schedule, dict)):
        return registry.resolve("schedule", identifier, Schedule)
    raise ConfigError(f"learning rate must be a positive number or a schedule, got {identifier!r}")

registry.declare_base("schedule", Schedule)
