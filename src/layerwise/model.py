"""Sequential: a stack of layers trained by backpropagation.

    model = Sequential([Dense(100, "relu"), Dense(10, "softmax")], input_shape=(784,), seed=0)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=10, validation_split=0.1)
    model.evaluate(x_test, y_test);  model.predict(x_test);  print(model.summary())

One training step (see DESIGN.md): forward (each layer caches what backward needs) →
loss and ∂L/∂output (fused with the output activation where possible) → backward
(each layer fills ``grads``) → optimizer chain (clip → decay → rule) → constraints
(max-norm) → weight averages (EMA) → callbacks.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import checks, registry
from .core import backend
from .core import losses as losses_mod
from .core import metrics as metrics_mod
from .core import state as model_state
from .core.layers import Dense, Layer, check_input_shape, unique_name
from .core.layers import from_config as layer_from_config
from .core.metrics import predicted_labels
from .data.inputs import as_sample_weights
from .errors import ConfigError
from .optim import ema as averaging
from .optim import optimizers as optimizers_mod
from .training import callbacks as callbacks_mod
from .training import inference
from .training import inputs as fit_inputs
from .training.batches import batch_source, check_batch_size, dense_rows
from .training.loop import run_fit
from .training.step import plan_for, train_step
from .training.xla import DEVICES, ENGINES


class Sequential:
    """A linear stack of layers. ``seed`` seeds the one generator used for weight
    initialisation, shuffling and dropout: two CPU runs with the same seed are bit-identical.

    Parameters
    ----------
    layers : iterable of Layer or None, default None
        The layers, input side first, each added in turn (an unnamed layer is named
        ``<class>_<n>``, e.g. ``dense_1``; a repeated name is a ConfigError). None: no layers yet.
    input_shape : tuple of int, int or None, default None
        The shape of one sample, without the batch axis: (784,) for flat 28 × 28 images. None:
        the first layer's ``input_shape`` when it has one, else the shape of the data that
        ``fit`` (or ``build``) first sees.
    name : str, default "sequential"
        The model's name, shown by ``summary`` and saved with the model.
    seed : int, numpy Generator or None, default None
        An integer ≥ 0 seeds the model's generator; a Generator is used as it is. None: fresh
        entropy, so runs differ.
    dtype : str, numpy dtype or None, default None
        "float32" or "float64": the dtype of the weights, and of the data as it meets them.
        None: the default float dtype (``set_floatx``; float32 unless changed).
    """

    # set when the model is built: output_shape by build; the flat buffers and what goes with them
    # by core.state.flatten (collect_params)
    output_shape: tuple[int, ...]
    flat_params: list
    flat_grads: list
    tensor_grads: list
    trainable_refs: list[tuple[Layer, str]]
    first_trainable: int

    def __init__(self, layers: Iterable[Layer] | None = None, input_shape=None, name: str = "sequential",
                 seed: int | None = None, dtype=None):
        self.name = name
        self.layers: list[Layer] = []
        self.seed = backend.check_seed(seed)
        self.rng = backend.make_rng(self.seed)
        self.dtype = backend.check_dtype(dtype if dtype is not None else backend.floatx())
        self.xp = np  # the model's arrays live on the host; the XLA engine moves them for a fit
        self.input_shape = check_input_shape(input_shape) if input_shape is not None else None
        self.built = False
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.loss: losses_mod.Loss | None = None
        self.metrics: list[str] = []
        self.active_metrics: list = []  # the compiled metrics resolved for the last fit's targets
        self.ema: averaging.ExponentialMovingAverage | None = None
        self.stop_training = False
        self.state_owner = object()  # what the optimizer's state is tied to (a deep copy gets its own)
        self.history: callbacks_mod.History | None = None
        self.nonfinite_report: str | None = None  # where training first met a NaN/inf loss, if it did
        self.metadata: dict[str, Any] = {}  # free-form JSON saved with the model (data set, image shape, ...)
        for layer in layers or []:
            self.add(layer)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["xp"] = self.xp.__name__
        state.pop("flat_layout_ids", None)  # layer ids change: re-flatten after unpickling
        return state

    def __setstate__(self, state):
        state["xp"] = np
        self.__dict__.update(state)
        if self.built:
            self.collect_params()

    # -- structure --------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise ConfigError(f"Sequential.add expects a Layer, got {layer!r}")
        if self.built:
            raise ConfigError("cannot add layers to a model that is already built")
        if layer.name is None:
            layer.name = unique_name(layer, {lay.name for lay in self.layers})
        elif layer.name in {lay.name for lay in self.layers}:
            raise ConfigError(f"duplicate layer name {layer.name!r}")
        if not self.layers and self.input_shape is None and layer.input_shape is not None:
            self.input_shape = layer.input_shape
        self.layers.append(layer)

    def build(self, input_shape=None) -> None:
        """Create every layer's parameters, layer by layer, from the input shape (no batch axis).

        Parameters
        ----------
        input_shape : tuple of int, int or None, default None
            The shape of one sample ((784,) for flat MNIST rows). None: the shape the model was
            given (its ``input_shape`` or its first layer's); with none known, a ConfigError.
            Layers already built (copied from another model) must have been built for the shape
            they now receive.
        """
        if input_shape is not None:
            self.input_shape = check_input_shape(input_shape)
        if self.input_shape is None:
            raise ConfigError("the model needs an input shape: pass input_shape=... or call fit/build")
        if not self.layers:
            raise ConfigError("the model has no layers")
        shape = self.input_shape
        for layer in self.layers:
            if not layer.built:
                layer.build(shape, self.rng, self.dtype, self.xp)
                layer.load_initial_weights()  # layers copied from another model (transfer learning)
            elif layer.input_shape is None or tuple(layer.input_shape) != tuple(shape):
                raise ConfigError(f"layer {layer.name!r} was built for inputs {layer.input_shape}, "
                                  f"but receives {shape}")
            assert layer.output_shape is not None  # Layer.build sets it
            shape = layer.output_shape
        self.output_shape = shape
        self.built = True
        self.collect_params()

    def collect_params(self) -> None:
        """Put every trainable parameter (and its gradient) into one flat buffer (see
        ``core.state.flatten``) and bind the optimizer's and the average's state to it by name."""
        model_state.flatten(self)
        for keeper in (self.optimizer, self.ema):  # state by parameter name survives a new layout
            if keeper is not None:
                keeper.bind(model_state.layout(self), self.flat_params[0])

    @property
    def n_outputs(self) -> int:
        return int(np.prod(self.output_shape))

    def count_params(self) -> int:
        """Σ weights + Σ biases (+ BatchNorm's γ, β): the notes' parameter count.

        Returns
        -------
        int
            The number of entries in every layer's parameters, frozen layers included
            (BatchNorm's moving statistics are state, not counted): 784·100 + 100 + 100·10 + 10
            = 79,510 for ``Dense(100)``, ``Dense(10)`` on (784,) inputs.
        """
        return sum(layer.count_params() for layer in self.layers)

    @property
    def depth(self) -> int:
        """Layers with weights: hidden layers + the output layer (the input is not counted)."""
        return sum(1 for layer in self.layers if isinstance(layer, Dense))

    # -- compile ----------------------------------------------------------------------------
    def compile(self, optimizer="sgd", loss="categorical_crossentropy", metrics=None, ema=None) -> None:
        """Choose the optimizer, loss, metrics and (optionally) an EMA of the weights.

        ``optimizer`` and ``loss`` take names ("adam", "mse") or objects (``Adam(1e-3)``);
        ``ema`` takes a decay (e.g. 0.99) or an ExponentialMovingAverage. ``metrics``: names or
        Metric objects; "auto" picks the targets' defaults (accuracy for classes, binary and subset
        accuracy for multi-label rows, MAE and RMSE for regression). Each is checked against the
        targets at fit time: "accuracy" on regression targets is skipped with a warning.

        Parameters
        ----------
        optimizer : str, dict or Optimizer, default "sgd"
            A registered name ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
            "adamw", "adamax", "nadam") with its default hyperparameters, a config dict
            ({"name": "adam", "learning_rate": 3e-4}), or an optimizer object. The object then
            holds this model's state: one that has stepped for another model is refused.
        loss : str, dict or Loss, default "categorical_crossentropy"
            A registered name ("mse", "binary_crossentropy", "sparse_categorical_crossentropy",
            ...), a config dict, or a Loss object.
        metrics : str, list or None, default None
            A name ("accuracy", "f1_macro", "mae", ...), "auto", a Metric object, or a list of
            them. None: only the loss is reported.
        ema : float, bool, dict, ExponentialMovingAverage or None, default None
            An average of the weights that evaluate, predict and save use: a decay in (0, 1),
            True (decay 0.999), a dict of ExponentialMovingAverage's arguments, or the object.
            None or False: no average.
        """
        self.optimizer = optimizers_mod.get(optimizer)
        self.optimizer.claim(self.state_owner)
        self.loss = losses_mod.get(loss)
        self.metrics = metrics_mod.compiled_names(metrics)
        self.ema = averaging.get(ema)
        fit_inputs.check_output_layer(self)
        if self.built:
            self.collect_params()

    def require_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise ConfigError("call model.compile(optimizer=..., loss=...) before fit/evaluate")

    # -- forward / backward -------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out, fused: bool = False, all_layers: bool = False) -> None:
        """Propagate ∂L/∂output down the stack, filling each layer's ``grads``.

        With ``fused=True`` ``grad_out`` is already δ = ∂L/∂z of the output layer. Backward stops
        at the lowest trainable layer; ``all_layers=True`` goes down to the first layer, frozen
        ones included (gradient checks, the book's ``backprop``).

        Parameters
        ----------
        grad_out : array of shape (n, k)
            ∂L/∂a of the last layer's output for the batch of the last forward pass (rows =
            samples, k outputs), or δ = ∂L/∂z with ``fused=True``.
        fused : bool, default False
            True: ``grad_out`` is δ of the output layer (the loss computed it with the output
            activation, as softmax + cross-entropy's (a − y)/n), so that layer starts from
            ``backward_from_z``.
        all_layers : bool, default False
            True: fill the gradients of every layer, frozen ones included. False: stop at the
            lowest trainable layer (nothing below it needs ∂L/∂x).
        """
        layers = self.layers
        stop = 0 if all_layers else self.first_trainable
        dy = grad_out
        for i in range(len(layers) - 1, stop - 1, -1):  # BP2 down the stack; ∂L/∂x only above ``stop``
            if fused and i == len(layers) - 1:
                dy = layers[i].backward_from_z(dy, i > stop)
            else:
                dy = layers[i].backward(dy, i > stop)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def train_on_batch(self, x, y) -> float:
        """One training step on one batch (Keras's ``train_on_batch``): checks the arrays, runs the
        step (forward, loss, backward, update, constraints, EMA) and returns the batch's loss.

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The batch's inputs, rows = samples, in any form ``fit`` takes. An unbuilt model is
            built for their sample shape.
        y : array_like of shape (n, k) or (n,)
            The batch's targets, suited to the loss (one-hot rows, or integer labels for the
            categorical losses).

        Returns
        -------
        float
            The batch's loss before the update (regularisation terms included).
        """
        self.require_compiled()
        self.optimizer.claim(self.state_owner)  # type: ignore[union-attr]
        xa, ya, labels = self.prepare(x, y, fitting=True)
        self.active_metrics = inference.metrics_for(self, ya, labels)
        self.collect_params()
        if self.ema is not None:
            self.ema.start(self.flat_params)
        return train_step(self, plan_for(self), self.xp.asarray(dense_rows(xa, slice(None))),
                          self.xp.asarray(ya)).logs["loss"]

    # -- fit ----------------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str] | None:
        """The column names of the DataFrame the model was fitted on (scikit-learn's
        ``feature_names_in_``), or None; saved with the model, checked at predict and evaluate."""
        names = self.metadata.get("feature_names")
        return list(names) if names is not None else None

    def prepare(self, x, y, name="x", fitting: bool = False):
        """Checked (x, y, labels) for this model and its loss (training/inputs.py)."""
        return fit_inputs.prepare(self, x, y, name, fitting)

    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            callbacks: list | None = None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, initial_epoch: int = 0, checkpoint=None,
            checkpoint_every: int | None = None, resume: bool = False, sample_weight=None,
            class_weight: dict | None = None, validation_freq=1, engine: str | None = None,
            device: str | None = None) -> callbacks_mod.History:
        """Train with mini-batches: ``batch_size=len(x)`` is batch gradient descent, 1 is online.

        Returns the History (per-epoch loss, metrics, val_* and lr). verbose: 0 silent,
        1 progress bar and a line per epoch, 2 a line per epoch.

        ``checkpoint``: a path written (atomically) at the end of every epoch and, with
        ``checkpoint_every=k``, after every k steps. ``resume=True`` continues from that file
        when it exists — weights, optimizer, schedule step, RNG, callbacks and position — so
        the run ends exactly (bit-identically on the CPU) where an uninterrupted one would.
        Call it with the same data, arguments and callbacks as the interrupted run.

        ``sample_weight`` (n,) and ``class_weight`` ({class: weight}; the two multiply) weigh the loss
        and the metrics: a batch's loss is Σwᵢℓᵢ/Σwᵢ (as scikit-learn's; Keras divides by the batch
        size), so weight 0 is leaving a sample out and weight 2 repeating it (exactly, for full-batch
        descent). ``validation_data`` may be (x, y, sample_weight).

        ``x``: an array, a list of rows, a DataFrame (its column names are saved with the model and
        checked at predict and evaluate) or a SciPy sparse matrix (densified per batch); ``y`` must
        suit the loss (training/inputs.py checks both). ``initial_epoch`` counts from 0 as Keras's:
        epochs ``initial_epoch..epochs-1`` run. ``validation_freq`` (Keras's): validate after every
        k-th epoch, or after the listed 1-based epochs. At ``verbose=0`` the first non-finite loss of
        a fit raises a RuntimeWarning naming the epoch and step.

        ``engine``: "numpy" runs every step eagerly (the reference); "xla" traces the same step into
        one compiled program per epoch (JAX; equal to NumPy to rounding; a fit it cannot run goes on
        NumPy with a one-line warning saying why); "auto" picks XLA for models of at least
        ``training.xla.MIN_PARAMS`` (20,000) parameters when JAX is installed
        and the fit allows it; None (the default): the ``LAYERWISE_ENGINE`` setting, "auto" unless set.
        ``device`` (the XLA engine's): "auto"/None (JAX's default device, its GPU when it has one), "cpu",
        or "gpu"/"cuda" (JAX's CUDA GPU: the fit runs on the XLA engine, or stops saying why).

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The training inputs, rows = samples: an array, a list of rows, a DataFrame or a SciPy
            sparse matrix. An unbuilt model is built for their sample shape.
        y : array_like of shape (n, k) or (n,)
            The targets, suited to the loss: one-hot or real-valued rows, or integer labels for
            the categorical losses.
        batch_size : int, default 32
            Samples per step; the last batch of an epoch may be smaller.
        epochs : int, default 1
            The index of the epoch to stop before (Keras's convention): with ``initial_epoch=0``,
            the number of epochs.
        verbose : int, default 1
            0 silent, 1 a progress bar and a line per epoch, 2 a line per epoch.
        callbacks : Callback, list of Callback or None, default None
            Called at the start and end of training, of each epoch and of each batch.
        validation_split : float, default 0.0
            The fraction in [0, 1) of the rows held out for validation: the last ones, before
            any shuffling (Keras's rule). Ignored when ``validation_data`` is given.
        validation_data : tuple or None, default None
            (x_val, y_val) or (x_val, y_val, sample_weight_val), reported as val_* after each
            validated epoch.
        shuffle : bool, default True
            Shuffle the training rows at the start of every epoch (with the model's generator).
        initial_epoch : int, default 0
            The epoch to start at (0-based), to continue an earlier fit.
        checkpoint : str, path or None, default None
            A file written atomically at the end of every epoch, from which ``resume`` continues.
        checkpoint_every : int or None, default None
            Also write ``checkpoint`` after every k steps. Needs ``checkpoint``.
        resume : bool, default False
            Continue from ``checkpoint`` when the file exists (else start afresh). Needs
            ``checkpoint``.
        sample_weight : array_like of shape (n,) or None, default None
            A weight ≥ 0 per training sample, for the loss and the metrics.
        class_weight : dict or None, default None
            {class: weight}, multiplying each sample's weight by its class's (classification
            targets only).
        validation_freq : int or list of int, default 1
            Validate after every k-th epoch, or after the listed epochs (1-based).
        engine : str or None, default None
            "numpy", "xla" or "auto"; None: the ``LAYERWISE_ENGINE`` setting ("auto" unless set).
        device : str or None, default None
            "auto", "cpu", "gpu" or "cuda", for the XLA engine; None is "auto".

        Returns
        -------
        History
            The per-epoch logs: ``history.history["loss"]``, the metrics, val_* and lr, one value
            per epoch run (also kept as ``model.history``).
        """
        self.require_compiled()
        self.optimizer.claim(self.state_owner)  # type: ignore[union-attr]
        check_batch_size(batch_size)
        fit_inputs.check_fit_arguments(epochs, checkpoint, checkpoint_every, resume, validation_split, initial_epoch,
                                       validation_freq)
        callbacks = callbacks_mod.as_callbacks(callbacks)
        (x, y, labels, weights), val = fit_inputs.split(self, x, y, validation_split, validation_data,
                                                         sample_weight, class_weight)
        self.active_metrics = inference.metrics_for(self, y, labels)
        self.collect_params()
        if self.ema is not None:
            self.ema.start(self.flat_params)
        self.history, self.stop_training, self.nonfinite_report = callbacks_mod.History(), False, None
        cbs = callbacks_mod.CallbackList([self.history, *callbacks], verbose=verbose)
        cbs.set_model(self)
        validate = (lambda: inference.evaluate(self, *val, metrics=self.active_metrics)) if val is not None else None
        run_fit(self, batch_source(x, y, labels, batch_size, self.xp, weights=weights), cbs, epochs,
                initial_epoch, checkpoint, checkpoint_every, resume, validate, shuffle, warn_nonfinite=not verbose,
                validation_freq=validation_freq,
                engine=None if engine is None else checks.check("engine", engine, ENGINES),
                device=None if device is None else checks.check("device", device, DEVICES))
        return self.history

    def evaluate(self, x, y, batch_size: int = 1024, sample_weight=None) -> dict[str, float]:
        """Loss (including regularisation terms) and the compiled metrics on (x, y), weighted by
        ``sample_weight`` when given (the loss as Σwᵢℓᵢ/Σwᵢ, as in ``fit``).

        Uses the averaged weights when the model was compiled with ``ema``.

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The inputs, rows = samples, in any form ``fit`` takes.
        y : array_like of shape (n, k) or (n,)
            The targets, as for ``fit``.
        batch_size : int, default 1024
            Rows per forward pass (memory only: the results do not depend on it beyond rounding).
        sample_weight : array_like of shape (n,) or None, default None
            A weight ≥ 0 per sample. None: every sample counts alike.

        Returns
        -------
        dict of str to float
            ``{"loss": L, <metric>: value, ...}``, with the compiled metrics under their names
            ("accuracy", "f1_macro", ...).
        """
        self.require_compiled()
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before evaluate")
        xa, ya, labels = self.prepare(x, y)
        weights = as_sample_weights(sample_weight, int(xa.shape[0]))
        return inference.evaluate(self, xa, ya, labels, weights, check_batch_size(batch_size))

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """Outputs of the last layer (inference mode, in batches), as a NumPy array. ``x`` as in
        ``fit`` (a DataFrame's columns are checked against those the model was fitted with).

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The inputs, rows = samples. The model must be built (fitted, loaded or ``build`` called).
        batch_size : int, default 1024
            Rows per forward pass (memory only).

        Returns
        -------
        ndarray of shape (n, k)
            The output layer's activations a, one row per sample (the averaged weights' when the
            model was compiled with ``ema``), in the model's dtype.
        """
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before predict")
        return inference.outputs(self, fit_inputs.features(self, x)[0], check_batch_size(batch_size))

    def predict_proba(self, x, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities: the softmax/sigmoid outputs (a single sigmoid output gives two columns).

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The inputs, rows = samples, as for ``predict``.
        batch_size : int, default 1024
            Rows per forward pass (memory only).

        Returns
        -------
        ndarray of shape (n, k), or (n, 2) for one output
            ``predict(x)``; for a single output p, the columns 1 − p and p (scikit-learn's
            ``predict_proba`` for two classes).
        """
        p = self.predict(x, batch_size)
        return np.hstack([1.0 - p, p]) if p.shape[1] == 1 else p

    def predict_classes(self, x, batch_size: int = 1024) -> np.ndarray:
        return predicted_labels(self.predict(x, batch_size))

    def find_lr(self, x, y, **kwargs):
        """The learning-rate finder (see diagnostics.find_lr): sweep the rate, return the threshold,
        about half of it as the suggestion, and the steepest point; the model is left unchanged.

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The training inputs, rows = samples.
        y : array_like of shape (n, k) or (n,)
            The training targets, as for ``fit``.
        **kwargs
            The sweep's settings: ``start_lr`` (1e-5), ``end_lr`` (10.0), ``steps`` (100),
            ``batch_size`` (32), ``smoothing`` (0.9) and ``diverge`` (4.0); see
            ``layerwise.training.lr_finder.find_lr``.

        Returns
        -------
        LRFinderResult
            The rates tried, the smoothed losses, ``threshold``, ``suggestion`` and ``steepest``
            (NaN, with a ``note`` saying why, when the loss did not fall), and ``plot(path)``.
        """
        from .training.lr_finder import find_lr
        return find_lr(self, x, y, **kwargs)

    # -- transfer learning ----------------------------------------------------------------------
    def copy_layers(self, upto: int, trainable: bool = False) -> list[Layer]:
        """Fresh copies of the first ``upto`` layers with their trained weights (and BatchNorm
        statistics), for a new model: ``Sequential([*base.copy_layers(2), Dense(5, "softmax")])``.
        ``trainable=False`` freezes them (their weights stay exactly as copied; frozen BatchNorm
        runs in inference mode, as in Keras).

        Parameters
        ----------
        upto : int
            How many layers to copy, from the input side: 1 to the number of layers.
        trainable : bool, default False
            Whether the copies train in the new model.

        Returns
        -------
        list of Layer
            New, unbuilt layers of the same configuration (without ``input_shape``), which take
            these weights when the new model builds them; a shape that no longer fits is a
            ConfigError then.
        """
        copies = []
        for layer in self.layers[:self._upto(upto, "copy_layers")]:
            cfg = layer.get_config()
            cfg["trainable"] = bool(trainable)
            cfg.pop("input_shape", None)
            copies.append(layer_from_config(cfg).start_from(
                {k: backend.to_numpy(v) for k, v in layer.params.items()},
                {k: backend.to_numpy(v) for k, v in layer.state.items()}))
        return copies

    def features(self, x, upto: int, batch_size: int = 1024) -> np.ndarray:
        """The output of layer ``upto`` (1-based; inference mode) for inputs x: hidden features
        to feed another learner, e.g. a scikit-learn SVM.

        Parameters
        ----------
        x : array_like of shape (n, ...)
            The inputs, rows = samples, as for ``predict``. The model must be built.
        upto : int
            The layer whose output is returned, 1 (the first) to the number of layers (the
            output layer: the same as ``predict``).
        batch_size : int, default 1024
            Rows per forward pass (memory only).

        Returns
        -------
        ndarray of shape (n, units of layer upto)
            The activations of that layer, one row per sample.
        """
        upto = self._upto(upto, "features")
        return inference.outputs(self, fit_inputs.features(self, x)[0], check_batch_size(batch_size), upto)

    def _upto(self, upto, what: str) -> int:
        if not self.built:
            raise ConfigError(f"{what} needs a built (trained or loaded) model")
        if isinstance(upto, bool) or not isinstance(upto, (int, np.integer)) or not 1 <= upto <= len(self.layers):
            raise ConfigError(f"upto must be an integer in 1..{len(self.layers)}, got {upto!r}")
        return int(upto)

    # -- weights and config --------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Keras's convention: per layer, its parameters then its non-trainable state (BatchNorm's
        moving mean and variance), in layer order, as NumPy copies.

        Returns
        -------
        list of ndarray
            The trained weights (not the EMA averages): for a Dense layer its kernel (n_in, units)
            then its bias (units,); changing them does not change the model.
        """
        return model_state.weights(self)

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """The inverse of get_weights (same count, order and shapes).

        Parameters
        ----------
        weights : list of array_like
            The arrays in ``get_weights``'s order, each of the shape it has there, finite; they
            are copied into the model (cast to its dtype). An unbuilt model is built first (it
            needs its input shape).
        """
        if not self.built:
            self.build()
        model_state.set_weights(self, weights)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "input_shape": list(self.input_shape) if self.input_shape else None,
                "dtype": str(self.dtype), "layers": [layer.get_config() for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: int | None = None) -> Sequential:
        """The model ``get_config()`` describes (unbuilt: no weights), seeded with ``seed``.

        Parameters
        ----------
        config : dict
            ``get_config()``'s output: ``name``, ``input_shape``, ``dtype`` and ``layers`` (a list
            of layer configs, each with its ``class_name``; a layer registered with
            ``layerwise.register`` rebuilds like the built-in ones).
        seed : int, numpy Generator or None, default None
            The new model's seed, as for the constructor.

        Returns
        -------
        Sequential
            A new model with fresh weights when built (to copy weights too, use ``set_weights``,
            or ``save`` and ``layerwise.load``).
        """
        if not isinstance(config, dict):
            raise ConfigError(f"Sequential.from_config expects a config dict (as model.get_config() returns), "
                              f"got {type(config).__name__} {config!r:.80}")
        if not isinstance(config.get("layers", []), (list, tuple)):
            raise ConfigError(f"the config's 'layers' must be a list of layer configs, got {config['layers']!r:.80}")
        layers = [layer_from_config(c) for c in config.get("layers", [])]
        return cls(layers, input_shape=config.get("input_shape"), name=config.get("name", "sequential"),
                   seed=seed, dtype=config.get("dtype"))

    def save(self, path) -> None:
        """Write the model (architecture + weights) to a safetensors file, atomically.

        Parameters
        ----------
        path : str or path
            The file to write (conventionally ``.lwm``; ``layerwise.load`` reads it back). It holds
            the architecture, the weights, BatchNorm's statistics and the EMA averages. An unbuilt
            model is built first; a model holding NaN or inf is refused with TrainingError.
        """
        from .formats.model_file import save_model
        save_model(self, path)

    # -- summary ------------------------------------------------------------------------------
    def summary(self, print_fn=None) -> str:
        """A table of layers, output shapes and parameter counts; returns it and prints it
        (to ``print_fn`` if given, else with rich).

        Parameters
        ----------
        print_fn : callable or None, default None
            Called with the table's text. None: Python's ``print``.

        Returns
        -------
        str
            The table (drawn with rich): each layer's name and type, output shape and parameter
            count, then the totals. An unbuilt model without an input shape shows "?" for shapes.
        """
        from .formats.summary import summary_text
        if not self.built and self.input_shape is not None:
            self.build()
        text = summary_text(self)
        (print_fn or print)(text)
        return text


registry.register("model", Sequential)


registry.declare_base("model", Sequential)
