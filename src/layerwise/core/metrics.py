"""Classification metrics on predicted outputs (n, k) and integer labels (n,).

The metrics ``compile`` accepts are :class:`Metric` objects registered by name: each gives the
sum over a batch of a per-sample score, computed where the arrays live (NumPy or CuPy), so an
epoch's value is (Σ over batches) / samples with one read-back per epoch on a GPU. Add your own
with ``layerwise.register("metric", MyMetric)``."""
from __future__ import annotations

import re

import numpy as np

from .. import registry
from .backend import array_module_of, to_numpy
def predicted_labels(y_pred) -> np.ndarray:
    """argmax over outputs; a single output is thresholded at 0.5 (sigmoid)."""
    y_pred = to_numpy(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    return (y_pred.reshape(-1) > 0.5).astype(np.int64)


def accuracy(y_true_labels, y_pred) -> float:
    """Fraction of samples whose predicted label equals the true one."""
    return float((predicted_labels(y_pred) == np.asarray(y_true_labels)).mean())


def top_k_accuracy(y_true_labels, y_pred, k: int = 5) -> float:
    """Fraction of samples whose true label is among the k highest outputs."""
    y_pred = to_numpy(y_pred)
    top = np.argpartition(-y_pred, kth=min(k, y_pred.shape[1]) - 1, axis=1)[:, :k]
    return float((top == np.asarray(y_true_labels)[:, None]).any(axis=1).mean())


def confusion_matrix(y_true_labels, y_pred_labels, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j."""
    t = np.asarray(y_true_labels, dtype=np.int64)
    p = np.asarray(y_pred_labels, dtype=np.int64)
    k = n_classes or int(max(t.max(), p.max()) + 1)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


class Metric:
    """A per-sample score averaged over the data: ``batch_sum(y_pred, labels)`` returns the sum of
    the scores of one batch as a 0-d array on the batch's device (no host round trip)."""

    name = "metric"

    def batch_sum(self, y_pred, labels):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}


def labels_of(y_pred):
    """Predicted labels on the array's own device: argmax, or a single output thresholded at 0.5."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    return (y_pred.reshape(-1) > 0.5).astype(np.int64)


class Accuracy(Metric):
    """1 when the predicted label (argmax; one sigmoid output: a > 0.5) equals the true label."""

    name = "accuracy"

    def batch_sum(self, y_pred, labels):
        return (labels_of(y_pred) == labels).sum()


class TopKAccuracy(Metric):
    """1 when the true label is among the k highest outputs."""

    def __init__(self, k: int = 5):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            from ..errors import ConfigError
            raise ConfigError(f"top-k accuracy needs an integer k >= 1, got {k!r}")
        self.k = int(k)
        self.name = f"top_{self.k}_accuracy"

    def batch_sum(self, y_pred, labels):
        xp = array_module_of(y_pred)
        if y_pred.ndim != 2 or self.k >= y_pred.shape[1]:
            return xp.asarray(labels.shape[0])
        kth = y_pred.shape[1] - self.k
        top = xp.argpartition(y_pred, kth, axis=1)[:, kth:]
        return (top == labels[:, None]).any(axis=1).sum()

    def get_config(self):
        return {"name": "top_k_accuracy", "k": self.k}


registry.register("metric", Accuracy, aliases=("acc",))
registry.register("metric", TopKAccuracy, name="top_k_accuracy")
registry.register("metric", lambda: TopKAccuracy(5), name="top_5_accuracy")


def get(identifier) -> Metric:
    """A metric by name ("accuracy", "top_5_accuracy", any "top_<k>_accuracy"), config dict, or
    Metric object."""
    if isinstance(identifier, str):
        match = re.fullmatch(r"top_(\d+)_accuracy", identifier.lower())
        if match:
            return TopKAccuracy(int(match.group(1)))
    return registry.resolve("metric", identifier, Metric)
