"""keras.callbacks with Keras's arguments."""
from ...training import callbacks as C
from ...training.hooks import Callback  # noqa: F401
from ._common import refuse, refuse_keras_model_file


def EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                  restore_best_weights=False, start_from_epoch=0):
    if baseline is not None or start_from_epoch:
        refuse("EarlyStopping(baseline/start_from_epoch)")
    return C.EarlyStopping(monitor, patience=patience, min_delta=min_delta, mode=mode,
                           restore_best_weights=restore_best_weights)


def ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                      cooldown=0, min_lr=0.0, **kwargs):
    return C.ReduceLROnPlateau(monitor, factor=factor, patience=patience, min_delta=min_delta, mode=mode,
                               cooldown=cooldown, min_lr=min_lr)


def LearningRateScheduler(schedule, verbose=0):
    return C.LearningRateScheduler(schedule)


def CSVLogger(filename, separator=",", append=False):
    if separator != ",":
        refuse("CSVLogger(separator != ',')")
    return C.CSVLogger(filename, append=append)


def TensorBoard(log_dir="logs", histogram_freq=0, **kwargs):
    from ...training.loggers import TensorBoard as TB
    return TB(log_dir, histogram_freq=histogram_freq)


class ModelCheckpoint(C.ModelCheckpoint):
    """Keras's ModelCheckpoint (its arguments) on the core one: ``save_weights_only=True`` writes
    the weights file (``.weights.h5``, Keras 3's layout, needs h5py) instead of a layerwise model
    file; a whole model under Keras's names (``.keras``, ``.h5``) is refused by name."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        if save_freq != "epoch":
            refuse("ModelCheckpoint(save_freq=steps)")
        if not save_weights_only:
            refuse_keras_model_file(filepath, "ModelCheckpoint")
        super().__init__(str(filepath), monitor=monitor, save_best_only=save_best_only, mode=mode,
                         save_weights_only=save_weights_only)


class History(C.Callback):
    """Keras's History: ``history`` (per-epoch lists, Keras's keys), ``epoch``, ``params``, ``model``."""

    def __init__(self, inner: C.History, params: dict, model):
        super().__init__()
        self.model, self.params, self.epoch = model, params, list(inner.epoch)
        self.history = {k: list(v) for k, v in inner.history.items() if k not in ("lr", "time")}
