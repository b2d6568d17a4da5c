"""keras.losses: classes (from_logits, label_smoothing) and the functions' names."""
from ...core import losses as LS
from ._common import refuse


def _reduction(reduction):
    if reduction not in (None, "sum_over_batch_size", "auto"):
        refuse(f"loss reduction={reduction!r}")


def SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, reduction="sum_over_batch_size", name=None):
    _reduction(reduction)
    if ignore_class is not None:
        refuse("SparseCategoricalCrossentropy(ignore_class=...)")
    loss = LS.CategoricalCrossentropy(from_logits=from_logits)
    loss.keras_sparse = True
    return loss


def CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None,
                            axis=-1):
    _reduction(reduction)
    return LS.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)


def BinaryCrossentropy(from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None, axis=-1):
    _reduction(reduction)
    if label_smoothing:
        refuse("BinaryCrossentropy(label_smoothing=...)")
    return LS.BinaryCrossentropy(from_logits=from_logits)


def MeanSquaredError(reduction="sum_over_batch_size", name=None):
    _reduction(reduction)
    return LS.MeanSquaredError()


def MeanAbsoluteError(reduction="sum_over_batch_size", name=None):
    _reduction(reduction)
    return LS.MeanAbsoluteError()


def Huber(delta=1.0, reduction="sum_over_batch_size", name=None):
    _reduction(reduction)
    return LS.Huber(delta)


def Hinge(reduction="sum_over_batch_size", name=None):
    return LS.Hinge()


def SquaredHinge(reduction="sum_over_batch_size", name=None):
    return LS.SquaredHinge()
