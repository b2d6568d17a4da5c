"""Inference over batches: evaluate and predict (the averaged weights when the model keeps an EMA),
cut by the one inference iterator (``batches.inference_batches``)."""
from __future__ import annotations

import numpy as np

from ..core import metrics as metrics_mod
from ..core import state as model_state
from ..core.backend import to_numpy
from ..data.inputs import target_task
from .batches import inference_batches
from .state import EpochSums


def metrics_for(model, y, labels) -> list:
    """The compiled metrics resolved for these targets (see ``metrics.for_task``)."""
    task = target_task(y, labels, model.n_outputs)
    sparse = labels is not None and getattr(y, "ndim", 2) == 1
    return metrics_mod.for_task(model.metrics, task, model.n_outputs, sparse)


def evaluate(model, x, y, labels, weights=None, batch_size: int = 1024, metrics=None) -> dict[str, float]:
    """Loss (regularisation included; Σwᵢℓᵢ/Σwᵢ under weights) and metrics of checked arrays."""
    xp = model.xp
    sums = EpochSums(xp, metrics_for(model, y, labels) if metrics is None else metrics)
    with model_state.averaged(model):
        for rows, xb in inference_batches(x, batch_size):
            out = model.forward(xp.asarray(xb), training=False)
            yb = xp.asarray(y[rows])
            wb = None if weights is None else xp.asarray(weights[rows])
            if wb is None:
                loss = model.loss.value(out, yb)
            else:
                loss = float((to_numpy(model.loss.per_sample(out, yb)) * to_numpy(wb)).sum()
                             / max(float(wb.sum()), 1e-300))
            sums.add(loss, rows.stop - rows.start, out, yb, None if labels is None else xp.asarray(labels[rows]), wb)
        reg = model.regularization_loss()
    logs = sums.epoch_logs()
    logs["loss"] += reg
    return logs


def outputs(model, x, batch_size: int = 1024, upto: int | None = None) -> np.ndarray:
    """The outputs of layer ``upto`` (default: the last) for checked x, in inference mode, as NumPy."""
    layers = model.layers[:upto]
    outs = []
    with model_state.averaged(model):
        for _, xb in inference_batches(x, batch_size):
            h = model.xp.asarray(xb)
            for layer in layers:
                h = layer.forward(h, training=False)
            outs.append(to_numpy(h))
    return np.concatenate(outs, axis=0)
