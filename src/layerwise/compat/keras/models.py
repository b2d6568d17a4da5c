"""keras.models: Sequential, load_model (layerwise model files) and Model (refused: the functional
API and subclassing)."""
from __future__ import annotations

import collections.abc
import inspect
import warnings
from pathlib import Path

import numpy as np

from ... import registry
from ...core import layers as L
from ...core import state as model_state
from ...errors import ConfigError, ModelFileError
from ...formats import keras_weights
from ...model import Sequential as _Sequential
from ...optim import optimizers as O
from . import optimizers
from ._common import FUNCTIONAL, PASS_ARRAYS, USE_SEQUENTIAL, keras_name, next_seed, refuse, refuse_keras_model_file
from .callbacks import History
from .layers import KERAS_CLASS, Input, symbolic

# Keras's constructor of each core optimizer class: a name ("rmsprop") resolves through the
# registry to the class, made with Keras's defaults (keyed by class: the names are the registry's)
_KERAS_CONSTRUCTOR = {O.SGD: optimizers.SGD, O.Adam: optimizers.Adam, O.AdamW: optimizers.AdamW,
                      O.RMSProp: optimizers.RMSprop, O.AdaGrad: optimizers.Adagrad, O.Nadam: optimizers.Nadam,
                      O.Adamax: optimizers.Adamax}


def _optimizer(opt):
    """compile's optimizer: an object or config as it is; a name through the registry, made with
    Keras's defaults where Keras has the optimizer (ε = 1e-7, Adagrad's, Nadam's and Adamax's rates)."""
    if not isinstance(opt, str):
        return opt
    constructor = _KERAS_CONSTRUCTOR.get(registry.lookup("optimizer", opt))
    return constructor() if constructor is not None else O.get(opt)


def _loss(loss):
    """compile's loss: a name resolves through the registry (Keras's defaults are the core's:
    from_logits=False, no label smoothing, Huber's δ = 1)."""
    if loss is None:
        raise ConfigError("compile needs a loss")
    return keras_name("loss", loss)


class Model:
    """keras.Model: neither the functional API (``keras.Model(inputs, outputs)``) nor subclassing
    (``class M(keras.Model)``) maps onto layerwise's Sequential; both are refused where the user
    writes them (subclassing when the class statement runs).

    Parameters
    ----------
    *args, **kwargs
        Whatever Keras's Model takes; any call raises ConfigError naming the construct and
        pointing to ``keras.Sequential``.
    """

    def __init_subclass__(cls, **kwargs):
        refuse(f"Model subclassing (class {cls.__name__}(keras.Model) with call())",
               USE_SEQUENTIAL + "; a layer of your own: subclass layerwise.layers.Layer (forward/backward) "
               "and lw.register('layer', MyLayer)")

    def __new__(cls, *args, **kwargs):
        refuse("Model(inputs, outputs) (the functional API)", USE_SEQUENTIAL)


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
                       "are not supported)", PASS_ARRAYS)


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


class Sequential(_Sequential):
    """keras.Sequential: layers as a list or through ``add``; a keras.Input first gives the input
    shape; a Sequential given as a layer contributes its layers (shared, as Keras shares them).

    A :class:`layerwise.Sequential` with Keras's method arguments and return values.

    Parameters
    ----------
    layers : list or None, default None
        keras.Input, layers of ``layerwise.compat.keras.layers`` (or layerwise's), and trained
        Sequential models; None: add them later with ``add``.
    name : str or None, default None
        The model's name ("sequential").
    trainable : bool, default True
        Keras's argument, accepted and ignored (freeze a layer with its own ``trainable``).
    dtype : str or None, default None
        The floating-point type ("float32" or "float64"); None: the default, float32 unless
        ``layerwise.set_floatx`` changed it.
    """

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
        super().__init__(flat, input_shape=input_shape, name=name or "sequential", seed=next_seed(), dtype=dtype)
        if self.input_shape is not None and any(layer.built for layer in flat):
            self.build()  # wraps a trained model: builds only the new layers

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model ``get_config()`` describes (unbuilt: no weights), of Keras's layer classes.

        Parameters
        ----------
        config : dict
            A model config, as ``get_config()`` returns it.
        custom_objects : dict or None, default None
            Keras's argument, ignored (register custom classes with ``layerwise.register``).

        Returns
        -------
        Sequential
            A new keras.Sequential, not built.
        """
        core = _Sequential.from_config(config)  # checks the config; the core's layer classes
        layers = [KERAS_CLASS.get(type(layer), type(layer)).from_config(layer.get_config()) for layer in core.layers]
        inputs = [Input(core.input_shape)] if core.input_shape is not None else []
        return cls(inputs + layers, name=core.name, dtype=core.dtype)

    def add(self, layer):
        """Append a layer, as Keras's ``add``.

        Parameters
        ----------
        layer : layer, keras.Input or Sequential
            A layer to append; a keras.Input (only before the first layer) sets the input shape;
            a Sequential appends its layers.
        """
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
        """Keras's compile: the optimizer, loss and metrics by Keras's names and defaults.

        With ``from_logits=True`` on an output that already has a softmax or sigmoid, it warns as
        Keras does.

        Parameters
        ----------
        optimizer : str or optimizer, default "rmsprop"
            A name (made with Keras's defaults: ε = 1e-7, ...), a config, or an optimizer object
            (``keras.optimizers.SGD(lr=0.1)``).
        loss : str or loss
            A name ("sparse_categorical_crossentropy", "mse", ...) or loss object. Required.
        loss_weights : None
            Multi-output models are refused (ConfigError).
        metrics, weighted_metrics : str, list of str or None, default None
            Metrics by Keras's names ("accuracy", "sparse_categorical_accuracy", ...); both lists
            are computed (weighted by ``sample_weight`` when fit gives one).
        run_eagerly, steps_per_execution, jit_compile, **kwargs
            Keras's arguments, accepted and ignored.
        """
        if loss_weights is not None:
            refuse("compile(loss_weights=...) (multi-output models)")
        loss_obj = _loss(loss)
        as_list = lambda m: [m] if isinstance(m, str) else list(m or [])  # noqa: E731  (Keras takes one name too)
        metrics = [keras_name("metric", m) for m in as_list(metrics) + as_list(weighted_metrics)]
        super().compile(_optimizer(optimizer), loss_obj, metrics=metrics)
        self._logits_checked = _warn_probabilities_as_logits(self, stacklevel=2)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Keras's fit: train with mini-batches, with Keras's arguments and defaults.

        Parameters
        ----------
        x : array_like of shape (n, features)
            The inputs (an array, a list of rows, a DataFrame or a SciPy sparse matrix;
            generators and datasets are refused).
        y : array_like
            The targets, suited to the loss (integer labels for a sparse loss, one-hot rows, ...).
        batch_size : int or None, default None
            Samples per step; None: 32.
        epochs : int, default 1
            The epoch to stop after (counting from ``initial_epoch``).
        verbose : "auto", 0, 1 or 2, default "auto"
            0 silent, 1 ("auto") a progress bar and a line per epoch, 2 a line per epoch.
        callbacks : list, callback or None, default None
            Callbacks (``keras.callbacks`` or layerwise's).
        validation_split : float, default 0.0
            The last fraction of (x, y) held out for validation, as Keras does.
        validation_data : tuple or None, default None
            (x_val, y_val) or (x_val, y_val, sample_weight).
        shuffle : bool, default True
            Shuffle the training samples every epoch.
        class_weight : dict or None, default None
            {class: weight}, multiplying ``sample_weight``.
        sample_weight : array_like of shape (n,) or None, default None
            A weight per sample; a batch's loss is Σwℓ/Σw.
        initial_epoch : int, default 0
            The epoch to start at (0-based); epochs ``initial_epoch..epochs-1`` run.
        steps_per_epoch, validation_steps : None
            Generator arguments, refused (ConfigError) when given.
        validation_batch_size : int or None, default None
            Accepted and ignored.
        validation_freq : int or list of int, default 1
            Validate after every k-th epoch, or after the listed 1-based epochs.

        Returns
        -------
        History
            Keras's History: ``history`` (per-epoch lists under Keras's keys: loss, metrics,
            val_*), ``epoch``, ``params`` and ``model``; also kept as ``model.history``.
        """
        _check_data("fit", x=x, y=y, validation_data=validation_data)
        if steps_per_epoch is not None or validation_steps is not None:
            refuse("fit(steps_per_epoch/validation_steps) (generators and datasets)", PASS_ARRAYS)
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
        """Keras's evaluate: the loss and the compiled metrics on (x, y).

        Parameters
        ----------
        x : array_like of shape (n, features)
            The inputs (an array, a list of rows, a DataFrame or a SciPy sparse matrix;
            generators and datasets are refused).
        y : array_like
            The targets.
        batch_size : int or None, default None
            Samples per batch; None: 32.
        sample_weight : array_like of shape (n,) or None, default None
            A weight per sample.
        return_dict : bool, default False
            Return a dict {name: value} instead of Keras's scalar or list.
        verbose, steps, callbacks : optional
            Keras's arguments, accepted and ignored.

        Returns
        -------
        float, list of float or dict
            The loss alone when no metrics are compiled; else [loss, metric, ...] in the compiled
            order; a dict with ``return_dict=True``.
        """
        _check_data("evaluate", x=x, y=y)
        res = super().evaluate(x, y, batch_size=32 if batch_size is None else batch_size, sample_weight=sample_weight)
        if return_dict:
            return res
        if len(res) == 1:
            return res["loss"]
        return [res["loss"], *[v for k, v in res.items() if k != "loss"]]

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Keras's predict: the last layer's outputs, in inference mode.

        Parameters
        ----------
        x : array_like of shape (n, features)
            The inputs (an array, a list of rows, a DataFrame or a SciPy sparse matrix;
            generators and datasets are refused).
        batch_size : int or None, default None
            Samples per batch; None: 32.
        verbose, steps, callbacks : optional
            Keras's arguments, accepted and ignored.

        Returns
        -------
        ndarray of shape (n, outputs)
            The outputs (probabilities for a softmax output).
        """
        _check_data("predict", x=x)
        if not self.built and self.input_shape is not None:
            self.build()
        return super().predict(x, batch_size=32 if batch_size is None else batch_size)

    def __call__(self, x, training=False, **kwargs):
        """``model(x)`` on arrays predicts (inference mode); on keras.Input it is the functional API.

        Parameters
        ----------
        x : array_like of shape (n, features)
            The inputs; a keras.Input raises ConfigError (the functional API).
        training : bool, default False
            Keras's argument; the call always runs in inference mode.

        Returns
        -------
        ndarray of shape (n, outputs)
            ``predict(x)``.
        """
        if symbolic(x):
            refuse(FUNCTIONAL, USE_SEQUENTIAL)
        return self.predict(x)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """A layerwise model file (``.lwm``; keras.models.load_model reads it). Keras's ``.keras`` and
        ``.h5`` are refused: the file would carry Keras's name but not Keras's format.

        Parameters
        ----------
        filepath : str or pathlib.Path
            The file to write (``.lwm``); ``keras.models.load_model`` or ``layerwise.load`` reads it.
        overwrite, zipped, **kwargs
            Keras's arguments, accepted and ignored (the file is replaced atomically).
        """
        refuse_keras_model_file(filepath, "model.save")
        super().save(filepath)

    def save_weights(self, filepath, overwrite=True):
        """Keras 3's ``.weights.h5`` layout (needs h5py): real Keras's ``load_weights`` reads it.

        Parameters
        ----------
        filepath : str or pathlib.Path
            The file to write, ending in ``.weights.h5``.
        overwrite : bool, default True
            Keras's argument, accepted.
        """
        keras_weights.save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False):
        """A ``.weights.h5`` file (Keras 3's layout, written by Keras or by ``save_weights``).

        Parameters
        ----------
        filepath : str or pathlib.Path
            The weights file; its layers must match this model's.
        skip_mismatch : bool, default False
            Keras's argument, accepted.
        """
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
