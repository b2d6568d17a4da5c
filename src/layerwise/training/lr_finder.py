"""The learning-rate finder: the notes' way of choosing η by its threshold, automated.

    result = model.find_lr(x, y)        # or `layerwise lr-find`
    result.threshold, result.suggestion, result.plot("lr.png")
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..optim.schedules import Constant
from . import snapshot
from .batches import batch_source
from .step import plan_for, train_step


@dataclass
class LRFinderResult:
    """What ``find_lr`` measured, and what it reads from the curve; ``plot(path)`` draws it.

    Parameters
    ----------
    lrs : list of float
        The rates tried, in order (geometric).
    losses : list of float
        The smoothed training loss after the step at each rate (bias-corrected running mean).
    threshold : float, default nan
        The rate of the lowest smoothed loss, where the loss stops falling and starts to grow.
    suggestion : float, default nan
        Half the threshold (the notes' rule).
    steepest : float, default nan
        The rate where the loss falls fastest per factor of rate.
    diverged : bool, default False
        The sweep stopped before its last rate (the loss blew up or was not finite).
    note : str, default ""
        What the curve cannot say, in words (empty when it shows a threshold).
    """

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)     # smoothed
    threshold: float = float("nan")   # where the loss stops falling and starts to grow
    suggestion: float = float("nan")  # about half the threshold (the notes' rule)
    steepest: float = float("nan")    # where the loss falls fastest
    diverged: bool = False            # the sweep stopped because the loss blew up (past the threshold)
    note: str = ""                    # what the sweep can and cannot say, in words

    def plot(self, path) -> Path:
        from ..formats.figures import pyplot as _plt
        from ..formats.figures import save_figure as _save
        plt = _plt()
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        ax.plot(self.lrs, self.losses)
        ax.set_xscale("log")
        for lr, label, color in ((self.threshold, "threshold", "red"), (self.suggestion, "suggested", "green"),
                                 (self.steepest, "steepest", "orange")):
            if math.isfinite(lr):
                ax.axvline(lr, color=color, ls="--", label=f"{label} {lr:.3g}")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss (smoothed)")
        ax.set_title("Learning-rate finder")
        ax.legend()
        ax.grid(alpha=0.3)
        return _save(fig, Path(path))


def find_lr(model, x, y, start_lr: float = 1e-5, end_lr: float = 10.0, steps: int = 100,
            batch_size: int = 32, smoothing: float = 0.9, diverge: float = 4.0) -> LRFinderResult:
    """Sweep the learning rate upward (geometrically, one mini-batch per rate) and watch the loss.

    The threshold is the rate at which the smoothed loss is lowest — beyond it the loss stops
    falling and starts to oscillate or grow; the suggestion is half of it (the notes' rule); the
    steepest point is where the loss falls fastest per factor of rate. The sweep stops early once
    the loss exceeds ``diverge`` × its best. The model's weights, optimizer state and generator
    are restored afterwards, so the sweep leaves no trace.

    Parameters
    ----------
    model : Sequential
        A compiled model (built or not); the sweep starts from its current weights.
    x : array_like of shape (n, ...)
        The training inputs, rows = samples.
    y : array_like of shape (n, k) or (n,)
        The training targets, as for ``fit``.
    start_lr : float, default 1e-5
        The first rate, > 0.
    end_lr : float, default 10.0
        The last rate, above ``start_lr``.
    steps : int, default 100
        The number of rates (one mini-batch each; at least 5).
    batch_size : int, default 32
        Samples per step (at most the number of rows); only full batches are used, so every
        rate sees as many samples.
    smoothing : float, default 0.9
        β of the running mean of the loss, β·avg + (1 − β)·loss (bias-corrected).
    diverge : float, default 4.0
        Stop once the smoothed loss exceeds this multiple of its lowest value.

    Returns
    -------
    LRFinderResult
        The rates, the smoothed losses, and the threshold, suggestion and steepest rate (NaN,
        with a ``note`` saying why, when the loss did not fall).
    """
    if not (0 < start_lr < end_lr) or steps < 5:
        raise ConfigError(f"need 0 < start_lr < end_lr and steps >= 5, got {start_lr}, {end_lr}, {steps}")
    model.require_compiled()
    x, yt, _ = model.prepare(x, y, fitting=True)
    opt = model.optimizer
    model.collect_params()
    if model.ema is not None:
        model.ema.start(model.flat_params)
    saved, lr0 = snapshot.capture(model), opt.learning_rate
    plan = plan_for(model)
    result = LRFinderResult()
    avg, best = 0.0, math.inf
    batches = batch_source(x, yt, None, batch_size, model.xp)  # the training batches, as fit cuts them
    full = batches.n // batches.batch_size  # full batches only: every rate sees as many samples
    try:
        for i in range(steps):
            lr = start_lr * (end_lr / start_lr) ** (i / (steps - 1))
            opt.learning_rate, opt.lr_multiplier = Constant(lr), 1.0
            if i % full == 0:
                batches.begin_epoch(model.rng.permutation(batches.n))
            xb, yb, _, _ = batches.get(i % full)
            loss = train_step(model, plan, xb, yb).logs["loss"]
            if not math.isfinite(loss):
                break
            avg = smoothing * avg + (1 - smoothing) * loss
            smoothed = avg / (1 - smoothing ** (i + 1))
            result.lrs.append(lr)
            result.losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge * best:
                break
    finally:
        batches.close()
        snapshot.apply(model, *saved)
        opt.learning_rate = lr0
        result.diverged = len(result.lrs) < steps
    return _read_curve(result, end_lr)


def _read_curve(result: LRFinderResult, end_lr: float) -> LRFinderResult:
    """The threshold (lowest smoothed loss), the suggestion (half of it) and the steepest descent,
    or a note saying why the curve shows none."""
    losses, lrs = np.array(result.losses), np.array(result.lrs)
    warm = max(5, len(losses) // 10)  # the smoothed curve's first points are mostly noise
    lowest = int(np.argmin(losses)) if len(losses) else 0
    start = losses[warm:2 * warm]
    fell = len(start) > 0 and start.mean() - losses[lowest] > max(0.1 * start.mean(), 3.0 * start.std())
    if len(losses) < 2 * warm + 3 or lowest < warm or not fell:
        result.note = ("the loss did not fall in the sweep (beyond its noise), so it shows no threshold: "
                       "a model that is already trained (find_lr measures from the current weights), "
                       "or start_lr above the threshold; try a fresh model or a lower start_lr")
        return result
    result.threshold = float(lrs[lowest])
    result.suggestion = result.threshold / 2
    slope = np.gradient(losses, np.log(lrs))
    result.steepest = float(lrs[warm + int(np.argmin(slope[warm:lowest + 1]))])
    if not result.diverged and lowest >= len(losses) - max(2, len(losses) // 10):
        result.note = (f"the loss never blew up up to end_lr = {end_lr:g}; the threshold may lie higher "
                       "(raise end_lr to see it)")
    return result
