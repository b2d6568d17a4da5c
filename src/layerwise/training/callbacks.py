"""Callbacks: epoch-level decisions and reporting during ``fit``.

Hooks: on_train_begin/end(logs), on_epoch_begin/end(epoch, logs), on_batch_end(batch, logs).
A callback may set ``model.stop_training = True`` or change the optimizer's rate.
Per-step numerics (regularisers, clipping, max-norm, EMA) live in the update chain, not here.
"""
from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import registry
from ..core import state as model_state
from ..errors import ConfigError, TrainingError
from ..formats import keras_weights
from .hooks import Callback
from .inputs import validates
from .nonfinite import Halt, Rollback


def as_callbacks(callbacks) -> list:
    """``fit``'s ``callbacks`` as a flat list: None, one Callback, or a list/tuple of them (nested
    lists are flattened, as Keras 3 does); anything else raises TypeError naming it."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a Callback or a list of Callbacks, got {type(callbacks).__name__} "
                        f"{callbacks!r}")
    flat = []
    for cb in callbacks:
        if isinstance(cb, (list, tuple)):
            flat.extend(as_callbacks(cb))
        elif isinstance(cb, Callback):
            flat.append(cb)
        else:
            kind = "a class: instantiate it, e.g. EarlyStopping()" if isinstance(cb, type) else type(cb).__name__
            raise TypeError(f"callbacks must hold Callback instances, got {cb!r} ({kind})")
    return flat


class CallbackList:
    """The callbacks of one fit, plus the progress display chosen by ``verbose``."""

    def __init__(self, callbacks: list, verbose: int = 1):
        self.callbacks = as_callbacks(callbacks)
        if verbose and not any(isinstance(cb, ProgressBar) for cb in self.callbacks):
            self.callbacks.insert(1, ProgressBar(verbose=verbose))

    def set_model(self, model):
        for cb in self.callbacks:
            cb.set_model(model)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        return call


class History(Callback):
    """``history[key]`` is the list of per-epoch values (loss, accuracy, val_*, lr, time); ``params``
    the fit's (epochs, steps, samples, batch_size, and validation_freq when it validates)."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}

    def on_train_begin(self, logs=None):
        self.params = dict((logs or {}).get("params", {}))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key):
        return self.history[key]

    def state_dict(self):
        """The epochs logged so far, so a resumed fit's History holds the whole run.

        Returns
        -------
        dict
            ``history`` ({key: list of per-epoch values}) and ``epoch`` (the epoch indices).
        """
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch)}

    def load_state_dict(self, state):
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epoch = list(state["epoch"])


def format_logs(logs: dict[str, float]) -> str:
    parts = []
    for k, v in logs.items():
        if k == "time":
            parts.append(f"{v:.3g}s")
        elif k == "lr":
            parts.append(f"lr {v:.3g}")
        else:
            parts.append(f"{k} {v:.4f}")
    return "  ".join(parts)


class ProgressBar(Callback):
    """A rich progress bar per epoch (ETA, running loss) and one line of metrics per epoch.

    verbose=1: bar (when the output is a terminal) + line; verbose=2: line only.

    Parameters
    ----------
    verbose : int, default 1
        1: the bar (on a terminal) and a line per epoch; 2: the line only.
    file : file object or None, default None
        Where to write. None: standard output.
    """

    needs_every_batch = False  # on the XLA engine the bar moves once per epoch

    display_only = True  # nothing to checkpoint

    def __init__(self, verbose: int = 1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self._progress = None

    def on_train_begin(self, logs=None):
        from rich.console import Console
        self.console = Console(file=self.file or sys.stdout, highlight=False)
        params = (logs or {}).get("params", {})
        self.epochs, self.steps = params.get("epochs", 0), params.get("steps", 0)

    def on_epoch_begin(self, epoch, logs=None):
        self._loss_sum, self._seen = 0.0, 0
        if self.verbose == 1 and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            self._progress = Progress(TextColumn(f"Epoch {epoch + 1}/{self.epochs}"), BarColumn(),
                                      MofNCompleteColumn(), TimeRemainingColumn(),
                                      TextColumn("{task.fields[loss]}"), console=self.console, transient=True)
            self._task = self._progress.add_task("train", total=self.steps, loss="")
            self._progress.start()

    def on_batch_end(self, batch, logs=None):
        if self._progress is not None:
            logs = logs or {}
            if "loss" in logs:  # GPU steps report no per-step loss (that would need a host round trip)
                self._loss_sum += logs["loss"] * logs.get("size", 1)
                self._seen += logs.get("size", 1)
            text = f"loss {self._loss_sum / self._seen:.4f}" if self._seen else ""
            self._progress.update(self._task, advance=1, loss=text)

    def on_epoch_end(self, epoch, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self.console.print(f"Epoch {epoch + 1}/{self.epochs}  {format_logs(logs or {})}", soft_wrap=True)

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        report = getattr(self.model, "nonfinite_report", None)
        if report:
            self.console.print(f"[bold red]non-finite loss[/]: {report}")


def _validation_freq(logs):
    """The fit's ``validation_freq`` from ``on_train_begin``'s params; None when it does not validate."""
    return (logs or {}).get("params", {}).get("validation_freq")


def _unvalidated(monitor: str, epoch: int, validation_freq) -> bool:
    """Whether ``monitor`` is missing from the logs because ``epoch`` did not validate
    (``fit(validation_freq=...)``): a val_* monitor skips such epochs, as Keras's monitors do."""
    return monitor.startswith("val_") and validation_freq is not None and not validates(epoch, validation_freq)


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    from ..core.metrics import greater_is_better
    return "max" if greater_is_better(monitor) else "min"


class _Monitor(Callback):
    """Shared logic: track the best value of a logged quantity and epochs since it improved."""

    def __init__(self, monitor: str, mode: str, min_delta: float, patience: int):
        super().__init__()
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ConfigError(f"patience must be an integer >= 0, got {patience!r}")
        if not float(min_delta) >= 0:
            raise ConfigError(f"min_delta must be >= 0, got {min_delta}")
        self.monitor, self.mode = monitor, _monitor_mode(monitor, mode)
        self.min_delta, self.patience = float(min_delta), int(patience)
        self.validation_freq = None  # the fit's, when it validates (set at on_train_begin)
        self.reset()

    def on_train_begin(self, logs=None):
        self.validation_freq = _validation_freq(logs)

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.best_epoch = -1

    def _current(self, epoch: int, logs) -> float | None:
        """The monitored value; None on an epoch that did not validate (``validation_freq``)."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            if _unvalidated(self.monitor, epoch, self.validation_freq):
                return None
            available = ", ".join(sorted(logs or {}))
            raise ConfigError(f"{type(self).__name__} monitors {self.monitor!r}, which is not logged; "
                              f"available: {available} (val_* needs validation data)")
        return float(value)

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.best, self.wait, self.best_epoch = float(state["best"]), int(state["wait"]), int(state["best_epoch"])


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs
    (the book: stop after 10 epochs without improving validation accuracy).
    ``restore_best_weights`` puts back, when stopping, every array of the best epoch: weights,
    BatchNorm statistics and EMA averages (the model state, see core/state.py).

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged quantity to watch ("val_loss", "val_accuracy", "loss", ...); a val_* name
        needs validation data.
    patience : int, default 0
        The number of epochs without improvement after which training stops (≥ 0; 0 stops at
        the first epoch that does not improve).
    min_delta : float, default 0.0
        The smallest change that counts as an improvement (≥ 0).
    mode : str, default "auto"
        "min" (lower is better), "max", or "auto": "max" for the metrics where larger is better
        (accuracy, F1, AUC, R², ...), "min" for losses and the others.
    restore_best_weights : bool, default False
        When stopping, put back the model state of the best epoch (False: keep the last).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False):
        super().__init__(monitor, mode, min_delta, patience)
        self.restore_best_weights = bool(restore_best_weights)
        self.best_weights = None
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.best_epoch < 0:  # a resumed run keeps its counters
            self.reset()

    def on_epoch_end(self, epoch, logs=None):
        value = self._current(epoch, logs)
        if value is None:
            return
        if self._improved(value):
            self.best, self.wait, self.best_epoch = value, 0, epoch
            if self.restore_best_weights:
                self.best_weights = model_state.snapshot(self.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                model_state.restore(self.model, self.best_weights)

    def state_dict(self):
        """The best value, its epoch, the epochs waited, and the best epoch's model state.

        Returns
        -------
        dict
            ``best``, ``wait``, ``best_epoch`` and ``best_weights`` (the model state's arrays, or None
            without ``restore_best_weights``).
        """
        state = super().state_dict()
        state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.best_weights = state.get("best_weights")


class ReduceLROnPlateau(_Monitor):
    """Multiply the rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs,
    never below ``min_lr``. With ``stop_below`` (a fraction), training stops once the rate has
    fallen below ``stop_below`` × its starting value — the book's schedule is
    ``ReduceLROnPlateau.book()``: halve on a 10-epoch plateau, stop at 1/1024 of the start.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged quantity to watch ("val_loss", "val_accuracy", "loss", ...); a val_* name
        needs validation data.
    factor : float, default 0.1
        The factor on the rate at a plateau, in (0, 1).
    patience : int, default 10
        The number of epochs without improvement that make a plateau (≥ 0).
    min_delta : float, default 1e-4
        The smallest change that counts as an improvement (≥ 0).
    mode : str, default "auto"
        "min" (lower is better), "max", or "auto": "max" for the metrics where larger is better
        (accuracy, F1, AUC, R², ...), "min" for losses and the others.
    cooldown : int, default 0
        Epochs after a reduction during which no plateau is counted.
    min_lr : float, default 0.0
        The rate is never reduced below it (≥ 0).
    stop_below : float or None, default None
        A fraction in (0, 1): stop training once the rate has fallen below it times its value
        at the start. None: never stop.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, mode: str = "auto", cooldown: int = 0, min_lr: float = 0.0,
                 stop_below: float | None = None):
        super().__init__(monitor, mode, min_delta, patience)
        if not 0.0 < float(factor) < 1.0:
            raise ConfigError(f"factor must be in (0, 1), got {factor}")
        if not float(min_lr) >= 0:
            raise ConfigError(f"min_lr must be >= 0, got {min_lr}")
        if stop_below is not None and not 0.0 < float(stop_below) < 1.0:
            raise ConfigError(f"stop_below must be in (0, 1), got {stop_below}")
        self.factor, self.cooldown, self.min_lr = float(factor), int(cooldown), float(min_lr)
        self.stop_below = None if stop_below is None else float(stop_below)
        self.cooldown_counter = 0

    @classmethod
    def book(cls, monitor: str = "val_accuracy", factor: float = 0.5, patience: int = 10) -> ReduceLROnPlateau:
        """Nielsen's schedule: divide η by 2 (or 10) on a plateau, stop when it reaches η₀/1024.

        Parameters
        ----------
        monitor : str, default "val_accuracy"
            The logged quantity to watch (the book's: the validation accuracy).
        factor : float, default 0.5
            The factor on the rate at a plateau (0.1 divides by 10).
        patience : int, default 10
            The number of epochs without improvement that make a plateau (the book's "no
            improvement in 10 epochs").

        Returns
        -------
        ReduceLROnPlateau
            The callback, with ``min_delta=0`` and ``stop_below=1/1024``.
        """
        return cls(monitor=monitor, factor=factor, patience=patience, min_delta=0.0, stop_below=1.0 / 1024)

    def on_epoch_end(self, epoch, logs=None):
        value = self._current(epoch, logs)
        if value is None:
            return
        opt = self.model.optimizer
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
        if self._improved(value):
            self.best, self.wait, self.best_epoch = value, 0, epoch
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            old = opt.lr
            new = max(old * self.factor, self.min_lr)
            if old > 0 and new < old:
                opt.lr_multiplier *= new / old
            self.wait, self.cooldown_counter = 0, self.cooldown
            if self.stop_below is not None and opt.lr_multiplier < self.stop_below * (1 + 1e-9):
                self.model.stop_training = True

    def state_dict(self):
        """The best value, its epoch, the epochs waited and the cooldown left (the rate itself is
        the optimizer's ``lr_multiplier``, saved with the optimizer).

        Returns
        -------
        dict
            ``best``, ``wait``, ``best_epoch`` and ``cooldown_counter``.
        """
        state = super().state_dict()
        state["cooldown_counter"] = self.cooldown_counter
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.cooldown_counter = int(state.get("cooldown_counter", 0))


class LearningRateScheduler(Callback):
    """At each epoch start, set the rate to ``schedule(epoch, lr)`` (Keras's callback).

    For per-step schedules pass a Schedule as the optimizer's learning rate instead.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> new lr``: the epoch (0-based) and the current rate; it must
        return a finite rate > 0.
    """

    def __init__(self, schedule: Callable[[int, float], float]):
        super().__init__()
        if not callable(schedule):
            raise ConfigError("LearningRateScheduler needs a callable schedule(epoch, lr) -> lr")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        new = float(self.schedule(epoch, opt.lr))
        if not (new > 0 and math.isfinite(new)):
            raise ConfigError(f"LearningRateScheduler returned {new} at epoch {epoch}; expected a rate > 0")
        base = opt.learning_rate(opt.iterations)
        opt.lr_multiplier = new / base


class ModelCheckpoint(Callback):
    """Save the model after each epoch (``save_best_only``: only when ``monitor`` improves).

    ``filepath`` may contain ``{epoch}`` and any logged key, e.g. "ckpt-{epoch:03d}.lwm".
    ``save_weights_only=True`` writes the weights alone, in Keras 3's ``.weights.h5`` layout
    (formats/keras_weights.py, needs h5py; Keras's ``model.load_weights`` reads it), so ``filepath``
    must then end in ``.weights.h5``. Files are written atomically (temporary file, then rename).

    Parameters
    ----------
    filepath : str or path
        The file to write; ``{epoch}`` (from 1) and logged keys are filled in (a name without
        them is overwritten each time). A model holding NaN or inf is not written (a warning says
        so).
    monitor : str, default "val_loss"
        The logged quantity to watch ("val_loss", "val_accuracy", "loss", ...); a val_* name
        needs validation data.
    save_best_only : bool, default False
        Write only when ``monitor`` improves on its best so far.
    mode : str, default "auto"
        "min" (lower is better), "max", or "auto": "max" for the metrics where larger is better
        (accuracy, F1, AUC, R², ...), "min" for losses and the others.
    save_weights_only : bool, default False
        Write the weights alone, as Keras 3's ``.weights.h5`` (needs h5py; ``filepath`` must end
        in ``.weights.h5``). False: the whole model, as ``model.save``.
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", save_weights_only: bool = False):
        super().__init__()
        if save_weights_only:
            keras_weights.check_path(filepath)  # Keras 3's rule: weights files end in .weights.h5
        self.filepath, self.monitor = str(filepath), monitor
        self.save_best_only, self.mode = bool(save_best_only), _monitor_mode(monitor, mode)
        self.save_weights_only = bool(save_weights_only)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[str] = []
        self.validation_freq = None  # the fit's, when it validates (set at on_train_begin)
        self._warned = False  # about a model holding NaN/inf (once per fit)

    def on_train_begin(self, logs=None):
        self._warned = False
        self.validation_freq = _validation_freq(logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            if self.monitor not in logs:
                if _unvalidated(self.monitor, epoch, self.validation_freq):
                    return
                raise ConfigError(f"ModelCheckpoint monitors {self.monitor!r}, which is not logged; "
                                  f"available: {', '.join(sorted(logs))}")
            value = float(logs[self.monitor])
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        bad = model_state.first_nonfinite(self.model)
        if bad is not None:  # the file could not be loaded: keep the last good one instead
            if not self._warned:
                import warnings

                from ..formats.model_file import nonfinite_message
                warnings.warn(f"ModelCheckpoint did not write {path}: {nonfinite_message(self.model, bad)}",
                              RuntimeWarning, stacklevel=2)
                self._warned = True
            return
        if self.save_weights_only:
            keras_weights.save_weights(self.model, path)
        else:
            self.model.save(path)
        self.saved.append(path)

    def state_dict(self):
        """The best monitored value so far.

        Returns
        -------
        dict
            ``best`` (a float; ±inf before the first save).
        """
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = float(state["best"])


class CSVLogger(Callback):
    """One CSV row per epoch (epoch, then every logged value); the file is rewritten atomically.
    Epochs are counted from ``first_epoch`` (0, as Keras does; run directories use 1, as the console).

    Parameters
    ----------
    filename : str or path
        The CSV file.
    append : bool, default False
        Keep the rows already in the file and add to them. False: the file holds this fit's rows.
    first_epoch : int, default 0
        The number written for the first epoch.
    """

    def __init__(self, filename: str, append: bool = False, first_epoch: int = 0):
        super().__init__()
        self.filename, self.append = str(filename), bool(append)
        self.first_epoch = int(first_epoch)
        self.rows: list[dict[str, Any]] = []

    def on_train_begin(self, logs=None):
        if self.append:
            try:
                with open(self.filename, newline="") as fh:
                    self.rows = list(csv.DictReader(fh))
            except FileNotFoundError:
                self.rows = []
        elif not self.rows:
            self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        from ..formats.atomic import atomic_write_csv
        self.rows.append({"epoch": epoch + self.first_epoch, **{k: f"{v:.8g}" for k, v in (logs or {}).items()}})
        atomic_write_csv(self.filename, self.rows)

    def state_dict(self):
        """The rows written so far, so a resumed fit rewrites the whole file.

        Returns
        -------
        dict
            ``columns`` (the header, in order) and ``rows`` (a list of values per row, as strings).
        """
        # columns and rows as lists: a checkpoint's JSON sorts dict keys, which would reorder the columns
        columns: list[str] = []
        for row in self.rows:
            columns.extend(k for k in row if k not in columns)
        return {"columns": columns, "rows": [[row.get(c, "") for c in columns] for row in self.rows]}

    def load_state_dict(self, state):
        if "columns" in state:
            self.rows = [dict(zip(state["columns"], values)) for values in state["rows"]]
        else:  # checkpoints from before the columns were kept
            self.rows = [dict(r) for r in state["rows"]]


class TerminateOnNaN(Callback):
    """Stop at the first step whose loss is NaN or inf, without applying that step's update,
    and say where it appeared: the step, the layer and the array (a parameter or a layer's
    output). ``raise_error=True`` raises TrainingError with that message instead.

    Parameters
    ----------
    raise_error : bool, default False
        Raise TrainingError at the non-finite step. False: stop training, keeping the message in
        ``message``.
    """

    def wants_batches(self) -> bool:
        """False: it reads the logs of the step that halted, which the XLA engine hands over too
        (a subclass with its own ``on_batch_end`` sees every batch, on NumPy).

        Returns
        -------
        bool
            Whether a subclass overrides ``on_batch_end``.
        """
        return type(self).on_batch_end is not TerminateOnNaN.on_batch_end

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = bool(raise_error)
        self.message: str | None = None
        self.nonfinite_policy = Halt()  # the loop halts at the step; this callback observes

    def on_batch_end(self, batch, logs=None):
        report = (logs or {}).get("nonfinite")
        if report is not None and self.message is None:
            self.message = report
            if self.raise_error:
                raise TrainingError(f"non-finite loss at {report}")

    def state_dict(self):
        """The report of the non-finite step, if there was one.

        Returns
        -------
        dict
            ``message`` (a str, or None).
        """
        return {"message": self.message}

    def load_state_dict(self, state):
        self.message = state.get("message")


class RollbackOnNaN(Callback):
    """Opt-in recovery from numerical blow-ups: when a step's loss is NaN/inf (the step is not
    applied), put back the weights, optimizer state and BatchNorm statistics of the last good
    epoch end — the state the epoch-end checkpoint holds, with the weight averages' update count
    and the generator — halve the learning rate, and go on. After ``max_rollbacks`` rollbacks a
    further blow-up stops training as TerminateOnNaN would. The loop applies this policy
    (``training/nonfinite.py``); the callback records the notes and prints them when ``verbose``.

    Parameters
    ----------
    factor : float, default 0.5
        The factor on the learning rate at each rollback, in (0, 1).
    max_rollbacks : int, default 5
        The number of rollbacks before a further blow-up stops training.
    verbose : bool, default True
        Print a line to standard error at each rollback.
    """

    def wants_batches(self) -> bool:
        """False: it reads the logs of the step that rolled back, as TerminateOnNaN does (a subclass
        with its own ``on_batch_end`` sees every batch, on NumPy).

        Returns
        -------
        bool
            Whether a subclass overrides ``on_batch_end``.
        """
        return type(self).on_batch_end is not RollbackOnNaN.on_batch_end

    def __init__(self, factor: float = 0.5, max_rollbacks: int = 5, verbose: bool = True):
        super().__init__()
        if not 0.0 < float(factor) < 1.0:
            raise ConfigError(f"factor must be in (0, 1), got {factor}")
        self.factor, self.max_rollbacks, self.verbose = float(factor), int(max_rollbacks), verbose
        self.rollbacks: list[str] = []  # one note per rollback (the policy appends them)
        self.nonfinite_policy = Rollback(self.factor, self.max_rollbacks, self.rollbacks)

    def on_batch_end(self, batch, logs=None):
        note = (logs or {}).get("rolled_back")
        if note is not None and self.verbose:
            from rich.console import Console
            Console(stderr=True, highlight=False).print(f"[yellow]recovered[/]: {note}", soft_wrap=True)

    def state_dict(self):
        """The rollbacks made so far (they count towards ``max_rollbacks`` after a resume).

        Returns
        -------
        dict
            ``rollbacks`` (one note per rollback).
        """
        return {"rollbacks": list(self.rollbacks)}

    def load_state_dict(self, state):
        self.rollbacks[:] = list(state.get("rollbacks", []))  # the same list the policy counts


for _cls in (EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, ModelCheckpoint, CSVLogger,
             TerminateOnNaN, RollbackOnNaN, ProgressBar):
    registry.register("callback", _cls)


from .loggers import MLflowLogger, TensorBoard  # noqa: E402,F401  (the trackers import their packages on use)
