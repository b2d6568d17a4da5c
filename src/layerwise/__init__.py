"""layerwise: classic neural networks with every layer's forward and backward pass written out.

    from layerwise import Sequential, Dense, datasets
    ds = datasets.load("digits")
    model = Sequential([Dense(100, "relu"), Dense(10, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds.x_train, ds.y_train, epochs=20)
"""
from . import _aliases
from ._version import __version__

_aliases.install()  # old module paths (layerwise.optimizers, layerwise.callbacks, ...) keep working

from .core import activations, backend, initializers, losses, metrics, regularizers  # noqa: E402
from .core.augment import Augment  # noqa: E402
from .core.backend import set_floatx  # noqa: E402
from .core.layers import Activation, BatchNorm, Dense, Dropout, Flatten, Layer  # noqa: E402
from .core.losses import (  # noqa: E402
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CustomLoss,
    Hinge,
    Huber,
    LogLikelihood,
    MeanAbsoluteError,
    MeanSquaredError,
    QuadraticCost,
    SquaredHinge,
)
from .core.regularizers import L1, L1L2, L2, MaxNorm  # noqa: E402
from .data import datasets  # noqa: E402
from .errors import (  # noqa: E402
    BackendError,
    ConfigError,
    DataError,
    FileWriteError,
    LayerwiseError,
    ModelFileError,
    TrainingError,
)
from .formats.model_file import load_model as load  # noqa: E402
from .inspect.diagnostics import Diagnostics  # noqa: E402
from .inspect.gradcheck import gradcheck  # noqa: E402
from .model import Sequential  # noqa: E402
from .optim import optimizers, schedules  # noqa: E402
from .optim.ema import ExponentialMovingAverage  # noqa: E402
from .optim.optimizers import SGD, AdaGrad, Adam, Adamax, AdamW, Nadam, RMSProp  # noqa: E402
from .optim.schedules import (  # noqa: E402
    Constant,
    CosineDecay,
    ExponentialDecay,
    LinearWarmup,
    PiecewiseConstant,
    StepDecay,
)
from .registry import register  # noqa: E402
from .training import callbacks  # noqa: E402
from .training.callbacks import (  # noqa: E402
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    RollbackOnNaN,
    TerminateOnNaN,
)

BatchNormalization = BatchNorm


def __getattr__(name):  # optional parts load on first use (ONNX export needs the onnx extra)
    import importlib
    if name in ("export", "sklearn", "io") or name in _aliases.OLD_PATHS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'layerwise' has no attribute {name!r}")

__all__ = [
    "__version__", "activations", "backend", "callbacks", "initializers", "losses", "metrics",
    "optimizers", "regularizers", "schedules", "datasets",
    "Sequential", "Layer", "Dense", "Activation", "Dropout", "BatchNorm", "BatchNormalization", "Flatten", "Augment",
    "MeanSquaredError", "QuadraticCost", "BinaryCrossentropy", "CategoricalCrossentropy", "LogLikelihood",
    "CustomLoss", "Huber", "MeanAbsoluteError", "Hinge", "SquaredHinge",
    "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "Adamax", "Nadam", "L1", "L2", "L1L2", "MaxNorm",
    "Constant", "ExponentialDecay", "StepDecay", "PiecewiseConstant", "CosineDecay", "LinearWarmup",
    "ExponentialMovingAverage", "History", "ProgressBar", "EarlyStopping", "ReduceLROnPlateau",
    "LearningRateScheduler", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN", "RollbackOnNaN",
    "Diagnostics", "gradcheck", "load", "set_floatx",
    "LayerwiseError", "DataError", "ConfigError", "BackendError", "ModelFileError", "TrainingError",
    "FileWriteError", "register",
]
