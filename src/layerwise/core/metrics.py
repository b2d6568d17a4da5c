"""Classification metrics on predicted outputs (n, k) and integer labels (n,)."""
from __future__ import annotations

import numpy as np

from .backend import to_numpy
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


METRICS = {"accuracy": accuracy, "acc": accuracy, "top_5_accuracy": top_k_accuracy}
