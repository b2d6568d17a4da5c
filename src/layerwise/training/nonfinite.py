"""What a fit does when a step's loss is NaN or inf: the policy the loop applies.

The step finds the problem (``StepResult.nonfinite`` names where it first appears: a parameter, a
layer's output, or the loss) and, under a policy, does not apply that step's update. The loop
records the first report in ``model.nonfinite_report`` (run reports and model files read it) and
applies the policy; callbacks only observe it through the batch logs (``"nonfinite"``, and
``"rolled_back"`` when a rollback recovered). The policies come from the callbacks that ask for
them: :class:`Halt` from TerminateOnNaN, :class:`Rollback` from RollbackOnNaN. Without one, the
update is applied and training goes on (the weights then hold NaN; at ``verbose=0`` a warning says so).
"""
from __future__ import annotations

from . import snapshot


class Halt:
    """Stop at the step (its update not applied)."""

    def begin(self, model) -> None:
        pass

    def epoch_end(self, model, finite: bool) -> None:
        pass

    def recover(self, model, report: str) -> str | None:
        """A note when training can go on, None to halt."""
        return None


class Rollback(Halt):
    """Put back the state of the last good epoch end (weights, statistics, averages, optimizer
    state, generator: ``snapshot``), multiply the learning rate by ``factor`` and go on; after
    ``max_rollbacks`` (counted in ``record``, the notes so far) halt. The step count keeps
    counting, so schedules go on from where they were."""

    def __init__(self, factor: float, max_rollbacks: int, record: list):
        self.factor, self.max_rollbacks, self.record = factor, max_rollbacks, record
        self.good: snapshot.Snapshot | None = None

    def begin(self, model) -> None:
        self.good = snapshot.capture(model)

    def epoch_end(self, model, finite: bool) -> None:
        if finite:
            self.good = snapshot.capture(model)

    def recover(self, model, report: str) -> str | None:
        if len(self.record) >= self.max_rollbacks or self.good is None:
            return None
        opt = model.optimizer
        iterations, multiplier = opt.iterations, opt.lr_multiplier
        snapshot.apply(model, *self.good)
        opt.iterations, opt.lr_multiplier = iterations, multiplier * self.factor
        note = f"{report}; rolled back to the last good epoch end, learning rate now {opt.lr:.3g}"
        self.record.append(note)
        return note


def policy_of(callbacks) -> Halt | None:
    """The policy the callbacks ask for: a rollback before a halt (it halts once exhausted)."""
    policies = [cb.nonfinite_policy for cb in callbacks if getattr(cb, "nonfinite_policy", None) is not None]
    return next((p for p in policies if isinstance(p, Rollback)), policies[0] if policies else None)
