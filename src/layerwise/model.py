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

import io
from typing import Any, Iterable

import numpy as np

from . import registry
from .core import backend, losses as losses_mod, metrics as metrics_mod, state as model_state
from .core.layers import Dense, Layer, check_input_shape, from_config as layer_from_config
from .core.metrics import predicted_labels
from .data.inputs import (as_features, as_sample_weights, as_targets, check_feature_names, feature_names_of,
                          target_task)
from .errors import ConfigError, DataError
from .optim import ema as averaging, optimizers as optimizers_mod
from .training import callbacks as callbacks_mod, checkpoint as checkpoint_mod
from .training.batches import batch_source, dense_rows, inference_batches
from .training.loop import Loop
from .training.state import EpochSums, FitState
from .training.step import plan_for, train_step


def _check_seed(seed):
    """None, an integer >= 0 (Python or NumPy) or a NumPy Generator; anything else is a ConfigError."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be None or an integer >= 0, got {type(seed).__name__} {seed!r}")
    return int(seed)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Sequential:
    """A linear stack of layers. ``seed`` seeds the one generator used for weight
    initialisation, shuffling and dropout: two CPU runs with the same seed are bit-identical.
    """

    def __init__(self, layers: Iterable[Layer] | None = None, input_shape=None, name: str = "sequential",
                 seed: int | None = None, dtype=None, backend_name: str | None = None):
        self.name = name
        self.layers: list[Layer] = []
        self.seed = _check_seed(seed)
        self.rng = backend.make_rng(self.seed)
        self.dtype = backend.check_dtype(dtype if dtype is not None else backend.floatx())
        self.backend_name = backend_name or backend.get_backend()
        self.xp = backend.get_array_module(self.backend_name)
        self.input_shape = check_input_shape(input_shape) if input_shape is not None else None
        self.built = False
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.loss: losses_mod.Loss | None = None
        self.metrics: list[str] = []
        self.active_metrics: list = []  # the compiled metrics resolved for the last fit's targets
        self.ema: averaging.ExponentialMovingAverage | None = None
        self.stop_training = False
        self.history: callbacks_mod.History | None = None
        self.nonfinite_report: str | None = None  # where training first met a NaN/inf loss, if it did
        self.metadata: dict[str, Any] = {}  # free-form JSON saved with the model (data set, image shape, ...)
        for layer in layers or []:
            self.add(layer)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["xp"] = self.xp.__name__
        state.pop("_flat_layout", None)  # layer ids change: re-flatten after unpickling
        return state

    def __setstate__(self, state):
        state["xp"] = backend.get_array_module("cupy" if state["xp"] == "cupy" else "numpy")
        self.__dict__.update(state)
        if self.built:
            self._flat_layout = None
            self.collect_params()

    # -- structure --------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise ConfigError(f"Sequential.add expects a Layer, got {layer!r}")
        if self.built:
            raise ConfigError("cannot add layers to a model that is already built")
        if layer.name is None:
            base = _snake(type(layer).__name__)
            taken = {lay.name for lay in self.layers}
            i = 1
            while f"{base}_{i}" in taken:
                i += 1
            layer.name = f"{base}_{i}"
        elif layer.name in {lay.name for lay in self.layers}:
            raise ConfigError(f"duplicate layer name {layer.name!r}")
        if not self.layers and self.input_shape is None and layer.input_shape is not None:
            self.input_shape = layer.input_shape
        self.layers.append(layer)

    def build(self, input_shape=None) -> None:
        """Create every layer's parameters, layer by layer, from the input shape (no batch axis)."""
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
                pending = layer.__dict__.pop("_pending_weights", None)
                if pending is not None:  # layers copied from another model (transfer learning)
                    for store_name, key, value in pending:
                        store = getattr(layer, store_name)
                        if tuple(value.shape) != tuple(store[key].shape):
                            raise ConfigError(f"copied layer {layer.name!r}: {key} has shape {value.shape} but "
                                              f"here it needs {tuple(store[key].shape)} (input {shape})")
                        store[key][...] = self.xp.asarray(value, dtype=self.dtype)
            elif tuple(layer.input_shape) != tuple(shape):
                raise ConfigError(f"layer {layer.name!r} was built for inputs {layer.input_shape}, "
                                  f"but receives {shape}")
            shape = layer.output_shape
        self.output_shape = shape
        self.built = True
        self.collect_params()

    def collect_params(self) -> None:
        """Put every trainable parameter (and its gradient) into one contiguous buffer.

        Each layer's ``params[key]``/``grads[key]`` become views into the flat arrays P and G, so
        the optimizer and the weight average treat all weights as one array: one update per step
        instead of one per tensor. ``flat_params``/``flat_grads`` are [P]/[G]; ``tensor_grads``
        keeps the per-tensor views (for per-tensor clipping); ``trainable_refs`` the (layer, key)
        of each, in order; ``first_trainable`` the lowest layer backward must reach.
        """
        refs = [(layer, key) for layer in self.layers if layer.trainable for key in layer.params]
        layout = tuple((id(layer), key, tuple(layer.params[key].shape)) for layer, key in refs)
        if getattr(self, "_flat_layout", None) != layout:
            xp = self.xp
            total = sum(int(np.prod(layer.params[key].shape)) for layer, key in refs)
            flat_p = xp.empty(total, dtype=self.dtype)
            flat_g = xp.zeros(total, dtype=self.dtype)
            offset = 0
            for layer, key in refs:
                p = layer.params[key]
                n = int(np.prod(p.shape))
                flat_p[offset:offset + n] = p.reshape(-1)
                layer.params[key] = flat_p[offset:offset + n].reshape(p.shape)
                layer.grads[key] = flat_g[offset:offset + n].reshape(p.shape)
                offset += n
            self._flat_layout = layout
            self.flat_params, self.flat_grads = [flat_p], [flat_g]
        names = tuple((f"{layer.name}/{key}", tuple(layer.params[key].shape)) for layer, key in refs)
        for keeper in (self.optimizer, self.ema):  # state by parameter name survives a new layout
            if keeper is not None:
                keeper.bind(names, self.flat_params[0])
        self.trainable_refs = refs
        self.tensor_grads = [layer.grads[key] for layer, key in refs]
        # the lowest layer whose input gradient is needed: nothing below a frozen prefix
        first = next((i for i, lay in enumerate(self.layers) if lay.trainable and lay.params), len(self.layers))
        self.first_trainable = first

    @property
    def n_outputs(self) -> int:
        return int(np.prod(self.output_shape))

    def count_params(self) -> int:
        """Σ weights + Σ biases (+ BatchNorm's γ, β): the notes' parameter count."""
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
        """
        self.optimizer = optimizers_mod.get(optimizer)
        self.loss = losses_mod.get(loss)
        if isinstance(metrics, str):
            metrics = [metrics]
        self.metrics = ["auto" if m == "auto" else metrics_mod.get(m).name if not isinstance(m, metrics_mod.Metric)
                        else _register_metric(m) for m in (metrics or [])]
        self.ema = averaging.get(ema)
        self._check_output_layer()
        if self.built:
            self.collect_params()

    def _check_output_layer(self) -> None:
        """A softmax over one unit always outputs 1 (nothing to learn): refused, suggesting sigmoid.
        Checked at compile when the output size is known, else at fit once the model is built."""
        act = getattr(getattr(self.layers[-1], "activation", None), "name", None) if self.layers else None
        if act != "softmax":
            return
        units = self.n_outputs if self.built else getattr(self.layers[-1], "units", None)
        if units == 1:
            raise ConfigError(f"the output layer {self.layers[-1].name!r} is a softmax over 1 unit, which always "
                              "outputs 1.0, so the model cannot learn; for two classes use Dense(1, 'sigmoid') with "
                              "binary_crossentropy, or Dense(2, 'softmax') with categorical_crossentropy")

    def _require_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise ConfigError("call model.compile(optimizer=..., loss=...) before fit/evaluate")

    # -- forward / backward -------------------------------------------------------------------
    def forward(self, x, training: bool = False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out, fused: bool = False) -> None:
        """Propagate ∂L/∂output down the stack, filling each layer's ``grads``.

        With ``fused=True`` ``grad_out`` is already δ = ∂L/∂z of the output layer.
        """
        layers = self.layers
        stop = self.first_trainable
        dy = grad_out
        for i in range(len(layers) - 1, stop - 1, -1):
            layer = layers[i]
            need = i > stop
            if fused and i == len(layers) - 1:
                dy = layer.backward_from_z(dy, need)
            else:
                dy = layer.backward(dy, need)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def train_on_batch(self, x, y) -> float:
        """One training step on one batch (Keras's ``train_on_batch``): checks the arrays, runs the
        step (forward, loss, backward, update, constraints, EMA) and returns the batch's loss."""
        self._require_compiled()
        xa, ya, labels = self._prepare(x, y, fitting=True)
        self.active_metrics = self._metrics_for(ya, labels)
        self.collect_params()
        if self.ema is not None:
            self.ema.start(self.flat_params)
        return train_step(self, plan_for(self, sync=True), self.xp.asarray(dense_rows(xa, slice(None))),
                          self.xp.asarray(ya)).logs["loss"]

    # -- fit ----------------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str] | None:
        """The column names of the DataFrame the model was fitted on (scikit-learn's
        ``feature_names_in_``), or None; saved with the model, checked at predict and evaluate."""
        names = self.metadata.get("feature_names")
        return list(names) if names is not None else None

    def _features(self, x, name: str = "x", fitting: bool = False):
        """(x checked, its column names): as_features (a SciPy sparse matrix stays sparse), the
        names checked against those the model was fitted with (scikit-learn's rules) unless this
        is a fit of a model that has none; an unbuilt model is built for x's sample shape."""
        names = feature_names_of(x)
        if not (fitting and self.feature_names is None):
            check_feature_names(self.feature_names, names, name)
        if not self.built:
            xa = as_features(x, name, None, self.dtype, sparse_ok=True)
            self.build(tuple(xa.shape[1:]))
        else:
            xa = as_features(x, name, self.input_shape, self.dtype, sparse_ok=True)
        self._check_output_layer()
        return xa, names

    def _prepare(self, x, y, name="x", fitting: bool = False):
        """Checked (x, y, labels); a fit from a DataFrame records its column names."""
        xa, names = self._features(x, name, fitting)
        sparse_ok = self.loss.accepts_sparse if self.loss is not None else True
        ya, labels = as_targets(y, xa.shape[0], self.n_outputs, sparse_ok, self.dtype,
                                "y" if name == "x" else f"y of {name}", loss=self.loss)
        if fitting and names is not None and self.feature_names is None:
            self.metadata["feature_names"] = list(names)
        return xa, ya, labels

    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            callbacks: list | None = None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, initial_epoch: int = 0, checkpoint=None,
            checkpoint_every: int | None = None, resume: bool = False, sample_weight=None,
            class_weight: dict | None = None) -> "callbacks_mod.History":
        """Train with mini-batches: ``batch_size=len(x)`` is batch gradient descent, 1 is online.

        Returns the History (per-epoch loss, metrics, val_* and lr). verbose: 0 silent,
        1 progress bar and a line per epoch, 2 a line per epoch.

        ``checkpoint``: a path written (atomically) at the end of every epoch and, with
        ``checkpoint_every=k``, after every k steps. ``resume=True`` continues from that file
        when it exists — weights, optimizer, schedule step, RNG, callbacks and position — so
        the run ends exactly (bit-identically on the CPU) where an uninterrupted one would.
        Call it with the same data, arguments and callbacks as the interrupted run.

        ``sample_weight`` (n,) and ``class_weight`` ({class: weight}, Keras's; the two multiply)
        weigh the loss and the metrics: a batch's loss is Σwᵢℓᵢ/Σwᵢ, normalised by the sum of its
        weights (as scikit-learn's estimators; Keras divides by the batch size), so a weight of 0
        is the same as leaving the sample out and a weight of 2 the same as repeating it (exactly,
        for full-batch gradient descent). ``validation_data`` may be (x, y, sample_weight).
        ``class_weight`` keys must be classes of the model (0..outputs-1; 0 and 1 for one sigmoid).

        ``x``: a NumPy array, a list of rows, a pandas DataFrame (its column names are remembered,
        saved with the model and checked at predict and evaluate, as scikit-learn does) or a SciPy
        sparse matrix (densified one batch at a time; the fit equals the dense fit bit for bit).
        Values must be finite in the model's dtype. ``y`` must suit the loss: binary_crossentropy
        takes labels in {0, 1} or probabilities in [0, 1], the hinges {0, 1} or {-1, 1}.
        ``callbacks``: a Callback or a list of them. ``initial_epoch`` counts from 0 as Keras's:
        training runs epochs ``initial_epoch..epochs-1``, so ``initial_epoch == epochs`` trains
        nothing (as in Keras) and ``initial_epoch > epochs`` is refused. At ``verbose=0`` the first
        non-finite loss of a fit raises a RuntimeWarning naming the epoch and step.
        """
        self._check_fit_arguments(batch_size, epochs, checkpoint, checkpoint_every, resume, validation_split,
                                  initial_epoch)
        callbacks = callbacks_mod.as_callbacks(callbacks)
        (x, y, labels, weights), val = self._split(x, y, validation_split, validation_data, sample_weight,
                                                    class_weight)
        self.active_metrics = self._metrics_for(y, labels)
        self.collect_params()
        if self.ema is not None:
            self.ema.start(self.flat_params)
        history = callbacks_mod.History()
        cbs = callbacks_mod.CallbackList([history, *callbacks], verbose=verbose)
        cbs.set_model(self)
        self.history, self.stop_training, self.nonfinite_report = history, False, None
        batches = batch_source(x, y, labels, batch_size, self.xp, weights=weights)
        state = FitState(n_train=batches.n, batch_size=batches.batch_size, epoch=initial_epoch)
        if resume:
            state = checkpoint_mod.resume(checkpoint, self, cbs.callbacks, batches.n, batches.batch_size) or state
            self.stop_training = state.stopped
        loop = Loop(self, plan_for(self, cbs.callbacks), batches, cbs,
                    checkpoint_mod.CheckpointSaver(checkpoint, self, cbs.callbacks, checkpoint_every),
                    validate=(lambda: self._evaluate_prepared(*val, metrics=self.active_metrics)) if val is not None else None, shuffle=shuffle,
                    warn_nonfinite=not verbose)
        cbs.on_train_begin({"params": {"epochs": epochs, "steps": batches.steps, "samples": batches.n,
                                       "batch_size": batches.batch_size}})
        try:
            loop.run(state, epochs)
        finally:
            batches.close()
            cbs.on_train_end({})
        return history

    def _check_fit_arguments(self, batch_size, epochs, checkpoint, checkpoint_every, resume, validation_split,
                             initial_epoch=0):
        self._require_compiled()
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ConfigError(f"epochs must be an integer >= 0, got {epochs!r}")
        if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or
                                             not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1):
            raise ConfigError(f"checkpoint_every must be a positive number of steps, got {checkpoint_every!r}")
        if (resume or checkpoint_every) and checkpoint is None:
            raise ConfigError("resume and checkpoint_every need checkpoint=PATH")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ConfigError(f"validation_split must be in [0, 1), got {validation_split}")
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)) or initial_epoch < 0:
            raise ConfigError(f"initial_epoch must be an integer >= 0, got {initial_epoch!r}")
        if initial_epoch > epochs:
            raise ConfigError(f"initial_epoch={initial_epoch} is beyond epochs={epochs}: epochs is the index of the "
                              f"last epoch, not a count (Keras's convention), so to train {epochs} more epochs pass "
                              f"epochs={initial_epoch + epochs}")

    def _split(self, x, y, validation_split, validation_data, sample_weight=None, class_weight=None):
        """Checked training arrays (x, y, labels, weights) and the validation 4-tuple (or None)."""
        x, y, labels = self._prepare(x, y, fitting=True)
        n = int(x.shape[0])
        weights = as_sample_weights(sample_weight, n, labels, class_weight,
                                    n_classes=max(self.n_outputs, 2) if labels is not None else None)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ConfigError("validation_data must be a pair (x_val, y_val) or a triple (x_val, y_val, sample_weight)")
            vx, vy, vl = self._prepare(validation_data[0], validation_data[1], "validation x")
            vw = as_sample_weights(validation_data[2], int(vx.shape[0]), name="validation sample_weight") \
                if len(validation_data) == 3 else None
            return (x, y, labels, weights), (vx, vy, vl, vw)
        if not validation_split:
            return (x, y, labels, weights), None
        n_val = int(round(n * float(validation_split)))
        if n_val < 1 or n_val >= n:
            raise DataError(f"validation_split={validation_split} leaves {n_val} validation samples out of {n}")
        # the last samples, before shuffling (Keras's convention)
        cut = lambda a, part: None if a is None else (a[:-n_val] if part == 0 else a[-n_val:])  # noqa: E731
        return tuple(cut(a, 0) for a in (x, y, labels, weights)), tuple(cut(a, 1) for a in (x, y, labels, weights))

    # -- evaluate / predict --------------------------------------------------------------------
    def _metrics_for(self, y, labels) -> list:
        """The compiled metrics resolved for these targets (see ``metrics.for_task``)."""
        task = target_task(y, labels, self.n_outputs)
        sparse = labels is not None and getattr(y, "ndim", 2) == 1
        return metrics_mod.for_task(self.metrics, task, self.n_outputs, sparse)

    def _evaluate_prepared(self, x, y, labels, weights=None, batch_size: int = 1024, metrics=None) -> dict[str, float]:
        xp = self.xp
        metrics = self._metrics_for(y, labels) if metrics is None else metrics
        sums = EpochSums(xp, metrics)
        with model_state.averaged(self):
            for sl, xb in inference_batches(x, batch_size):
                out = self.forward(xp.asarray(xb), training=False)
                yb = xp.asarray(y[sl])
                wb = None if weights is None else xp.asarray(weights[sl])
                loss = self.loss.value(out, yb) if wb is None else \
                    float((backend.to_numpy(self.loss.per_sample(out, yb)) * backend.to_numpy(wb)).sum() / max(float(wb.sum()), 1e-300))
                sums.add(loss, sl.stop - sl.start, out, yb, None if labels is None else xp.asarray(labels[sl]), wb)
            reg = self.regularization_loss()
        logs = sums.epoch_logs()
        logs["loss"] += reg
        return logs

    def evaluate(self, x, y, batch_size: int = 1024, sample_weight=None) -> dict[str, float]:
        """Loss (including regularisation terms) and the compiled metrics on (x, y), weighted by
        ``sample_weight`` when given (the loss as Σwᵢℓᵢ/Σwᵢ, as in ``fit``).

        Uses the averaged weights when the model was compiled with ``ema``.
        """
        self._require_compiled()
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before evaluate")
        xa, ya, labels = self._prepare(x, y)
        weights = as_sample_weights(sample_weight, int(xa.shape[0]))
        return self._evaluate_prepared(xa, ya, labels, weights, batch_size)

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """Outputs of the last layer (inference mode, in batches), as a NumPy array. ``x`` as in
        ``fit`` (a DataFrame's columns are checked against those the model was fitted with)."""
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before predict")
        xa, _ = self._features(x)
        outs = []
        with model_state.averaged(self):
            for _, xb in inference_batches(xa, batch_size):
                outs.append(backend.to_numpy(self.forward(self.xp.asarray(xb), training=False)))
        return np.concatenate(outs, axis=0)

    def predict_proba(self, x, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities: the softmax/sigmoid outputs (a single sigmoid output gives two columns)."""
        p = self.predict(x, batch_size)
        if p.shape[1] == 1:
            return np.hstack([1.0 - p, p])
        return p

    def predict_classes(self, x, batch_size: int = 1024) -> np.ndarray:
        return predicted_labels(self.predict(x, batch_size))

    def find_lr(self, x, y, **kwargs):
        """The learning-rate finder (see diagnostics.find_lr): sweep the rate, return the threshold,
        about half of it as the suggestion, and the steepest point; the model is left unchanged."""
        from .training.lr_finder import find_lr
        return find_lr(self, x, y, **kwargs)

    # -- transfer learning ----------------------------------------------------------------------
    def copy_layers(self, upto: int, trainable: bool = False) -> list[Layer]:
        """Fresh copies of the first ``upto`` layers with their trained weights (and BatchNorm
        statistics), for a new model: ``Sequential([*base.copy_layers(2), Dense(5, "softmax")])``.
        ``trainable=False`` freezes them (their weights stay exactly as copied; frozen BatchNorm
        runs in inference mode, as in Keras)."""
        if not self.built:
            raise ConfigError("copy_layers needs a built (trained or loaded) model")
        if isinstance(upto, bool) or not isinstance(upto, (int, np.integer)) or not 1 <= upto <= len(self.layers):
            raise ConfigError(f"upto must be an integer in 1..{len(self.layers)}, got {upto!r}")
        copies = []
        for layer in self.layers[:upto]:
            cfg = layer.get_config()
            cfg["trainable"] = bool(trainable)
            cfg.pop("input_shape", None)
            new = layer_from_config(cfg)
            new._pending_weights = [("params", k, backend.to_numpy(v).copy()) for k, v in layer.params.items()] + \
                                   [("state", k, backend.to_numpy(v).copy()) for k, v in layer.state.items()]
            copies.append(new)
        return copies

    def features(self, x, upto: int, batch_size: int = 1024) -> np.ndarray:
        """The output of layer ``upto`` (1-based; inference mode) for inputs x: hidden features
        to feed another learner, e.g. a scikit-learn SVM."""
        if not self.built:
            raise ConfigError("features needs a built (trained or loaded) model")
        if isinstance(upto, bool) or not isinstance(upto, (int, np.integer)) or not 1 <= upto <= len(self.layers):
            raise ConfigError(f"upto must be an integer in 1..{len(self.layers)}, got {upto!r}")
        xa, _ = self._features(x)
        outs = []
        with model_state.averaged(self):
            for _, xb in inference_batches(xa, batch_size):
                h = self.xp.asarray(xb)
                for layer in self.layers[:upto]:
                    h = layer.forward(h, training=False)
                outs.append(backend.to_numpy(h))
        return np.concatenate(outs, axis=0)

    # -- weights and config --------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Keras's convention: per layer, its parameters then its non-trainable state (BatchNorm's
        moving mean and variance), in layer order, as NumPy copies."""
        return model_state.weights(self)

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """The inverse of get_weights (same count, order and shapes)."""
        if not self.built:
            self.build()
        model_state.set_weights(self, weights)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "input_shape": list(self.input_shape) if self.input_shape else None,
                "dtype": str(self.dtype), "layers": [layer.get_config() for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: int | None = None) -> "Sequential":
        """The model ``get_config()`` describes (unbuilt: no weights), seeded with ``seed``."""
        if not isinstance(config, dict):
            raise ConfigError(f"Sequential.from_config expects a config dict (as model.get_config() returns), "
                              f"got {type(config).__name__} {config!r:.80}")
        if not isinstance(config.get("layers", []), (list, tuple)):
            raise ConfigError(f"the config's 'layers' must be a list of layer configs, got {config['layers']!r:.80}")
        layers = [layer_from_config(c) for c in config.get("layers", [])]
        return cls(layers, input_shape=config.get("input_shape"), name=config.get("name", "sequential"),
                   seed=seed, dtype=config.get("dtype"))

    def save(self, path) -> None:
        """Write the model (architecture + weights) to a safetensors file, atomically."""
        from .formats.model_file import save_model
        save_model(self, path)

    # -- summary ------------------------------------------------------------------------------
    def summary(self, print_fn=None) -> str:
        """A table of layers, output shapes and parameter counts; returns it and prints it
        (to ``print_fn`` if given, else with rich)."""
        from rich.console import Console
        from rich.table import Table

        if not self.built and self.input_shape is not None:
            self.build()
        table = Table(title=f"Model: {self.name}")
        table.add_column("Layer (type)")
        table.add_column("Output shape")
        table.add_column("Params", justify="right")
        for layer in self.layers:
            act = getattr(layer, "activation", None)
            kind = type(layer).__name__ + (f", {act.name}" if act is not None and act.name != "linear" else "")
            shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")" if layer.built else "?"
            table.add_row(f"{layer.name} ({kind})", shape, f"{layer.count_params():,}")
        total = self.count_params()
        trainable = sum(layer.count_params() for layer in self.layers if layer.trainable)
        non_train = sum(int(np.prod(a.shape)) for layer in self.layers for a in layer.state.values())
        console = Console(record=True, width=88, file=io.StringIO())
        console.print(table)
        console.print(f"Total params: {total:,}  (trainable {trainable:,}, frozen {total - trainable:,}; "
                      f"non-trainable statistics {non_train:,})")
        console.print(f"Depth: {self.depth} layers ({max(self.depth - 1, 0)} hidden + 1 output)")
        text = console.export_text()
        (print_fn or print)(text)
        return text


def _register_metric(metric) -> str:
    """A Metric object given to compile: registered under its name (unless the name is taken)
    so configs can name it."""
    if metric.name not in registry.names("metric") and not metric.name.startswith("top_"):
        registry.register("metric", lambda: metric, name=metric.name)
    return metric.name


registry.register("model", Sequential)
