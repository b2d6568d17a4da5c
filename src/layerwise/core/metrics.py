"""Metrics on predicted outputs (n, k): classification (integer labels), multi-label (0/1 rows)
and regression (real targets).

The metrics ``compile`` accepts are :class:`Metric` objects registered by name. They stream over
batches, written once against the namespace ``xp`` of their arrays (NumPy, or jax.numpy for JAX
arrays; the XLA engine copies each step's outputs to the host, so a fit's metrics run on NumPy):
a mean of per-sample scores keeps one running sum; precision/recall/F1 keep a confusion matrix,
RMSE and R² a few per-output sums, so nothing holds all predictions except AUC (exact, as
scikit-learn's). Values equal scikit-learn's on the same predictions. Add your own with
``layerwise.register("metric", MyMetric)``."""
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


def confusion_matrix(y_true_labels, y_pred_labels, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j.

    Parameters
    ----------
    y_true_labels : array of int, shape (n,)
        The true class of each sample.
    y_pred_labels : array of int, shape (n,)
        The predicted class of each sample (``model.predict(x).argmax(axis=1)``).
    n_classes : int or None, default None
        k, the number of classes. None: one more than the largest label seen.

    Returns
    -------
    ndarray of int64, shape (k, k)
        C, rows = true classes, columns = predicted classes; its diagonal holds the correct ones.
    """
    t = np.asarray(y_true_labels, dtype=np.int64)
    p = np.asarray(y_pred_labels, dtype=np.int64)
    k = n_classes or int(max(t.max(), p.max()) + 1)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


class Metric:
    """A metric, computed streaming over batches with its arrays' namespace (NumPy or jax.numpy).

    The simple kind is a mean of per-sample scores: ``batch_sum(y_pred, target)`` returns the sum
    of one batch's scores as a 0-d array (``target``: integer labels when ``targets == "labels"``,
    else the target array y). Metrics that are not means of per-sample scores (precision, R², AUC)
    override ``initial``/``accumulate``/``result``: their state is a count matrix, a few sums, or
    the scores themselves. ``tasks``: the kinds of targets the metric means something for.

    A subclass sets ``name`` (and ``greater_is_better = False`` for an error) and writes
    ``scores``, or the streaming methods; register it with :func:`layerwise.register` to name it in
    ``compile``. The base class takes no constructor arguments.
    """

    name = "metric"
    greater_is_better = True        # False for errors (mae, mse, rmse, hamming_loss): what "best" means
    targets = "labels"              # "labels" (integer classes) or "y" (the targets as given)
    tasks: tuple[str, ...] = ("classification",)

    def scores(self, y_pred, target):
        """The per-sample scores (n,) (what sample weights weigh).

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The model's outputs for one batch.
        target : array of shape (n,) of int, or (n, k)
            Integer labels when ``targets == "labels"``, else the target array y.

        Returns
        -------
        array of shape (n,)
            Each sample's score; the metric is their (weighted) mean.
        """
        from ..errors import ConfigError
        raise ConfigError(f"metric {self.name!r} defines only batch_sum; define scores(y_pred, target) "
                          "returning per-sample scores to use it with sample weights")

    def batch_sum(self, y_pred, target):
        """The sum of one batch's scores (a faster path than ``scores`` where there is one).

        Parameters
        ----------
        y_pred : array of shape (n, k)
            The model's outputs for one batch.
        target : array of shape (n,) of int, or (n, k)
            As for :meth:`scores`.

        Returns
        -------
        0-d array
            Σ scores, on y_pred's device.
        """
        return self.scores(y_pred, target).sum()

    # -- the streaming protocol (a running sum unless overridden) ----------------------------
    def initial(self, xp, on_host: bool = True):
        """The state before the first batch of an evaluation (here a running sum of 0).

        Parameters
        ----------
        xp : module
            The array namespace of the data (``array_module_of`` of the outputs).
        on_host : bool, default True
            True: keep the state as a Python float; False: as a 0-d array on the device.

        Returns
        -------
        object
            The empty state ``accumulate`` starts from.
        """
        return 0.0 if on_host else xp.zeros((), dtype=np.float64)

    def accumulate(self, state, y_pred, y, labels, weights=None):
        """The state after one more batch; ``weights`` (n,) weigh its samples (None: all 1).

        Parameters
        ----------
        state : object
            The state so far (from ``initial`` or the previous call).
        y_pred : array of shape (n, k)
            The model's outputs for one batch.
        y : array
            The batch's targets as given.
        labels : array of shape (n,) of int, or None
            The targets as integer labels (classification), else None.
        weights : array of shape (n,) or None, default None
            Sample weights; None weighs every sample 1.

        Returns
        -------
        object
            The new state.
        """
        target = labels if self.targets == "labels" else y
        s = self.batch_sum(y_pred, target) if weights is None else (self.scores(y_pred, target) * weights).sum()
        return state + float(s) if isinstance(state, float) else state + s

    def result(self, state, n) -> float:
        """The value from the state; ``n``: the number of samples, or their total weight.

        Parameters
        ----------
        state : object
            The state after the last batch.
        n : int or float
            The number of samples seen, or Σ weights with sample weights.

        Returns
        -------
        float
            The metric's value (here Σ scores / n).
        """
        return float(state) / max(float(n), 1e-300)

    def saved(self, state):
        """The state as JSON numbers (mid-epoch checkpoints).

        Parameters
        ----------
        state : object
            A state from ``accumulate``.

        Returns
        -------
        float, list or None
            Numbers that ``json.dumps`` writes and :meth:`restored` reads back.
        """
        return float(state)

    def restored(self, saved, xp, on_host: bool = True):
        """The state again from what :meth:`saved` returned (a resumed checkpoint).

        Parameters
        ----------
        saved : float, list or None
            The output of :meth:`saved`.
        xp : module
            The array namespace to put arrays in.
        on_host : bool, default True
            As for :meth:`initial`.

        Returns
        -------
        object
            The state.
        """
        return float(saved) if on_host else xp.asarray(saved, dtype=np.float64)

    def check(self, task: str, n_outputs: int) -> None:
        """ConfigError when this metric means nothing for these targets.

        Parameters
        ----------
        task : str
            What the targets are: "classification", "multilabel" or "regression".
        n_outputs : int
            The model's number of outputs k.
        """
        if task not in self.tasks:
            from ..errors import ConfigError
            raise ConfigError(f"metric {self.name!r} needs {' or '.join(self.tasks)} targets, but the targets "
                              f"are {task} ({_TASK_WORDS[task]})")

    def get_config(self):
        return {"name": self.name}


_TASK_WORDS = {"classification": "integer class labels or one-hot rows",
               "multilabel": "0/1 indicator rows with several 1s",
               "regression": "real-valued targets"}


def labels_of(y_pred):
    """Predicted labels on the array's own device: argmax, or a single output thresholded at 0.5."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    return (y_pred.reshape(-1) > 0.5).astype(np.int64)


class Accuracy(Metric):
    """1 when the predicted label (argmax; one sigmoid output: a > 0.5) equals the true label.

    The name "accuracy" (also "acc"). Takes no constructor arguments.
    """

    name = "accuracy"

    def scores(self, y_pred, labels):
        return labels_of(y_pred) == labels

    def batch_sum(self, y_pred, labels):
        return (labels_of(y_pred) == labels).sum()


class TopKAccuracy(Metric):
    """1 when the true label is among the k highest outputs.

    Parameters
    ----------
    k : int, default 5
        How many of the highest outputs count (k ≥ 1); ``k ≥`` the number of classes scores 1.
        The name is "top_<k>_accuracy".
    """

    def __init__(self, k: int = 5):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            from ..errors import ConfigError
            raise ConfigError(f"top-k accuracy needs an integer k >= 1, got {k!r}")
        self.k = int(k)
        self.name = f"top_{self.k}_accuracy"

    def scores(self, y_pred, labels):
        xp = array_module_of(y_pred)
        if y_pred.ndim != 2 or self.k >= y_pred.shape[1]:
            return xp.ones(labels.shape[0], dtype=bool)
        kth = y_pred.shape[1] - self.k
        top = xp.argpartition(y_pred, kth, axis=1)[:, kth:]
        return (top == labels[:, None]).any(axis=1)

    def get_config(self):
        return {"name": "top_k_accuracy", "k": self.k}


# -- precision, recall, F1 from a streaming confusion matrix ------------------------------------
AVERAGES = ("binary", "macro", "micro", "weighted")


def per_class_scores(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix C[true, predicted]
    (0 where a ratio is 0/0, as scikit-learn's zero_division=0)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp, pred, true = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred > 0, tp / pred, 0.0)
        recall = np.where(true > 0, tp / true, 0.0)
        f1 = np.where(pred + true > 0, 2 * tp / (pred + true), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": true}


def averaged_score(cm: np.ndarray, score: str, average: str) -> float:
    """scikit-learn's precision/recall/F1 with ``average`` over the classes present in the true or
    the predicted labels ("binary": the positive class 1)."""
    cm = np.asarray(cm, dtype=np.float64)
    per = per_class_scores(cm)
    if average == "binary":
        return float(per[score][1]) if len(cm) > 1 else 0.0
    if average == "micro":
        total = cm.sum()
        return float(np.trace(cm) / total) if total else 0.0
    present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    if average == "weighted":
        support = per["support"]
        return float((per[score] * support).sum() / support.sum()) if support.sum() else 0.0
    return float(per[score][present].mean()) if present.any() else 0.0


class ConfusionScore(Metric):
    """Precision, recall or F1 (``score``), averaged as scikit-learn does: "macro" (the mean over
    classes), "micro" (from the pooled counts: equals accuracy for single-label data), "weighted"
    (by support), "binary" (class 1 of a two-class model). Default: binary for two classes, macro
    otherwise. Streaming: the state is the k × k confusion matrix.

    Parameters
    ----------
    score : {"precision", "recall", "f1"}, default "f1"
        Which score: precision TP/(TP + FP), recall TP/(TP + FN), F1 = 2TP/(2TP + FP + FN).
    average : {"binary", "macro", "micro", "weighted"} or None, default None
        How classes are combined, as above. The name is ``score``, or ``score_average``
        ("f1_macro").
    """

    def __init__(self, score: str = "f1", average: str | None = None):
        from ..errors import ConfigError
        if score not in ("precision", "recall", "f1"):
            raise ConfigError(f"score must be precision, recall or f1, got {score!r}")
        if average is not None and average not in AVERAGES:
            raise ConfigError(f"average must be one of {', '.join(AVERAGES)}, got {average!r}")
        self.score, self.average = score, average
        self.name = score if average is None else f"{score}_{average}"

    def initial(self, xp, on_host=True):
        return None  # sized by the first batch

    def accumulate(self, state, y_pred, y, labels, weights=None):
        xp = array_module_of(y_pred)
        k = max(int(y_pred.shape[1]) if y_pred.ndim == 2 else 1, 2)
        cells = labels.astype(np.int64) * k + labels_of(y_pred)
        counts = xp.bincount(cells, weights=weights, minlength=k * k).reshape(k, k)
        return counts if state is None else state + counts

    def result(self, state, n):
        if state is None:
            return 0.0
        cm = to_numpy(state)
        average = self.average or ("binary" if len(cm) == 2 else "macro")
        if average == "binary" and len(cm) != 2:
            from ..errors import ConfigError
            raise ConfigError(f"{self.name}: average 'binary' needs a two-class model, this one has {len(cm)} classes")
        return averaged_score(cm, self.score, average)

    def saved(self, state):
        return None if state is None else to_numpy(state).tolist()

    def restored(self, saved, xp, on_host=True):
        return None if saved is None else xp.asarray(np.asarray(saved))

    def get_config(self):
        return {"name": self.name}


class AUC(Metric):
    """Area under the ROC curve of a binary classifier (one sigmoid output, or the second of two
    softmax outputs), exactly as scikit-learn's roc_auc_score: the state holds the scores.

    The name "auc". Takes no constructor arguments.
    """

    name = "auc"

    def initial(self, xp, on_host=True):
        return []

    def check(self, task, n_outputs):
        super().check(task, n_outputs)
        if n_outputs > 2:
            from ..errors import ConfigError
            raise ConfigError(f"auc needs a binary classifier (one sigmoid output or two softmax outputs); "
                              f"this model has {n_outputs} outputs")

    def accumulate(self, state, y_pred, y, labels, weights=None):
        score = y_pred[:, -1] if y_pred.ndim == 2 else y_pred
        w = array_module_of(y_pred).ones(len(labels)) if weights is None else weights
        state.append((score.astype(np.float64), labels.astype(np.int64), w.astype(np.float64)))
        return state

    def result(self, state, n):
        if not state:
            return float("nan")
        scores, labels, weights = (np.concatenate([to_numpy(part[i]) for part in state]) for i in range(3))
        if len(np.unique(labels)) < 2:
            return float("nan")  # undefined with one class present
        from sklearn.metrics import roc_auc_score
        return float(roc_auc_score(labels, scores, sample_weight=weights))

    def saved(self, state):
        return [[to_numpy(a).tolist() for a in part] for part in state]

    def restored(self, saved, xp, on_host=True):
        return [tuple(xp.asarray(np.asarray(a, dtype)) for a, dtype in zip(part, (np.float64, np.int64, np.float64)))
                for part in saved]


# -- regression -------------------------------------------------------------------------------
class _TargetMetric(Metric):
    targets = "y"
    tasks: tuple[str, ...] = ("regression", "classification", "multilabel")


def _diff(y_pred, y):
    return y_pred.astype(np.float64) - y.reshape(y_pred.shape).astype(np.float64)


class MeanAbsoluteError(_TargetMetric):
    """mean |ŷ − y| over samples and outputs (scikit-learn's uniform average).

    The name "mae". Takes no constructor arguments.
    """
    greater_is_better = False

    name = "mae"

    def scores(self, y_pred, y):
        return abs(_diff(y_pred, y)).mean(axis=1)


class MeanSquaredError(_TargetMetric):
    """mean (ŷ − y)² over samples and outputs.

    The name "mse". Takes no constructor arguments.
    """
    greater_is_better = False

    name = "mse"

    def scores(self, y_pred, y):
        d = _diff(y_pred, y)
        return (d * d).mean(axis=1)


class RootMeanSquaredError(_TargetMetric):
    """√(mean (ŷ − y)²) per output, then the mean over outputs (scikit-learn's uniform average).
    State: the per-output sums of squared errors.

    The name "rmse". Takes no constructor arguments.
    """

    name = "rmse"
    greater_is_better = False

    def initial(self, xp, on_host=True):
        return None

    def accumulate(self, state, y_pred, y, labels, weights=None):
        d = _diff(y_pred, y)
        sq = d * d if weights is None else d * d * weights[:, None]
        sse = sq.sum(axis=0)
        return sse if state is None else state + sse

    def result(self, state, n):
        return 0.0 if state is None else float(np.sqrt(to_numpy(state) / max(float(n), 1e-300)).mean())

    def saved(self, state):
        return None if state is None else to_numpy(state).tolist()

    def restored(self, saved, xp, on_host=True):
        return None if saved is None else xp.asarray(np.asarray(saved, dtype=np.float64))


class R2Score(RootMeanSquaredError):
    """R² = 1 − Σ(y − ŷ)²/Σ(y − ȳ)² per output, then the mean over outputs (scikit-learn's r2_score;
    a constant target scores 1 when predicted exactly, else 0). State: Σwy, Σwy², Σw(y − ŷ)² per
    output (w = 1 without sample weights; ``n`` is then Σw).

    The name "r2". Takes no constructor arguments.
    """
    greater_is_better = True

    name = "r2"

    def accumulate(self, state, y_pred, y, labels, weights=None):
        xp = array_module_of(y_pred)
        yy = y.reshape(y_pred.shape).astype(np.float64)
        d = y_pred.astype(np.float64) - yy
        w = xp.ones((len(yy), 1)) if weights is None else weights.reshape(-1, 1)
        sums = xp.stack([(w * yy).sum(axis=0), (w * yy * yy).sum(axis=0), (w * d * d).sum(axis=0)])
        return sums if state is None else state + sums

    def result(self, state, n):
        if state is None or not n:
            return 0.0
        n = float(n)
        s_y, s_yy, sse = to_numpy(state)
        sst = s_yy - s_y * s_y / n
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(sst > 1e-12 * np.maximum(s_yy, 1e-300), 1.0 - sse / sst, np.where(sse == 0, 1.0, 0.0))
        return float(r2.mean())


# -- multi-label ----------------------------------------------------------------------------
def _hits(y_pred, y):
    """(ŷ > 0.5) == y per output (a float array)."""
    return ((y_pred > 0.5) == (y.reshape(y_pred.shape) > 0.5)).astype(np.float64)


class BinaryAccuracy(_TargetMetric):
    """The fraction of outputs right, each thresholded at 0.5 (Keras's binary_accuracy): for
    multi-label data, 1 − Hamming loss.

    Parameters
    ----------
    name : str, default "binary_accuracy"
        The name it is logged under.
    """

    name = "binary_accuracy"
    tasks = ("multilabel", "classification")

    def __init__(self, name: str = "binary_accuracy"):
        self.name = name

    def scores(self, y_pred, y):
        return _hits(y_pred, y).mean(axis=1)

    def get_config(self):
        return {"name": "binary_accuracy"}


class HammingLoss(_TargetMetric):
    """The fraction of labels wrong (scikit-learn's hamming_loss).

    The name "hamming_loss". Takes no constructor arguments.
    """
    greater_is_better = False

    name = "hamming_loss"
    tasks = ("multilabel", "classification")

    def scores(self, y_pred, y):
        return (1.0 - _hits(y_pred, y)).mean(axis=1)


class SubsetAccuracy(_TargetMetric):
    """1 when every label of a sample is right (scikit-learn's accuracy_score on indicator rows).

    The name "subset_accuracy". Takes no constructor arguments.
    """

    name = "subset_accuracy"
    tasks = ("multilabel", "classification")

    def scores(self, y_pred, y):
        return _hits(y_pred, y).min(axis=1)


def _renamed(metric: Metric, name: str) -> Metric:
    metric.name = name
    return metric


# -- which metrics a model computes, given its targets -----------------------------------------
TASK_DEFAULTS = {"classification": ("accuracy",), "multilabel": ("binary_accuracy", "subset_accuracy"),
                 "regression": ("mae", "rmse")}


def for_task(names: list, task: str, n_outputs: int, sparse_targets: bool = False) -> list[Metric]:
    """The compiled metrics resolved for these targets: "auto" gives the task's defaults;
    "accuracy" means label accuracy for classes, per-label binary accuracy for multi-label data
    (as in Keras), and is dropped with a warning for regression, where it means nothing.
    Metrics that need y shaped like the outputs are refused for sparse integer targets."""
    import warnings

    from ..errors import ConfigError
    out: list[Metric] = []
    for ident in names:
        if ident == "auto":
            out.extend(get(n) for n in TASK_DEFAULTS[task] if all(m.name != n for m in out))
            continue
        metric = get(ident)
        if metric.name == "accuracy" and type(metric) is Accuracy:
            if task == "regression":
                warnings.warn("metric 'accuracy' means nothing for real-valued (regression) targets and is "
                              "not computed; use mae, mse, rmse or r2", UserWarning, stacklevel=3)
                continue
            if task == "multilabel":
                metric = BinaryAccuracy("accuracy")
        metric.check(task, n_outputs)
        if metric.targets == "y" and sparse_targets:
            raise ConfigError(f"metric {metric.name!r} compares outputs with targets of the same shape, but the "
                              "loss takes integer labels; pass one-hot targets or use a label metric")
        if all(m.name != metric.name for m in out):
            out.append(metric)
    return out


registry.register("metric", Accuracy, aliases=("acc",))
registry.register("metric", TopKAccuracy, name="top_k_accuracy")
registry.register("metric", lambda: TopKAccuracy(5), name="top_5_accuracy")
for _score in ("precision", "recall", "f1"):
    registry.register("metric", (lambda s: lambda average=None: ConfusionScore(s, average))(_score), name=_score)
    for _avg in AVERAGES:
        registry.register("metric", (lambda s, a: lambda: ConfusionScore(s, a))(_score, _avg), name=f"{_score}_{_avg}")
registry.register("metric", AUC)
# Keras's names for the same metrics, logged under Keras's keys
registry.register("metric", lambda: _renamed(Accuracy(), "sparse_categorical_accuracy"),
                  name="sparse_categorical_accuracy")
registry.register("metric", lambda: _renamed(Accuracy(), "categorical_accuracy"), name="categorical_accuracy")
registry.register("metric", lambda: _renamed(TopKAccuracy(5), "top_k_categorical_accuracy"),
                  name="top_k_categorical_accuracy")
registry.register("metric", lambda: _renamed(TopKAccuracy(5), "sparse_top_k_categorical_accuracy"),
                  name="sparse_top_k_categorical_accuracy")
registry.register("metric", MeanAbsoluteError, aliases=("mean_absolute_error",))
registry.register("metric", MeanSquaredError, aliases=("mean_squared_error",))
registry.register("metric", RootMeanSquaredError, aliases=("root_mean_squared_error",))
registry.register("metric", R2Score, aliases=("r2_score",))
registry.register("metric", BinaryAccuracy)
registry.register("metric", HammingLoss)
registry.register("metric", SubsetAccuracy)


def get(identifier) -> Metric:
    """A metric by name ("accuracy", "top_5_accuracy", any "top_<k>_accuracy"), config dict, or
    Metric object.

    Parameters
    ----------
    identifier : str, dict or Metric
        A registered name (case-insensitive: "accuracy", "f1_macro", "mae", "r2", Keras's
        "sparse_categorical_accuracy", ...), a config dict, or a Metric (returned as it is).

    Returns
    -------
    Metric
        The metric. An unknown name raises ConfigError listing the choices.
    """
    if isinstance(identifier, str):
        match = re.fullmatch(r"top_(\d+)_accuracy", identifier.lower())
        if match:
            return TopKAccuracy(int(match.group(1)))
    return registry.resolve("metric", identifier, Metric)


def compiled_names(metrics) -> list[str]:
    """``compile``'s ``metrics`` (a name, or a list of names, "auto" and Metric objects) as names."""
    if isinstance(metrics, str):
        metrics = [metrics]
    return ["auto" if m == "auto" else register_object(m) if isinstance(m, Metric) else get(m).name
            for m in (metrics or [])]


def register_object(metric: Metric) -> str:
    """A Metric object given to ``compile``: registered under its name (unless the name is taken),
    so that configs and saved models can name it; returns the name."""
    if metric.name not in registry.names("metric") and not metric.name.startswith("top_"):
        registry.register("metric", lambda: metric, name=metric.name)
    return metric.name


registry.declare_base("metric", Metric)


def greater_is_better(key: str) -> bool:
    """Whether a larger logged value of ``key`` is better: "val_f1_macro" yes, "val_loss" and "mae" no
    (a name no metric has, such as "lr", counts as lower-is-better, like a loss)."""
    for prefix in ("best_", "val_", "test_"):
        key = key.removeprefix(prefix)
    if key == "loss" or key.endswith("_loss") and key != "hamming_loss":
        return False
    from ..errors import ConfigError
    try:
        return bool(get(key).greater_is_better)
    except ConfigError:
        return "acc" in key or key.endswith("auc")
