"""Where a fit stands (:class:`FitState`, what a checkpoint saves) and the running sums of an epoch
(:class:`EpochSums`, kept where the arrays live: on a GPU they are read back once per epoch)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelFileError


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
    metric_sums: dict[str, float] = field(default_factory=dict)
    seen: int = 0
    stopped: bool = False

    def next_epoch(self) -> None:
        self.epoch, self.step, self.order = self.epoch + 1, 0, None
        self.loss_sum, self.metric_sums, self.seen = 0.0, {}, 0

    def to_meta(self) -> dict[str, Any]:
        """JSON-able fields (``order`` is stored as a tensor beside them)."""
        return {"epoch": self.epoch, "step": self.step, "n_train": self.n_train, "batch_size": self.batch_size,
                "loss_sum": self.loss_sum, "metric_sums": dict(self.metric_sums), "seen": self.seen,
                "stopped": bool(self.stopped)}

    @classmethod
    def from_meta(cls, meta: Any, order, source: str) -> "FitState":
        ints = ("epoch", "step", "n_train", "batch_size", "seen")
        if (not isinstance(meta, dict) or any(isinstance(meta.get(k), bool) or not isinstance(meta.get(k), int)
                                              or meta[k] < 0 for k in ints)
                or not isinstance(meta.get("loss_sum"), (int, float))
                or not isinstance(meta.get("metric_sums", {}), dict)
                or not all(isinstance(v, (int, float)) for v in meta.get("metric_sums", {}).values())):
            raise ModelFileError(f"{source}: corrupt training position {meta!r}")
        if order is not None:
            n = meta["n_train"]
            if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
                raise ModelFileError(f"{source}: the saved sample order is not a permutation of {n} samples")
        return cls(n_train=meta["n_train"], batch_size=meta["batch_size"], epoch=meta["epoch"], step=meta["step"],
                   order=order, loss_sum=float(meta["loss_sum"]),
                   metric_sums={k: float(v) for k, v in meta.get("metric_sums", {}).items()},
                   seen=meta["seen"], stopped=bool(meta.get("stopped", False)))


class EpochSums:
    """Σ loss·m and Σ metric scores over an epoch's batches, in float64, and the samples ``seen``.

    On a device (``on_host=False``) the sums are 0-d arrays of the model's array module, so the
    device never waits for the host; on the host, where each step's loss is read anyway, they are
    Python floats (the same float64 arithmetic, without a small array operation per step)."""

    def __init__(self, xp, metric_names, loss_sum: float = 0.0, metric_sums: dict | None = None, seen: int = 0,
                 on_host: bool = True):
        start = (lambda v: float(v)) if on_host else (lambda v: xp.asarray(v, dtype=np.float64))
        self.loss = start(loss_sum)
        self.metrics = {k: start((metric_sums or {}).get(k, 0.0)) for k in metric_names}
        self.seen = seen
        self.on_host = on_host

    def add(self, loss, batch_metrics: dict, m: int) -> None:
        """``loss``: the batch's mean loss (a float on the host, a 0-d array on a device)."""
        self.loss += loss * m
        for k, v in batch_metrics.items():
            self.metrics[k] += float(v) if self.on_host else v
        self.seen += m

    def read(self) -> tuple[float, dict[str, float]]:
        """The sums on the host (one device-to-host read each)."""
        return float(self.loss), {k: float(v) for k, v in self.metrics.items()}

    def save_into(self, state: FitState) -> None:
        state.loss_sum, state.metric_sums = self.read()
        state.seen = self.seen

    def epoch_logs(self) -> dict[str, float]:
        """The epoch's mean loss and metrics ({"loss": ..., "accuracy": ...})."""
        loss, metrics = self.read()
        n = max(self.seen, 1)
        return {"loss": loss / n, **{k: v / n for k, v in metrics.items()}}

    def finite(self) -> bool:
        return math.isfinite(float(self.loss))
