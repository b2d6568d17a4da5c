"""layerwise: classic neural networks with every layer's forward and backward pass written out.

    from layerwise import Sequential, Dense, datasets
    ds = datasets.load("digits")
    model = Sequential([Dense(100, "relu"), Dense(10, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds.x_train, ds.y_train, epochs=20)
"""
__version__ = "0.1.0"

from . import (activations, backend, callbacks, initializers, losses, metrics, optimizers, regularizers,
               schedules)
from .averaging import ExponentialMovingAverage
from .backend import get_backend, set_backend, set_floatx
from .callbacks import (CSVLogger, EarlyStopping, History, LearningRateScheduler, ModelCheckpoint,
                        ProgressBar, ReduceLROnPlateau, RollbackOnNaN, TerminateOnNaN)
from .data import datasets
from .diagnostics import Diagnostics
from .errors import (BackendError, ConfigError, DataError, FileWriteError, LayerwiseError, ModelFileError,
                     TrainingError)
from .gradcheck import gradcheck
from .io import load_model as load
from .layers import Activation, BatchNorm, Dense, Dropout, Flatten, Layer
from .losses import (BinaryCrossentropy, CategoricalCrossentropy, CustomLoss, LogLikelihood,
                     MeanSquaredError, QuadraticCost)
from .model import Sequential
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp
from .regularizers import L1, L2, L1L2, MaxNorm
from .schedules import (Constant, CosineDecay, ExponentialDecay, LinearWarmup, PiecewiseConstant,
                        StepDecay)

BatchNormalization = BatchNorm


def __getattr__(name):  # optional parts load on first use (ONNX export needs the onnx extra)
    if name == "export":
        import importlib
        return importlib.import_module(".export", __name__)
    if name == "sklearn":
        import importlib
        return importlib.import_module(".sklearn", __name__)
    raise AttributeError(f"module 'layerwise' has no attribute {name!r}")

__all__ = [
    "__version__", "activations", "backend", "callbacks", "initializers", "losses", "metrics",
    "optimizers", "regularizers", "schedules", "datasets",
    "Sequential", "Layer", "Dense", "Activation", "Dropout", "BatchNorm", "BatchNormalization", "Flatten",
    "MeanSquaredError", "QuadraticCost", "BinaryCrossentropy", "CategoricalCrossentropy", "LogLikelihood",
    "CustomLoss", "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "L1", "L2", "L1L2", "MaxNorm",
    "Constant", "ExponentialDecay", "StepDecay", "PiecewiseConstant", "CosineDecay", "LinearWarmup",
    "ExponentialMovingAverage", "History", "ProgressBar", "EarlyStopping", "ReduceLROnPlateau",
    "LearningRateScheduler", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN", "RollbackOnNaN",
    "Diagnostics", "gradcheck", "load", "set_backend", "get_backend", "set_floatx",
    "LayerwiseError", "DataError", "ConfigError", "BackendError", "ModelFileError", "TrainingError",
    "FileWriteError",
]
