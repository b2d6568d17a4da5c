"""The epoch/step loop: one step, one state, any batch source.

    for epoch in range(state.epoch, epochs):
        sums = begin_epoch(state)                 # the restored order and sums, or a new permutation
        for step in range(state.step, batches.steps):
            result = train_step(model, plan, x, y, labels, sums, weights)  # from batches.get(step)
            callbacks.on_batch_end(step, result.logs)
            state.step = step + 1
            saver.after_step(...)                 # step checkpoints; Ctrl-C saves and stops
        callbacks.on_epoch_end(epoch, logs)       # loss, metrics, val_*, lr, time
        state.next_epoch(); saver.after_epoch(...)

It knows nothing of files or terminals (the saver and the callbacks do) and never imports model.py:
it drives any object with the model interface (layers, forward/backward, optimizer, loss, rng).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import step as step_mod
from .checkpoint import CheckpointSaver
from .interrupt import StopOnInterrupt
from .state import EpochSums, FitState


@dataclass
class Loop:
    model: object
    plan: step_mod.StepPlan
    batches: object                    # a batch source (training/batches.py)
    callbacks: object                  # a CallbackList
    saver: CheckpointSaver
    validate: Callable[[], dict] | None = None   # the validation logs (val_*) at each epoch's end
    shuffle: bool = True
    warn_nonfinite: bool = False       # a RuntimeWarning at the first non-finite loss (fit's verbose=0)
    _warned: bool = field(default=False, init=False, repr=False)

    def run(self, state: FitState, epochs: int) -> None:
        with StopOnInterrupt() as interrupt:
            while state.epoch < epochs and not self.model.stop_training:
                if self._epoch(state, interrupt):
                    break

    def _begin_epoch(self, state: FitState) -> EpochSums:
        if state.order is None:  # a new epoch (else: resuming inside one, order and sums restored)
            n = self.batches.n
            state.order = self.model.rng.permutation(n) if self.shuffle else np.arange(n)
        self.batches.begin_epoch(state.order)
        return EpochSums(self.model.xp, self.plan.metrics, state.loss_sum, state.metric_sums, state.seen,
                         weight_sum=state.weight_sum if state.seen else None,
                         on_host=self.plan.sync)

    def _epoch(self, state: FitState, interrupt: StopOnInterrupt) -> bool:
        """One epoch from ``state.step``; True when training must halt (a non-finite loss)."""
        model, cbs = self.model, self.callbacks
        cbs.on_epoch_begin(state.epoch, {})
        t0 = time.perf_counter()
        sums = self._begin_epoch(state)
        for step in range(state.step, self.batches.steps):
            xb, yb, lb, wb = self.batches.get(step)
            result = step_mod.train_step(model, self.plan, xb, yb, lb, sums, weights=wb)
            cbs.on_batch_end(step, result.logs)
            if model.nonfinite_report is not None:  # not recovered by a callback (RollbackOnNaN)
                self._notice_nonfinite(state.epoch, step)
            state.step = step + 1
            if result.halted and model.nonfinite_report is not None:  # not recovered by a callback
                break
            if state.step < self.batches.steps:
                self.saver.after_step(state, sums, interrupt.requested)
            if model.stop_training:
                break
        cbs.on_epoch_end(state.epoch, self._epoch_logs(state, sums, t0))
        if model.nonfinite_report is not None and self.plan.halt_on_nonfinite:
            return True
        state.next_epoch()
        self.saver.after_epoch(state, interrupt.requested)
        return False

    def _notice_nonfinite(self, epoch: int, step: int | None = None) -> None:
        """Say once per fit, when nothing else does (verbose=0 shows no progress line), that the
        loss became NaN/inf, where, and what to do."""
        if not self.warn_nonfinite or self._warned:
            return
        self._warned = True
        where = f"epoch {epoch + 1}" + (f", batch {step + 1} of {self.batches.steps}" if step is not None else "")
        then = ("training stops there" if self.plan.halt_on_nonfinite else
                "the weights now hold NaN/inf; lower the learning rate or add RollbackOnNaN() or TerminateOnNaN() "
                "to callbacks")
        warnings.warn(f"the loss became non-finite in {where} ({self.model.nonfinite_report}); {then}",
                      RuntimeWarning, stacklevel=5 if step is not None else 6)  # at the user's fit call

    def _epoch_logs(self, state: FitState, sums: EpochSums, t0: float) -> dict[str, float]:
        logs = sums.epoch_logs()
        if not self.plan.sync and not sums.finite() and self.model.nonfinite_report is None:
            self.model.nonfinite_report = (f"epoch {state.epoch + 1}: the loss became non-finite (on a device it "
                                           "is checked once per epoch; use TerminateOnNaN to check every step)")
            self._notice_nonfinite(state.epoch)
        if self.validate is not None:
            logs.update({f"val_{k}": v for k, v in self.validate().items()})
        logs["lr"] = self.model.optimizer.lr
        logs["time"] = time.perf_counter() - t0
        return logs
