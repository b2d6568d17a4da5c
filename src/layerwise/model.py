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
import math
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .core import backend, losses as losses_mod
from .training import callbacks as callbacks_mod
from .errors import ConfigError, DataError
from .core.layers import Activation, Dense, Layer, from_config as layer_from_config
from .core.metrics import METRICS, predicted_labels
from .data.inputs import FileRows, as_features, as_targets, mapped_file
from .optim import ema as averaging, optimizers as optimizers_mod


def validation_mapped(x) -> bool:
    return mapped_file(x) is not None


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class _StopOnInterrupt:
    """During fit, Ctrl-C (SIGINT) asks training to stop at the end of the current batch, so the
    weights are never left half-updated; fit then saves a checkpoint (if it has one) and raises
    KeyboardInterrupt. A second Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        import signal
        import threading
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        import signal
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class Sequential:
    """A linear stack of layers. ``seed`` seeds the one generator used for weight
    initialisation, shuffling and dropout: two CPU runs with the same seed are bit-identical.
    """

    def __init__(self, layers: Iterable[Layer] | None = None, input_shape=None, name: str = "sequential",
                 seed: int | None = None, dtype=None, backend_name: str | None = None):
        self.name = name
        self.layers: list[Layer] = []
        self.seed = seed
        self.rng = backend.make_rng(seed)
        self.dtype = backend.check_dtype(dtype if dtype is not None else backend.floatx())
        self.backend_name = backend_name or backend.get_backend()
        self.xp = backend.get_array_module(self.backend_name)
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.loss: losses_mod.Loss | None = None
        self.metrics: list[str] = []
        self.ema: averaging.ExponentialMovingAverage | None = None
        self.stop_training = False
        self.history: callbacks_mod.History | None = None
        self.halt_on_nonfinite = False
        self.nonfinite_report: str | None = None
        self._fused = False
        self.metadata: dict[str, Any] = {}  # free-form JSON saved with the model (data set, image shape, ...)
        for layer in layers or []:
            self.add(layer)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["xp"] = self.xp.__name__
        state.pop("_flat_layout", None)
        state.pop("_stepper", None)  # layer ids change: re-flatten after unpickling
        return state

    def __setstate__(self, state):
        state["xp"] = backend.get_array_module("cupy" if state["xp"] == "cupy" else "numpy")
        self.__dict__.update(state)
        if self.built:
            self._flat_layout = None
            self._collect_params()

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
            self.input_shape = tuple(int(d) for d in np.atleast_1d(input_shape))
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
        self._collect_params()

    def _collect_params(self) -> None:
        """Put every trainable parameter (and its gradient) into one contiguous buffer.

        Each layer's ``params[key]``/``grads[key]`` become views into the flat arrays P and G, so
        the optimizer, the weight average and checkpoints treat all weights as one array: one
        update per step instead of one per tensor. ``_params``/``_grads`` are [P]/[G];
        ``_tensor_grads`` keeps the per-tensor views (for per-tensor clipping).
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
            self._params, self._grads = [flat_p], [flat_g]
            if self.optimizer is not None and self.optimizer.iterations == 0:
                self.optimizer.slots = {k: [] for k in self.optimizer.slot_names}
        self._param_refs = refs
        self._tensor_grads = [layer.grads[key] for layer, key in refs]
        # the lowest layer whose input gradient is needed: nothing below a frozen prefix
        first = next((i for i, lay in enumerate(self.layers) if lay.trainable and lay.params), len(self.layers))
        self._first_trainable = first

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
        ``ema`` takes a decay (e.g. 0.99) or an ExponentialMovingAverage.
        """
        self.optimizer = optimizers_mod.get(optimizer)
        self.loss = losses_mod.get(loss)
        metrics = list(metrics or [])
        for m in metrics:
            if m not in METRICS:
                raise ConfigError(f"unknown metric {m!r}; valid: {', '.join(sorted(METRICS))}")
        self.metrics = ["accuracy" if m == "acc" else m for m in metrics]
        self.ema = averaging.get(ema)
        if self.built:
            self._collect_params()

    def _require_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise ConfigError("call model.compile(optimizer=..., loss=...) before fit/evaluate")

    def _output_activation(self) -> str | None:
        last = self.layers[-1]
        if isinstance(last, (Dense, Activation)):
            return last.activation.name
        return None

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
        stop = self._first_trainable
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

    def train_on_batch(self, x, y):
        """One step on one batch (already validated, on the model's device). Returns (loss, outputs)."""
        out = self.forward(x, training=True)
        loss = self.loss.value(out, y)
        if self._has_regularizers:
            loss += self.regularization_loss()
        if not math.isfinite(loss):
            self.nonfinite_report = self._locate_nonfinite(out, loss)
            if self.halt_on_nonfinite:
                return loss, out  # leave the weights as they were before this step
        self.backward_and_update(out, y)
        return loss, out

    def backward_and_update(self, out, y) -> None:
        """The rest of a step after the forward pass: backpropagate the loss (fused with the output
        activation where possible), update (clip → decay → rule), apply constraints, average."""
        if self._fused:
            self.backward(self.loss.grad_z(out, y), fused=True)
        else:
            self.backward(self.loss.grad(out, y))
        self.optimizer.update(self._params, self._grads, self._tensor_grads)
        if self._has_constraints:
            for layer in self.layers:
                layer.apply_constraints()
        if self.ema is not None:
            self.ema.update(self._params)

    def _locate_nonfinite(self, out, loss) -> str:
        """Where the first NaN/inf is: a parameter, a layer's output, or the loss itself."""
        step = self.optimizer.iterations
        xp = self.xp
        for layer in self.layers:
            for key, arr in layer.params.items():
                if not bool(xp.isfinite(arr).all()):
                    return f"step {step}: layer {layer.name!r} parameter {key!r} holds NaN/inf"
            cached = getattr(layer, "_a", None)
            if cached is not None and not bool(xp.isfinite(cached).all()):
                return f"step {step}: layer {layer.name!r} output (activations) holds NaN/inf"
        return f"step {step}: the loss is {loss} although every layer's output is finite"

    # -- fit ----------------------------------------------------------------------------------
    def _prepare(self, x, y, name="x"):
        if not self.built:
            xa = np.asarray(x) if not hasattr(x, "__cuda_array_interface__") else x
            if getattr(xa, "ndim", 0) < 2:
                as_features(x, name)  # raises the clear shape error
            self.build(tuple(xa.shape[1:]))
        xa = as_features(x, name, self.input_shape, self.dtype)
        sparse_ok = self.loss.accepts_sparse if self.loss is not None else True
        ya, labels = as_targets(y, xa.shape[0], self.n_outputs, sparse_ok, self.dtype,
                                "y" if name == "x" else f"y of {name}")
        return xa, ya, labels

    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            callbacks: list | None = None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, initial_epoch: int = 0, checkpoint=None,
            checkpoint_every: int | None = None, resume: bool = False) -> "callbacks_mod.History":
        """Train with mini-batches: ``batch_size=len(x)`` is batch gradient descent, 1 is online.

        Returns the History (per-epoch loss, metrics, val_* and lr). verbose: 0 silent,
        1 progress bar and a line per epoch, 2 a line per epoch.

        ``checkpoint``: a path written (atomically) at the end of every epoch and, with
        ``checkpoint_every=k``, after every k steps. ``resume=True`` continues from that file
        when it exists — weights, optimizer, schedule step, RNG, callbacks and position — so
        the run ends exactly (bit-identically on the CPU) where an uninterrupted one would.
        Call it with the same data, arguments and callbacks as the interrupted run.
        """
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
        x, y, labels = self._prepare(x, y)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ConfigError("validation_data must be a pair (x_val, y_val)")
            val = self._prepare(validation_data[0], validation_data[1], "validation x")
        elif validation_split:
            n_val = int(round(len(x) * float(validation_split)))
            if n_val < 1 or n_val >= len(x):
                raise DataError(f"validation_split={validation_split} leaves {n_val} validation samples "
                                f"out of {len(x)}")
            # the last samples, before shuffling (Keras's convention)
            val = (x[-n_val:], y[-n_val:], labels[-n_val:] if labels is not None else None)
            x, y, labels = x[:-n_val], y[:-n_val], (labels[:-n_val] if labels is not None else None)

        self._fused = self.loss.fused_activation is not None and \
            self.loss.fused_activation == self._output_activation()
        self._has_regularizers = any(getattr(l, "kernel_regularizer", None) or getattr(l, "bias_regularizer", None)
                                     for l in self.layers)
        self._has_constraints = any(getattr(l, "kernel_constraint", None) or getattr(l, "bias_constraint", None)
                                    for l in self.layers)
        self._collect_params()
        if self.ema is not None:
            self.ema.start(self._params)

        history = callbacks_mod.History()
        cbs = callbacks_mod.CallbackList([history, *(callbacks or [])], verbose=verbose)
        self.halt_on_nonfinite = False  # TerminateOnNaN switches it on in set_model
        cbs.set_model(self)
        self.history = history
        self.stop_training = False
        self.nonfinite_report = None
        xp = self.xp
        n = len(x)
        bs = min(int(batch_size), n)
        steps = math.ceil(n / bs)
        xd, yd = xp.asarray(x), xp.asarray(y)
        reader = FileRows.of(x) if (xp is np and validation_mapped(x)) else None
        self._stepper = None
        if xp is not np:
            from .training.device import DeviceStepper
            self._stepper = DeviceStepper(self, xd, yd, bs, steps)
        # preallocated batch buffers: gathering a batch writes into them, no new arrays per step
        xbuf = xp.empty((bs,) + x.shape[1:], dtype=x.dtype)
        ybuf = xp.empty((bs,) + y.shape[1:], dtype=y.dtype)
        params = {"epochs": epochs, "steps": steps, "samples": n, "batch_size": bs}
        start_epoch, resumed = initial_epoch, None
        if resume and Path(checkpoint).exists():
            from .training.checkpoint import load_checkpoint, restore
            tensors, meta = load_checkpoint(checkpoint)
            resumed = restore(self, cbs.callbacks, tensors, meta, str(checkpoint))
            if resumed.get("n_train") != n or resumed.get("batch_size") != bs:
                raise ConfigError(f"{checkpoint}: made with {resumed.get('n_train')} samples in batches of "
                                  f"{resumed.get('batch_size')}; this fit has {n} in batches of {bs}")
            start_epoch = int(resumed["epoch"])
            self.stop_training = bool(resumed.get("stopped", False))
        cbs.on_train_begin({"params": params})
        try:
            with _StopOnInterrupt() as interrupt:
                self._fit_epochs(cbs, interrupt, start_epoch, epochs, resumed, n, bs, steps, shuffle, xd, yd, xbuf,
                                 ybuf, labels, val, checkpoint, checkpoint_every, reader)
        finally:
            if reader is not None:
                reader.close()
            cbs.on_train_end({})
        return history

    def _fit_epochs(self, cbs, interrupt, start_epoch, epochs, resumed, n, bs, steps, shuffle, xd, yd, xbuf, ybuf,
                    labels, val, checkpoint, checkpoint_every, reader=None) -> None:
        xp = self.xp
        for epoch in range(start_epoch, epochs):
            if self.stop_training:
                break
            cbs.on_epoch_begin(epoch, {})
            t0 = time.perf_counter()
            first_step, loss_sum, correct, seen = 0, 0.0, 0, 0
            if resumed is not None and resumed.get("order") is not None and epoch == start_epoch:
                order = resumed["order"]  # resuming inside this epoch
                first_step = int(resumed["step"])
                loss_sum, correct, seen = resumed["loss_sum"], resumed["correct"], resumed["seen"]
            else:
                order = self.rng.permutation(n) if shuffle else np.arange(n)
            stepper = self._stepper
            if stepper is not None:  # GPU: no host round trip per step (see gpu.py)
                stepper.begin_epoch(order, first_step, loss_sum, correct)
            else:
                order_d = xp.asarray(order)
            for step in range(first_step, steps):
                if stepper is not None:
                    m = stepper.step(step)
                    seen += m
                    cbs.on_batch_end(step, {"size": m})
                    if self.nonfinite_report is not None and self.halt_on_nonfinite:
                        break
                else:
                    idx = order_d[step * bs:(step + 1) * bs]
                    m = len(idx)
                    xb, yb = xbuf[:m], ybuf[:m]
                    if reader is not None:  # a memory-mapped data set: plain reads, bounded memory
                        reader.gather(idx, xb)
                    else:
                        xp.take(xd, idx, axis=0, out=xb)
                    xp.take(yd, idx, axis=0, out=yb)
                    loss, out = self.train_on_batch(xb, yb)
                    if self.nonfinite_report is not None and self.halt_on_nonfinite:
                        cbs.on_batch_end(step, {"loss": loss, "size": m})
                        if self.nonfinite_report is not None:  # not recovered by a callback: stop
                            break
                        continue
                    loss_sum += loss * m
                    seen += m
                    if labels is not None and self.metrics:
                        correct += int((predicted_labels(out) == labels[order[step * bs:step * bs + m]]).sum())
                    cbs.on_batch_end(step, {"loss": loss, "size": m})
                if checkpoint is not None and step + 1 < steps and (
                        interrupt.requested or (checkpoint_every and self.optimizer.iterations % checkpoint_every == 0)):
                    if stepper is not None:
                        loss_sum, correct = stepper.sums()
                    self._checkpoint(checkpoint, cbs, epoch, step + 1, n, bs, order, loss_sum, correct, seen)
                if interrupt.requested and step + 1 < steps:
                    raise KeyboardInterrupt(f"stopped after step {self.optimizer.iterations}"
                                            + (f"; checkpoint saved to {checkpoint}" if checkpoint else ""))
                if self.stop_training:
                    break
            if stepper is not None:
                loss_sum, correct = stepper.sums()
                if not math.isfinite(loss_sum) and self.nonfinite_report is None:
                    self.nonfinite_report = (f"epoch {epoch + 1}: the loss became non-finite (on the GPU it is "
                                             "checked once per epoch; use TerminateOnNaN to check every step)")
            logs: dict[str, float] = {"loss": loss_sum / max(seen, 1)}
            if "accuracy" in self.metrics and labels is not None:
                logs["accuracy"] = correct / max(seen, 1)
            if val is not None:
                for k, v in self._evaluate_prepared(*val).items():
                    logs[f"val_{k}"] = v
            logs["lr"] = self.optimizer.lr
            logs["time"] = time.perf_counter() - t0
            cbs.on_epoch_end(epoch, logs)
            if self.nonfinite_report is not None and self.halt_on_nonfinite:
                break
            if checkpoint is not None:
                self._checkpoint(checkpoint, cbs, epoch + 1, 0, n, bs, None, 0.0, 0, 0)
            if interrupt.requested:
                raise KeyboardInterrupt(f"stopped after epoch {epoch + 1}"
                                        + (f"; checkpoint saved to {checkpoint}" if checkpoint else ""))

    def _checkpoint(self, path, cbs, epoch, step, n, bs, order, loss_sum, correct, seen) -> None:
        from .training.checkpoint import save_checkpoint
        fit_state = {"epoch": epoch, "step": step, "n_train": n, "batch_size": bs, "loss_sum": loss_sum,
                     "correct": correct, "seen": seen, "stopped": bool(self.stop_training)}
        save_checkpoint(path, self, cbs.callbacks, fit_state, order)

    # -- evaluate / predict --------------------------------------------------------------------
    def _batches(self, n: int, batch_size: int):
        for start in range(0, n, batch_size):
            yield slice(start, min(start + batch_size, n))

    def _evaluate_prepared(self, x, y, labels, batch_size: int = 1024) -> dict[str, float]:
        xp = self.xp
        loss_sum = 0.0
        preds = []
        with self._averaged():
            for sl in self._batches(len(x), batch_size):
                out = self.forward(xp.asarray(x[sl]), training=False)
                loss_sum += self.loss.value(out, xp.asarray(y[sl])) * (sl.stop - sl.start)
                preds.append(predicted_labels(out))
            reg = self.regularization_loss() if getattr(self, "_has_regularizers", True) else 0.0
        result = {"loss": loss_sum / len(x) + reg}
        if "accuracy" in self.metrics and labels is not None:
            result["accuracy"] = float((np.concatenate(preds) == labels).mean())
        return result

    def evaluate(self, x, y, batch_size: int = 1024) -> dict[str, float]:
        """Loss (including regularisation terms) and the compiled metrics on (x, y).

        Uses the averaged weights when the model was compiled with ``ema``.
        """
        self._require_compiled()
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before evaluate")
        self._has_regularizers = any(getattr(l, "kernel_regularizer", None) or getattr(l, "bias_regularizer", None)
                                     for l in self.layers)
        xa, ya, labels = self._prepare(x, y)
        return self._evaluate_prepared(xa, ya, labels, batch_size)

    def _averaged(self):
        if self.ema is not None and self.built:
            self._collect_params()
            return self.ema.swapped_in(self._params)
        from contextlib import nullcontext
        return nullcontext()

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """Outputs of the last layer (inference mode, in batches), as a NumPy array."""
        if not self.built:
            raise ConfigError("the model is not built yet: fit it (or call build) before predict")
        xa = as_features(x, "x", self.input_shape, self.dtype)
        outs = []
        with self._averaged():
            for sl in self._batches(len(xa), batch_size):
                outs.append(backend.to_numpy(self.forward(self.xp.asarray(xa[sl]), training=False)))
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
        from .inspect.diagnostics import find_lr
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
        xa = as_features(x, "x", self.input_shape, self.dtype)
        outs = []
        with self._averaged():
            for sl in self._batches(len(xa), batch_size):
                h = self.xp.asarray(xa[sl])
                for layer in self.layers[:upto]:
                    h = layer.forward(h, training=False)
                outs.append(backend.to_numpy(h))
        return np.concatenate(outs, axis=0)

    # -- weights and config --------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        return [backend.to_numpy(layer.params[k]).copy() for layer in self.layers for k in layer.params]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        if not self.built:
            self.build()
        targets = [(layer, k) for layer in self.layers for k in layer.params]
        if len(weights) != len(targets):
            raise ConfigError(f"set_weights got {len(weights)} arrays, the model has {len(targets)}")
        for (layer, k), w in zip(targets, weights):
            if tuple(np.shape(w)) != tuple(layer.params[k].shape):
                raise ConfigError(f"{layer.name}.{k}: expected shape {tuple(layer.params[k].shape)}, "
                                  f"got {tuple(np.shape(w))}")
            layer.params[k][...] = self.xp.asarray(w, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "input_shape": list(self.input_shape) if self.input_shape else None,
                "dtype": str(self.dtype), "layers": [layer.get_config() for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: int | None = None) -> "Sequential":
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
