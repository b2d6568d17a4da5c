"""tf.keras names on the layerwise engine (see the package docstring)."""
from __future__ import annotations

import collections.abc
import inspect
import re
import warnings
from pathlib import Path

import numpy as np

from ... import registry
from ...core import layers as L
from ...core import losses as LS
from ...core import metrics as M
from ...core import regularizers as R
from ...core import state as model_state
from ...errors import ConfigError, ModelFileError
from ...formats import keras_weights
from ...model import Sequential as _Sequential
from ...optim import optimizers as O
from ...training import callbacks as C

SCOPE = "layerwise runs dense networks on arrays"


def refuse(what: str, instead: str = "use TensorFlow/Keras for it"):
    """The one-line error for what has no layerwise counterpart; ``instead`` says what to do."""
    raise ConfigError(f"keras {what} is outside layerwise's scope ({SCOPE}); {instead}")


class UnknownName(ConfigError, AttributeError):
    """A Keras name the namespace does not have: a ConfigError saying so, and an AttributeError, so
    that ``hasattr``/``getattr(..., default)`` answer as for any module."""


def refuse_name(what: str) -> None:
    """``refuse`` for a module attribute (``keras.layers.Conv2D``): raises :class:`UnknownName`."""
    raise UnknownName(f"keras {what} is outside layerwise's scope ({SCOPE}); use TensorFlow/Keras for it")


FUNCTIONAL = "functional API (calling a layer or model on keras.Input or on another layer's output)"
USE_SEQUENTIAL = "build the model with keras.Sequential([keras.Input(shape=...), keras.layers.Dense(...), ...])"


# -- Input and layers --------------------------------------------------------------------------
class Input:
    """keras.Input(shape=...): only its shape is used (the first layer's input)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        if shape is None:
            raise ConfigError("keras.Input needs shape=(features,) (or (height, width))")
        self.shape = tuple(int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,)))

    def __repr__(self):
        return f"keras.Input(shape={self.shape})"


def _symbolic(x) -> bool:
    """Whether ``x`` is what the functional API passes between layers (keras.Input, a list of them)."""
    return isinstance(x, Input) or (isinstance(x, (list, tuple, dict)) and
                                    any(isinstance(v, Input) for v in (x.values() if isinstance(x, dict) else x)))


class _EagerCallOnly:
    """Calling a layer on arrays runs it (as in Keras); calling it on keras.Input is the functional
    API, refused at that call by name."""

    def __call__(self, x, training=False, **kwargs):
        if _symbolic(x):
            refuse(FUNCTIONAL, USE_SEQUENTIAL)
        if not self.built:  # as Keras: the first call on arrays builds the layer for their shape
            x = np.asarray(x, dtype=np.float32)
            self.build(x.shape[1:], np.random.default_rng(_next_seed()), np.float32, np)
        return super().__call__(x, training=bool(training))


def _keras_class(base: type) -> type:
    # keeps the base's __name__: configs ("class_name"), automatic layer names and the summary
    # read it, so a model of these layers saves, loads and prints as one of the core layers; the
    # __qualname__ names this module's attribute, so pickling finds the class
    cls = type(base.__name__, (_EagerCallOnly, base), {"__module__": __name__, "__doc__": base.__doc__})
    cls.__qualname__ = f"_Keras{base.__name__}"
    return cls


_KerasDense, _KerasDropout, _KerasFlatten, _KerasBatchNorm, _KerasActivation = (
    _keras_class(c) for c in (L.Dense, L.Dropout, L.Flatten, L.BatchNorm, L.Activation))
KERAS_CLASS = {L.Dense: _KerasDense, L.Dropout: _KerasDropout, L.Flatten: _KerasFlatten,
               L.BatchNorm: _KerasBatchNorm, L.Activation: _KerasActivation}


def _keras_layer_args(kwargs: dict) -> dict:
    """Keras's per-layer keywords that layerwise layers take under the same name."""
    out = {}
    if "input_shape" in kwargs:
        out["input_shape"] = tuple(kwargs.pop("input_shape"))
    if "input_dim" in kwargs:
        out["input_shape"] = (int(kwargs.pop("input_dim")),)
    for key in ("name", "trainable"):
        if key in kwargs:
            out[key] = kwargs.pop(key)
    kwargs.pop("dtype", None)
    if kwargs:
        raise ConfigError(f"unsupported layer argument(s): {', '.join(sorted(kwargs))}")
    return out


def Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
          kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, **kwargs):
    if activity_regularizer is not None:
        refuse("activity_regularizer")
    return _KerasDense(units, activation, use_bias=use_bias,
                       kernel_initializer=_keras_name("initializer", kernel_initializer),
                       bias_initializer=_keras_name("initializer", bias_initializer),
                       kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                       **_keras_layer_args(kwargs))


def Dropout(rate, noise_shape=None, seed=None, **kwargs):
    if noise_shape is not None:
        refuse("Dropout(noise_shape=...)")
    return _KerasDropout(rate, **_keras_layer_args(kwargs))


def Flatten(data_format=None, **kwargs):
    return _KerasFlatten(**_keras_layer_args(kwargs))


def BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_regularizer=None,
                       gamma_regularizer=None, **kwargs):
    if axis not in (-1, 1):
        refuse(f"BatchNormalization(axis={axis})")
    return _KerasBatchNorm(momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                           beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                           **_keras_layer_args(kwargs))


def Activation(activation, **kwargs):
    return _KerasActivation(activation, **_keras_layer_args(kwargs))


def Softmax(axis=-1, **kwargs):
    if axis != -1:
        refuse(f"Softmax(axis={axis})")
    return _KerasActivation("softmax", **_keras_layer_args(kwargs))


def ReLU(max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
    if max_value is not None or threshold:
        refuse("ReLU(max_value/threshold)")
    act = "relu" if not negative_slope else {"name": "leaky_relu", "alpha": negative_slope}
    return _KerasActivation(act, **_keras_layer_args(kwargs))


def LeakyReLU(negative_slope=0.3, **kwargs):
    kwargs.pop("alpha", None)
    return _KerasActivation({"name": "leaky_relu", "alpha": negative_slope}, **_keras_layer_args(kwargs))


def InputLayer(shape=None, input_shape=None, **kwargs):
    return Input(shape if shape is not None else input_shape)


OUT_OF_SCOPE_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D",
                       "MaxPooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                       "GlobalMaxPooling2D", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "Embedding",
                       "Attention", "MultiHeadAttention", "Concatenate", "Add", "Lambda", "Reshape",
                       "TimeDistributed", "Conv1DTranspose", "UpSampling2D", "ZeroPadding2D")


# -- names: Keras's names are the registry's ---------------------------------------------------
def _keras_name(kind: str, name):
    """A name as Keras spells it, as the registry knows it. The registry resolves Keras's names
    itself ("adam", "RMSprop": case is ignored; "sparse_categorical_crossentropy", "he_normal"); a
    Keras class name it does not hold is looked up by its snake-case function name, Keras's own
    pairing ("GlorotUniform" -> "glorot_uniform", "MeanSquaredError" -> "mean_squared_error").
    Anything else is returned as it is, for the registry to resolve or refuse by name."""
    if not isinstance(name, str) or name.lower() in registry.names(kind):
        return name
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return snake if snake in registry.names(kind) else name


# -- regularizers, constraints ----------------------------------------------------------------
def l1(l1=0.01):
    return R.L1(l1)


def l2(l2=0.01):
    return R.L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return R.L1L2(l1, l2)


def MaxNorm(max_value=2, axis=0):
    if axis != 0:
        refuse(f"MaxNorm(axis={axis})")
    return R.MaxNorm(max_value)


# -- optimizers (Keras's names and defaults; the legacy lr= too) ----------------------------
def _opt_args(learning_rate, lr, kwargs, name):
    if lr is not None:
        learning_rate = lr
    out = {"learning_rate": learning_rate}
    for key in ("clipnorm", "clipvalue", "global_clipnorm"):
        if kwargs.get(key) is not None:
            out[key] = kwargs.pop(key)
    wd = kwargs.pop("weight_decay", None)
    if wd:
        out["weight_decay"] = wd
    for ignored in ("name", "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps", "jit_compile"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise ConfigError(f"{name}: unsupported argument(s) {', '.join(sorted(kwargs))}")
    return out


def SGD(learning_rate=0.01, momentum=0.0, nesterov=False, lr=None, **kwargs):
    return O.SGD(momentum=momentum, nesterov=nesterov, **_opt_args(learning_rate, lr, kwargs, "SGD"))


def Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, lr=None, **kwargs):
    if amsgrad:
        refuse("Adam(amsgrad=True)")
    return O.Adam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Adam"))


def AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
          lr=None, **kwargs):
    if amsgrad:
        refuse("AdamW(amsgrad=True)")
    args = _opt_args(learning_rate, lr, kwargs, "AdamW")
    return O.AdamW(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, weight_decay=weight_decay, **args)


def RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, lr=None, **kwargs):
    if momentum or centered:
        refuse("RMSprop(momentum/centered)")
    return O.RMSProp(rho=rho, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "RMSprop"))


def Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, lr=None, **kwargs):
    return O.AdaGrad(initial_accumulator_value=initial_accumulator_value, epsilon=epsilon,
                     **_opt_args(learning_rate, lr, kwargs, "Adagrad"))


def Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
    return O.Nadam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Nadam"))


def Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
    return O.Adamax(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **_opt_args(learning_rate, lr, kwargs, "Adamax"))


# Keras's constructor of each core optimizer class: a name ("rmsprop") resolves through the
# registry to the class, made with Keras's defaults (keyed by class: the names are the registry's)
_KERAS_CONSTRUCTOR = {O.SGD: SGD, O.Adam: Adam, O.AdamW: AdamW, O.RMSProp: RMSprop, O.AdaGrad: Adagrad,
                      O.Nadam: Nadam, O.Adamax: Adamax}


def _optimizer(opt):
    """compile's optimizer: an object or config as it is; a name through the registry, made with
    Keras's defaults where Keras has the optimizer (ε = 1e-7, Adagrad's, Nadam's and Adamax's rates)."""
    if not isinstance(opt, str):
        return opt
    constructor = _KERAS_CONSTRUCTOR.get(registry.lookup("optimizer", opt))
    return constructor() if constructor is not None else O.get(opt)


# -- losses ------------------------------------------------------------------------------------
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


def _loss(loss):
    """compile's loss: a name resolves through the registry (Keras's defaults are the core's:
    from_logits=False, no label smoothing, Huber's δ = 1)."""
    if loss is None:
        raise ConfigError("compile needs a loss")
    return _keras_name("loss", loss)


# -- metrics: Keras's names, resolved the way Keras resolves "accuracy" --------------------------
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


def MetricMeanAbsoluteError(name="mean_absolute_error"):
    return _named(M.MeanAbsoluteError(), name)


def MetricMeanSquaredError(name="mean_squared_error"):
    return _named(M.MeanSquaredError(), name)


def RootMeanSquaredError(name="root_mean_squared_error"):
    return _named(M.RootMeanSquaredError(), name)


# -- callbacks ----------------------------------------------------------------------------------
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
            _refuse_keras_model_file(filepath, "ModelCheckpoint")
        super().__init__(str(filepath), monitor=monitor, save_best_only=save_best_only, mode=mode,
                         save_weights_only=save_weights_only)


class History(C.Callback):
    """Keras's History: ``history`` (per-epoch lists, Keras's keys), ``epoch``, ``params``, ``model``."""

    def __init__(self, inner: C.History, params: dict, model):
        super().__init__()
        self.model, self.params, self.epoch = model, params, list(inner.epoch)
        self.history = {k: list(v) for k, v in inner.history.items() if k not in ("lr", "time")}


# -- the model -------------------------------------------------------------------------------
class Model:
    """keras.Model: neither the functional API (``keras.Model(inputs, outputs)``) nor subclassing
    (``class M(keras.Model)``) maps onto layerwise's Sequential; both are refused where the user
    writes them (subclassing when the class statement runs)."""

    def __init_subclass__(cls, **kwargs):
        refuse(f"Model subclassing (class {cls.__name__}(keras.Model) with call())",
               USE_SEQUENTIAL + "; a layer of your own: subclass layerwise.layers.Layer (forward/backward) "
               "and lw.register('layer', MyLayer)")

    def __new__(cls, *args, **kwargs):
        refuse("Model(inputs, outputs) (the functional API)", USE_SEQUENTIAL)


_PASS_ARRAYS = ("pass the data as arrays (NumPy arrays, lists of rows, pandas DataFrames): "
                "fit(x_train, y_train, batch_size=32) cuts the batches itself")


def _refused_base(name: str, what: str) -> type:
    """A Keras data base class layerwise has no counterpart of: subclassing it (at the class
    statement) or making one is refused."""
    def __init_subclass__(cls, **kwargs):
        refuse(f"{what} (class {cls.__name__}(keras.{what}))", _PASS_ARRAYS)

    def __new__(cls, *args, **kwargs):
        refuse(what, _PASS_ARRAYS)

    doc = f"keras.{what}: layerwise trains on arrays; subclassing it or making one is refused at once."
    return type(name, (), {"__module__": __name__, "__doc__": doc, "__init_subclass__": __init_subclass__,
                           "__new__": __new__})


PyDataset = _refused_base("PyDataset", "utils.PyDataset")
Sequence = _refused_base("Sequence", "utils.Sequence")

# data containers Keras's fit takes and layerwise does not, by a class name in the value's type's
# MRO (layerwise imports neither TensorFlow nor PyTorch to recognise them)
_CONTAINERS = {"PyDataset": "a keras.utils.PyDataset", "DatasetV2": "a tf.data.Dataset",
               "DataLoader": "a PyTorch DataLoader", "IterableDataset": "a PyTorch IterableDataset"}


def _data_container(value) -> str | None:
    """What ``value`` is when it is a Keras data source that is not an array, else None."""
    if isinstance(value, (np.ndarray, list, str, bytes)) or value is None:
        return None
    if inspect.isgenerator(value):
        return "a generator"
    if isinstance(value, collections.abc.Iterator):
        return "an iterator"
    for klass in type(value).__mro__:
        if klass.__name__ in _CONTAINERS:
            return _CONTAINERS[klass.__name__]
        module = klass.__module__ or ""
        if klass.__name__ == "Dataset" and module.startswith(("tensorflow", "torch")):
            return "a tf.data.Dataset" if module.startswith("tensorflow") else "a PyTorch Dataset"
        if klass.__name__ == "Sequence" and module.startswith("keras"):
            return "a keras.utils.Sequence"
    return None


def _check_data(method: str, **values) -> None:
    """Refuse generators, datasets and PyDatasets by name, before the array checks see them."""
    for arg, value in values.items():
        candidates = [value] + (list(value) if isinstance(value, tuple) else [])  # validation_data=(x, y)
        for candidate in candidates:
            kind = _data_container(candidate)
            if kind is not None:
                refuse(f"{method}({arg}=...) with {kind} (generators, tf.data datasets and keras.utils.PyDataset "
                       "are not supported)", _PASS_ARRAYS)


def _keras_loss_name(loss) -> str:
    if getattr(loss, "keras_sparse", False):
        return "SparseCategoricalCrossentropy"
    return type(loss).__name__


def _warn_probabilities_as_logits(model, stacklevel: int) -> bool:
    """Keras's warning when ``from_logits=True`` meets an output that already went through softmax or
    sigmoid (the activation would be applied twice and training stalls). False if there is no
    output layer yet (checked again at fit)."""
    loss = model.loss
    if not model.layers:
        return False
    if not getattr(loss, "from_logits", False):
        return True
    last = next((layer for layer in reversed(model.layers) if not isinstance(layer, L.Dropout)), None)
    act = getattr(getattr(last, "activation", None), "name", None)
    if last is not None and act in ("softmax", "sigmoid"):
        name = _keras_loss_name(loss)
        fix = (f"keras.layers.Dense({last.units}) gives logits" if isinstance(last, L.Dense)
               else f"drop the {act} layer")
        warnings.warn(f"`{name}` received `from_logits=True`, but the model's output is produced by a {act} "
                      f"activation (layer {last.name!r}) and thus does not represent logits: {act} would be "
                      f"applied twice and training stalls. Remove the output activation ({fix}) or use "
                      f"{name}(from_logits=False).", UserWarning, stacklevel=stacklevel + 1)
    return True


_KERAS_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def _refuse_keras_model_file(filepath, where: str) -> None:
    """A whole model under Keras's extensions would be a layerwise file that only looks like Keras's
    (real Keras could not read it): refused, naming the two files layerwise does write."""
    name = Path(str(filepath)).name
    if not name.lower().endswith(_KERAS_MODEL_SUFFIXES):
        return
    stem = name[:-len(".weights.h5")] if name.endswith(".weights.h5") else name.rsplit(".", 1)[0]
    if where == "ModelCheckpoint":
        own, weights = f"ModelCheckpoint('{stem}.lwm')", f"ModelCheckpoint('{stem}.weights.h5', save_weights_only=True)"
    else:
        own, weights = f"model.save('{stem}.lwm')", f"model.save_weights('{stem}.weights.h5')"
    refuse(f"{where}({name!r}) (Keras's own {Path(name).suffix} model format)",
           f"use {own} (layerwise's model file; keras.models.load_model reads it) or {weights} "
           "(Keras 3's weights layout: real Keras loads it)")


_SEED: list = [None]  # keras.utils.set_random_seed's value: the next models' seeds derive from it


def set_random_seed(seed: int) -> None:
    """keras.utils.set_random_seed: seeds Python's and NumPy's generators and every model made
    after it (each model draws its own seed from one seeded stream, so a program repeats)."""
    import random
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"keras.utils.set_random_seed: seed must be an integer >= 0, got "
                          f"{type(seed).__name__} {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    _SEED[0] = np.random.default_rng(seed)


def _next_seed():
    return None if _SEED[0] is None else int(_SEED[0].integers(2**31))


class Sequential(_Sequential):
    """keras.Sequential: layers as a list or through ``add``; a keras.Input first gives the input
    shape; a Sequential given as a layer contributes its layers (shared, as Keras shares them)."""

    def __init__(self, layers=None, name=None, trainable=True, *, dtype=None):
        flat, input_shape = [], None
        for layer in layers or []:
            if isinstance(layer, Input):
                input_shape = layer.shape
            elif isinstance(layer, _Sequential):
                flat.extend(layer.layers)
                input_shape = input_shape or (layer.input_shape if layer.built else None)
            else:
                flat.append(layer)
        super().__init__(flat, input_shape=input_shape, name=name or "sequential", seed=_next_seed(), dtype=dtype)
        if self.input_shape is not None and any(layer.built for layer in flat):
            self.build()  # wraps a trained model: builds only the new layers

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model ``get_config()`` describes (unbuilt: no weights), of Keras's layer classes."""
        core = _Sequential.from_config(config)  # checks the config; the core's layer classes
        layers = [KERAS_CLASS.get(type(layer), type(layer)).from_config(layer.get_config()) for layer in core.layers]
        inputs = [Input(core.input_shape)] if core.input_shape is not None else []
        return cls(inputs + layers, name=core.name, dtype=core.dtype)

    def add(self, layer):
        if isinstance(layer, Input):
            if self.layers:
                raise ConfigError("keras.Input must come before the first layer")
            self.input_shape = layer.shape
            return
        if isinstance(layer, _Sequential):
            for inner in layer.layers:
                super().add(inner)
            return
        super().add(layer)

    # compile → fit → evaluate → predict, with Keras's arguments and return values
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", **kwargs):
        if loss_weights is not None:
            refuse("compile(loss_weights=...) (multi-output models)")
        loss_obj = _loss(loss)
        as_list = lambda m: [m] if isinstance(m, str) else list(m or [])  # noqa: E731  (Keras takes one name too)
        metrics = [_keras_name("metric", m) for m in as_list(metrics) + as_list(weighted_metrics)]
        super().compile(_optimizer(optimizer), loss_obj, metrics=metrics)
        self._logits_checked = _warn_probabilities_as_logits(self, stacklevel=2)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        _check_data("fit", x=x, y=y, validation_data=validation_data)
        if steps_per_epoch is not None or validation_steps is not None:
            refuse("fit(steps_per_epoch/validation_steps) (generators and datasets)", _PASS_ARRAYS)
        if not getattr(self, "_logits_checked", True):  # compiled before the layers were added
            self._logits_checked = _warn_probabilities_as_logits(self, stacklevel=2)
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = callbacks  # a list, one callback or None, as the core (and Keras) take them
        batch_size = 32 if batch_size is None else batch_size
        inner = super().fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=cbs,
                            validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
                            initial_epoch=initial_epoch, sample_weight=sample_weight, class_weight=class_weight,
                            validation_freq=validation_freq)  # the core validates on Keras's epochs only
        params = {"verbose": verbose, "epochs": epochs, "steps": inner.params.get("steps")}  # as the loop ran
        self.history = History(inner, params, self)
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        _check_data("evaluate", x=x, y=y)
        res = super().evaluate(x, y, batch_size=32 if batch_size is None else batch_size, sample_weight=sample_weight)
        if return_dict:
            return res
        if len(res) == 1:
            return res["loss"]
        return [res["loss"], *[v for k, v in res.items() if k != "loss"]]

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        _check_data("predict", x=x)
        if not self.built and self.input_shape is not None:
            self.build()
        return super().predict(x, batch_size=32 if batch_size is None else batch_size)

    def __call__(self, x, training=False, **kwargs):
        """``model(x)`` on arrays predicts (inference mode); on keras.Input it is the functional API."""
        if _symbolic(x):
            refuse(FUNCTIONAL, USE_SEQUENTIAL)
        return self.predict(x)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """A layerwise model file (``.lwm``; keras.models.load_model reads it). Keras's ``.keras`` and
        ``.h5`` are refused: the file would carry Keras's name but not Keras's format."""
        _refuse_keras_model_file(filepath, "model.save")
        super().save(filepath)

    def save_weights(self, filepath, overwrite=True):
        """Keras 3's ``.weights.h5`` layout (needs h5py): real Keras's ``load_weights`` reads it."""
        keras_weights.save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False):
        """A ``.weights.h5`` file (Keras 3's layout, written by Keras or by ``save_weights``)."""
        keras_weights.load_weights(self, filepath)


def _keras_model(model: _Sequential) -> Sequential:
    """A keras.Sequential equal to ``model`` (a loaded core model): made from its config with
    Keras's layer classes, then given its arrays (weight averages included), metadata and compile
    settings, as the model-file reader gave them to the core model."""
    keras_model = Sequential.from_config(model.get_config())
    keras_model.build()
    keras_model.ema = model.ema
    model_state.load_tensors(keras_model, model_state.tensors(model))
    keras_model.metadata = dict(model.metadata)
    if model.optimizer is not None and model.loss is not None:  # the core's compile, as the reader's
        _Sequential.compile(keras_model, model.optimizer, model.loss, metrics=model.metrics, ema=model.ema)
    return keras_model


_KERAS_FILES = {b"PK\x03\x04": "a .keras archive (zip)", b"\x89HDF\r\n\x1a\n": "an HDF5 (.h5) file"}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A layerwise model file (``model.save("m.lwm")``). Files Keras wrote (``.keras`` zip archives,
    HDF5 ``.h5``) are recognised by their first bytes and refused by name."""
    try:
        with open(filepath, "rb") as fh:
            head = fh.read(8)
    except OSError:
        head = b""  # missing or unreadable: the model-file reader below says which
    kind = next((what for magic, what in _KERAS_FILES.items() if head.startswith(magic)), None)
    if kind is not None:
        name = Path(str(filepath)).name
        stem = name[:-len(".weights.h5")] if name.endswith(".weights.h5") else name.rsplit(".", 1)[0]
        raise ModelFileError(
            f"keras.models.load_model({str(filepath)!r}): the file is {kind} written by Keras, which "
            f"layerwise cannot read. layerwise loads the model files it writes (model.save('{stem}.lwm')); "
            f"for weights trained in Keras, save them there with model.save_weights('{stem}.weights.h5') "
            f"and load them here into the same keras.Sequential with model.load_weights('{stem}.weights.h5')")
    from ...formats.model_file import load_model as _load
    # the model as a keras.Sequential: Keras's fit/evaluate/predict return values, and Keras's
    # layers (a call on keras.Input is refused by name)
    return _keras_model(_load(filepath))


def to_categorical(y, num_classes=None, dtype="float32"):
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    k = int(num_classes) if num_classes is not None else int(y.max()) + 1
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ConfigError(f"to_categorical: labels must be in 0..{k - 1}")
    out = np.zeros((len(y), k), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def idx_load_data(name):
    def load_data(path=None):
        from ...data import datasets, idx
        paths = datasets.locate(name) or datasets.download(name)
        a = {k: idx.read_idx(p) for k, p in paths.items()}
        return (a["train_images"], a["train_labels"]), (a["test_images"], a["test_labels"])
    load_data.__doc__ = (f"Keras's {name}.load_data(): uint8 arrays ((x_train, y_train), (x_test, y_test)), "
                         "local files first.")
    return load_data
