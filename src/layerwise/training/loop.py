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
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import step as step_mod
from . import xla
from .checkpoint import CheckpointSaver
from .checkpoint import resume as resume_from
from .inputs import validates
from .interrupt import StopOnInterrupt
from .state import EpochSums, FitState


@dataclass
class Loop:
    model: Any                         # any object with the model interface (never model.py's class)
    plan: step_mod.StepPlan
    batches: Any                       # a batch source (training/batches.py)
    callbacks: Any                     # a CallbackList
    saver: CheckpointSaver
    validate: Callable[[], dict] | None = None   # the validation logs (val_*) at each epoch's end
    shuffle: bool = True
    validation_freq: int | Collection[int] = 1   # validate after every k-th epoch, or after these (1-based)
    warn_nonfinite: bool = False       # a RuntimeWarning at the first non-finite loss (fit's verbose=0)
    engine: Any = None                 # the XLA engine (xla.py) running each epoch, or None: NumPy steps
    _warned: bool = field(default=False, init=False, repr=False)

    def run(self, state: FitState, epochs: int) -> None:
        if self.plan.nonfinite is not None:
            self.plan.nonfinite.begin(self.model)
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
                         weight_sum=state.weight_sum if state.seen else None)

    def _epoch(self, state: FitState, interrupt: StopOnInterrupt) -> bool:
        """One epoch from ``state.step``; True when training must halt (a non-finite loss)."""
        model, cbs = self.model, self.callbacks
        cbs.on_epoch_begin(state.epoch, {})
        t0 = time.perf_counter()
        sums = self._begin_epoch(state)
        halt = False
        while self.engine is not None and state.step < self.batches.steps and not halt:
            # the rest of the epoch as one program, or up to the step a checkpoint is due (or Ctrl-C, seen
            # between runs); callbacks see its last batch, or the step a per-step NaN policy stopped it at
            # (after a rollback the epoch goes on from the step after it); then as after a NumPy step
            due = self.saver.steps_to_due()
            result = self.engine.run(self.batches, state, sums, stop=None if due is None else state.step + due,
                                     should_stop=lambda: interrupt.requested)
            if result is None:
                cbs.on_batch_end(state.step - 1, {"size": len(self.batches.rows(state.step - 1))})
            else:
                halt = self._nonfinite(result, state.epoch, state.step - 1)
                cbs.on_batch_end(state.step - 1, result.logs)
            if self._ends_epoch(halt, state, sums, interrupt):
                break
        for step in range(state.step, self.batches.steps) if self.engine is None else ():
            xb, yb, lb, wb = self.batches.get(step)
            result = step_mod.train_step(model, self.plan, xb, yb, lb, sums, weights=wb)
            halt = result.nonfinite is not None and self._nonfinite(result, state.epoch, step)
            cbs.on_batch_end(step, result.logs)
            state.step = step + 1
            if self._ends_epoch(halt, state, sums, interrupt):
                break
        logs = self._epoch_logs(state, sums, t0)
        cbs.on_epoch_end(state.epoch, logs)
        if model.nonfinite_report is not None and self.plan.halt_on_nonfinite:
            return True
        if self.plan.nonfinite is not None:
            self.plan.nonfinite.epoch_end(model, model.nonfinite_report is None and np.isfinite(logs.get("loss", 0.0)))
        state.next_epoch()
        self.saver.after_epoch(state, interrupt.requested)
        return False

    def _ends_epoch(self, halt: bool, state: FitState, sums: EpochSums, interrupt: StopOnInterrupt) -> bool:
        """After a batch (NumPy) or a program run (XLA), the same for both: stop on a halt; else the
        checkpoint due inside the epoch, or Ctrl-C's (which raises); then a callback's stop_training."""
        if halt:
            return True
        if state.step < self.batches.steps:
            self.saver.after_step(state, sums, interrupt.requested)
        return bool(self.model.stop_training)

    def _nonfinite(self, result, epoch: int, step: int) -> bool:
        """Record where the loss first became NaN/inf and apply the policy; True to halt. The batch
        logs tell the callbacks (``"nonfinite"``; ``"rolled_back"`` when a rollback recovered)."""
        model, policy = self.model, self.plan.nonfinite
        note = policy.recover(model, result.nonfinite) if policy is not None else None
        if note is not None:  # recovered: the state of the last good epoch end; the epoch goes on
            result.logs["rolled_back"] = note
            return False
        result.logs["nonfinite"] = result.nonfinite
        if model.nonfinite_report is None:
            model.nonfinite_report = result.nonfinite
        self._notice_nonfinite(epoch, step)
        if policy is not None:
            model.stop_training = True
        return policy is not None

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
                      RuntimeWarning, stacklevel=7)  # at the user's fit call

    def _epoch_logs(self, state: FitState, sums: EpochSums, t0: float) -> dict[str, float]:
        logs = sums.epoch_logs()
        if self.engine is not None and not sums.finite() and self.model.nonfinite_report is None:
            self.model.nonfinite_report = (f"epoch {state.epoch + 1}: the loss became non-finite (the XLA engine "
                                           "checks once per epoch; TerminateOnNaN or RollbackOnNaN check every step)")
            self._notice_nonfinite(state.epoch)
        if self.validate is not None and validates(state.epoch, self.validation_freq):
            logs.update({f"val_{k}": v for k, v in self.validate().items()})
        logs["lr"] = self.model.optimizer.lr
        logs["time"] = time.perf_counter() - t0
        return logs


def run_fit(model, batches, callbacks, epochs: int, initial_epoch: int = 0, checkpoint=None,
            checkpoint_every: int | None = None, resume: bool = False, validate=None, shuffle: bool = True,
            warn_nonfinite: bool = False, validation_freq: int | Collection[int] = 1,
            engine: str | None = None, device: str | None = None) -> None:
    """``fit`` after its checks: the fit state (restored from ``checkpoint`` when resuming), the
    plan, the checkpoint saver and the loop, run from ``initial_epoch`` to ``epochs``. The callbacks'
    ``params`` carry ``validation_freq`` when the fit validates (a monitor of val_* skips the epochs
    that do not validate, as Keras's do)."""
    state = FitState(n_train=batches.n, batch_size=batches.batch_size, epoch=initial_epoch)
    if resume:
        state = resume_from(checkpoint, model, callbacks.callbacks, batches.n, batches.batch_size) or state
        model.stop_training = state.stopped
    plan = step_mod.plan_for(model, callbacks.callbacks)
    xla_engine, note = xla.engine_for(model, plan, callbacks.callbacks, batches, engine, device)
    if note is not None:
        warnings.warn(note, UserWarning, stacklevel=3)
    loop = Loop(model, plan, batches, callbacks,
                CheckpointSaver(checkpoint, model, callbacks.callbacks, checkpoint_every),
                validate=validate, shuffle=shuffle, warn_nonfinite=warn_nonfinite, validation_freq=validation_freq,
                engine=xla_engine)
    params = {"epochs": epochs, "steps": batches.steps, "samples": batches.n, "batch_size": batches.batch_size,
              "engine": "numpy" if xla_engine is None else "xla"}
    if xla_engine is not None:
        params["device"] = xla_engine.platform
    if validate is not None:
        params["validation_freq"] = validation_freq
    callbacks.on_train_begin({"params": params})
    try:
        loop.run(state, epochs)
    finally:
        batches.close()
        callbacks.on_train_end({})
