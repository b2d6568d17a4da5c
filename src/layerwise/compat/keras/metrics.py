"""keras.metrics: objects; names (e.g. "sparse_categorical_accuracy") work as strings in compile."""
from ...core import metrics as M
from ._common import refuse


def _named(metric: M.Metric, name: str) -> M.Metric:
    metric.name = name
    return metric


def SparseCategoricalAccuracy(name="sparse_categorical_accuracy"):
    return _named(M.Accuracy(), name)


def CategoricalAccuracy(name="categorical_accuracy"):
    return _named(M.Accuracy(), name)


def BinaryAccuracy(name="binary_accuracy", threshold=0.5):
    if threshold != 0.5:
        refuse("BinaryAccuracy(threshold != 0.5)")
    return _named(M.BinaryAccuracy(), name)


def TopKCategoricalAccuracy(k=5, name="top_k_categorical_accuracy"):
    return _named(M.TopKAccuracy(k), name)


def SparseTopKCategoricalAccuracy(k=5, name="sparse_top_k_categorical_accuracy"):
    return _named(M.TopKAccuracy(k), name)


def Precision(name="precision", thresholds=None):
    return _named(M.ConfusionScore("precision"), name)


def Recall(name="recall", thresholds=None):
    return _named(M.ConfusionScore("recall"), name)


def AUC(name="auc", num_thresholds=200, **kwargs):
    return _named(M.AUC(), name)  # exact (scikit-learn's), not Keras's 200-threshold approximation


def MeanAbsoluteError(name="mean_absolute_error"):
    return _named(M.MeanAbsoluteError(), name)


def MeanSquaredError(name="mean_squared_error"):
    return _named(M.MeanSquaredError(), name)


def RootMeanSquaredError(name="root_mean_squared_error"):
    return _named(M.RootMeanSquaredError(), name)
