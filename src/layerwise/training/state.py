"""Where a fit stands (:class:`FitState`, what a checkpoint saves) and the running sums of an epoch
(:class:`EpochSums`, kept where the arrays live: on a GPU they are read back once per epoch)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelFileError


def _json_numbers(v) -> bool:
    """A metric's saved state: a number, None, or (nested) lists of numbers."""
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return True
    return isinstance(v, list) and all(_json_numbers(e) for e in v)


@dataclass
class FitState:
    """The position in training: the loop advances it, checkpoints save and restore it whole.

    ``step`` is the next step of epoch ``epoch``; ``order`` that epoch's sample order (None
    between epochs); ``loss_sum``/``metric_sums``/``seen`` the epoch's running sums so far.
    """

    n_train: int
    batch_size: int
    epoch: int = 0
    step: int = 0
    order: np.ndarray | None = None
    loss_sum: float = 0.0
    metric_sums: dict[str, Any] = field(default_factory=dict)  # each metric's saved state (JSON numbers)
    seen: int = 0
    weight_sum: float = 0.0  # Σ of the sample weights seen (= seen without weights)
    stopped: bool = False

    def next_epoch(self) -> None:
        self.epoch, self.step, self.order = self.epoch + 1, 0, None
        self.loss_sum, self.metric_sums, self.seen, self.weight_sum = 0.0, {}, 0, 0.0

    def to_meta(self) -> dict[str, Any]:
        """JSON-able fields (``order`` is stored as a tensor beside them)."""
        return {"epoch": self.epoch, "step": self.step, "n_train": self.n_train, "batch_size": self.batch_size,
                "loss_sum": self.loss_sum, "metric_sums": dict(self.metric_sums), "seen": self.seen,
                "weight_sum": self.weight_sum,
                "stopped": bool(self.stopped)}

    @classmethod
    def from_meta(cls, meta: Any, order, source: str) -> FitState:
        ints = ("epoch", "step", "n_train", "batch_size", "seen")
        if (not isinstance(meta, dict) or any(isinstance(meta.get(k), bool) or not isinstance(meta.get(k), int)
                                              or meta[k] < 0 for k in ints)
                or not isinstance(meta.get("loss_sum"), (int, float))
                or not isinstance(meta.get("weight_sum", 0.0), (int, float))
                or not isinstance(meta.get("metric_sums", {}), dict)
                or not all(_json_numbers(v) for v in meta.get("metric_sums", {}).values())):
            raise ModelFileError(f"{source}: corrupt training position {meta!r}")
        if order is not None:
            n = meta["n_train"]
            if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
                raise ModelFileError(f"{source}: the saved sample order is not a permutation of {n} samples")
        return cls(n_train=meta["n_train"], batch_size=meta["batch_size"], epoch=meta["epoch"], step=meta["step"],
                   order=order, loss_sum=float(meta["loss_sum"]),
                   metric_sums=dict(meta.get("metric_sums", {})),
                   seen=meta["seen"], weight_sum=float(meta["weight_sum"] if "weight_sum" in meta else meta["seen"]),
                   stopped=bool(meta.get("stopped", False)))


class EpochSums:
    """Σ loss·m over an epoch's batches (float64; Σ loss·Σw with sample weights), each metric's
    streaming state, the samples ``seen`` and their total ``weight``.

    The loss sum and the per-sample metric sums are Python floats (no small array operation per
    step); the XLA engine adds its epoch's steps here too, once the epoch's outputs are back."""

    def __init__(self, xp, metrics=(), loss_sum: float = 0.0, metric_sums: dict | None = None, seen: int = 0,
                 weight_sum: float | None = None):
        self.loss = float(loss_sum)
        self.weight = float(seen if weight_sum is None else weight_sum)
        saved = metric_sums or {}
        self.metrics = list(metrics)
        self.states = {m.name: (m.restored(saved[m.name], xp) if m.name in saved else m.initial(xp))
                       for m in self.metrics}
        self.seen = seen

    def add(self, loss, m: int, y_pred=None, y=None, labels=None, weights=None) -> None:
        """``loss``: the batch's (weighted) mean loss; the metrics take the batch's outputs,
        targets, labels and sample weights."""
        share = m if weights is None else float(weights.sum())
        self.loss += loss * share
        self.weight += share
        if y_pred is not None:
            for metric in self.metrics:
                self.states[metric.name] = metric.accumulate(self.states[metric.name], y_pred, y, labels, weights)
        self.seen += m

    def save_into(self, state: FitState) -> None:
        state.loss_sum = float(self.loss)
        state.metric_sums = {m.name: m.saved(self.states[m.name]) for m in self.metrics}
        state.seen = self.seen
        state.weight_sum = float(self.weight)

    def epoch_logs(self) -> dict[str, float]:
        """The epoch's mean loss and metrics ({"loss": ..., "accuracy": ...}), weighted by the
        sample weights when there are any."""
        total = float(self.weight)
        n = total if total > 0 else 1.0
        return {"loss": float(self.loss) / n, **{m.name: m.result(self.states[m.name], total) for m in self.metrics}}

    def finite(self) -> bool:
        return math.isfinite(float(self.loss))
