"""scikit-learn estimators backed by layerwise: ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's parameter names where the two overlap, so they drop into
Pipeline and GridSearchCV, plus layerwise's own (``dropout``, ``batch_norm``,
``initializer``, ``optimizer`` choices beyond sgd/adam, ``dtype``).

Differences from ``sklearn.neural_network``, stated:
- ``alpha`` is the same L2 strength: the penalty (α/2)·Σ‖W‖² divided by the batch size,
  added per kernel as ``L2(alpha / (2·batch_size))``; biases are not penalised.
- ``solver`` is one of "sgd", "adam", "rmsprop", "adagrad", "adamw" ("lbfgs" is not offered).
- ``learning_rate`` ("constant" | "invscaling" | "adaptive") is not offered; use
  ``learning_rate_init`` and, for a plateau schedule, ``n_iter_no_change`` with
  ``early_stopping``.
- The classifier always has a softmax output (two units for binary problems).
- The regressor minimises ½·Σ_outputs (y − ŷ)² averaged over samples (the quadratic cost).
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from .optim import optimizers
from .training.callbacks import Callback, EarlyStopping
from .core.layers import BatchNorm, Dense, Dropout
from .model import Sequential
from .core.regularizers import L2
try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
        return estimator._validate_data(X, y, **kwargs)


class _NoImprovement(Callback):
    """scikit-learn's stopping rule: stop when the monitored value has not improved by ``tol``
    for ``n_iter_no_change`` consecutive epochs."""

    def __init__(self, monitor, mode, tol, patience):
        super().__init__()
        self.inner = EarlyStopping(monitor, patience=patience, min_delta=tol, mode=mode,
                                   restore_best_weights=(monitor != "loss"))
        self.converged = False

    def set_model(self, model):
        super().set_model(model)
        self.inner.set_model(model)

    def on_train_begin(self, logs=None):
        self.inner.reset()

    def on_epoch_end(self, epoch, logs=None):
        self.inner.on_epoch_end(epoch, logs)
        self.converged = self.model.stop_training


class _BaseMLP(BaseEstimator):
    _output_activation = "linear"
    _loss = "quadratic"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, dropout=0.0, batch_norm=False, initializer="auto", dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.initializer = initializer
        self.dtype = dtype

    # -- building ----------------------------------------------------------------------------------
    def _check_params(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)
        if any(not isinstance(s, (int, np.integer)) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter > 0):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not offered by layerwise; use 'adam' or 'sgd'")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        return [int(s) for s in sizes]

    def _batch(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if not (isinstance(self.batch_size, (int, np.integer)) and self.batch_size > 0):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {self.batch_size!r}")
        return min(int(self.batch_size), n)

    def _optimizer(self):
        name = str(self.solver).lower()
        if name == "sgd":
            return optimizers.SGD(self.learning_rate_init, momentum=self.momentum,
                                  nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        if name in ("adam", "adamw"):
            return optimizers.get(name, learning_rate=self.learning_rate_init, beta_1=self.beta_1,
                                  beta_2=self.beta_2, epsilon=self.epsilon)
        return optimizers.get(name, learning_rate=self.learning_rate_init)

    def _build(self, n_features, n_outputs, batch):
        sizes = self._check_params()
        relu_like = str(self.activation).lower() in ("relu", "leaky_relu", "elu")
        init = self.initializer if self.initializer != "auto" else ("he_normal" if relu_like else "glorot_uniform")
        reg = L2(self.alpha / (2.0 * batch)) if self.alpha else None
        layers = []
        for units in sizes:
            layers.append(Dense(units, self.activation, kernel_initializer=init, kernel_regularizer=reg))
            if self.batch_norm:
                layers.append(BatchNorm())
            if self.dropout:
                layers.append(Dropout(self.dropout))
        layers.append(Dense(n_outputs, self._output_activation, kernel_regularizer=reg))
        seed = self.random_state if not isinstance(self.random_state, np.random.RandomState) else \
            int(self.random_state.randint(2**31))
        model = Sequential(layers, input_shape=(n_features,), seed=seed, dtype=self.dtype)
        model.compile(self._optimizer(), self._loss, metrics=self._metrics())
        model.build()
        return model

    def _metrics(self):
        return []

    # -- training ----------------------------------------------------------------------------------
    def _train(self, X, Y, epochs, incremental, sample_weight=None):
        batch = self._batch(len(X))
        fresh = not (hasattr(self, "model_") and (self.warm_start or incremental))
        if fresh:
            self.model_ = self._build(X.shape[1], Y.shape[1] if Y.ndim == 2 else len(self.classes_), batch)
            self.loss_curve_, self.validation_scores_ = [], ([] if self.early_stopping else None)
            self.best_loss_, self.best_validation_score_ = np.inf, (-np.inf if self.early_stopping else None)
            self.t_, self.n_iter_ = 0, 0
        callbacks, fit_kwargs = [], {}
        stopper = None
        if not incremental:
            if self.early_stopping:
                n_val = max(1, int(round(len(X) * self.validation_fraction)))
                rng = np.random.default_rng(self.random_state if isinstance(self.random_state, int) else None)
                idx = rng.permutation(len(X))
                val, tr = idx[:n_val], idx[n_val:]
                fit_kwargs["validation_data"] = (X[val], Y[val]) if sample_weight is None else \
                    (X[val], Y[val], sample_weight[val])
                X, Y = X[tr], Y[tr]
                sample_weight = None if sample_weight is None else sample_weight[tr]
                stopper = _NoImprovement(self._val_monitor, "auto", self.tol, self.n_iter_no_change)
            else:
                stopper = _NoImprovement("loss", "min", self.tol, self.n_iter_no_change)
            callbacks.append(stopper)
        history = self.model_.fit(X, Y, batch_size=batch, epochs=epochs, shuffle=self.shuffle,
                                  verbose=2 if self.verbose else 0, callbacks=callbacks,
                                  sample_weight=sample_weight, **fit_kwargs)
        losses = history.history.get("loss", [])
        self.loss_curve_.extend(losses)
        self.best_loss_ = min([self.best_loss_, *losses])
        if self.early_stopping and not incremental:
            scores = history.history.get(self._val_monitor, [])
            if self._val_monitor == "val_loss":
                scores = [-s for s in scores]
            self.validation_scores_.extend(scores)
            self.best_validation_score_ = max([self.best_validation_score_, *scores])
        self.n_iter_ += len(losses)
        self.t_ += len(losses) * len(X)
        if stopper is not None and not stopper.converged and epochs == self.max_iter:
            warnings.warn(f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached and the "
                          "optimisation hasn't converged yet.", ConvergenceWarning)
        self.coefs_ = [l.params["kernel"].copy() for l in self.model_.layers if isinstance(l, Dense)]
        self.intercepts_ = [l.params["bias"].copy() for l in self.model_.layers if isinstance(l, Dense)]
        self.n_layers_ = len(self.coefs_) + 1
        self.out_activation_ = self._output_activation
        return self

    def _predict_raw(self, X):
        check_is_fitted(self, "model_")
        X = _validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier (softmax output, cross-entropy loss) on layerwise."""

    _output_activation = "softmax"
    _loss = "categorical_crossentropy"
    _val_monitor = "val_accuracy"

    def _metrics(self):
        return ["accuracy"]

    def _encode(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        codes = np.searchsorted(self.classes_, y)
        if (codes >= len(self.classes_)).any() or (self.classes_[np.minimum(codes, len(self.classes_) - 1)] != y).any():
            unseen = sorted(set(np.asarray(y).tolist()) - set(self.classes_.tolist()))
            raise ValueError(f"y contains labels {unseen[:5]} not among the classes {self.classes_.tolist()}")
        return codes

    def fit(self, X, y, sample_weight=None):
        """Train on (X, y); ``sample_weight`` (n,) weighs each sample's loss (Σwℓ/Σw per batch)."""
        X, y = _validate_data(self, X, y, dtype=(np.float64, np.float32), y_numeric=False, multi_output=False)
        sample_weight = _check_sample_weight(sample_weight, X) if sample_weight is not None else None
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if not (self.warm_start and hasattr(self, "model_")):
            self.classes_ = classes
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                             f"({self.classes_[0]!r})")
        codes = self._encode(y)
        return self._train(X, codes, self.max_iter, incremental=False, sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None):
        """One pass over (X, y). The first call needs ``classes`` (all labels that will occur)."""
        first = not hasattr(self, "model_")
        X, y = _validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError("partial_fit needs at least 2 classes")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes).tolist()} differ from the first call's "
                             f"{self.classes_.tolist()}")
        return self._train(X, self._encode(y), 1, incremental=True)

    def predict_proba(self, X):
        return self._predict_raw(X)

    def predict(self, X):
        proba = self.predict_proba(X)  # checks fitted first
        return self.classes_[proba.argmax(axis=1)]

    def predict_log_proba(self, X):
        return np.log(np.clip(self.predict_proba(X), 1e-300, None))


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor (linear output, quadratic loss) on layerwise."""

    _output_activation = "linear"
    _loss = "quadratic"
    _val_monitor = "val_loss"

    def _targets(self, y):
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        return y.reshape(len(y), -1)

    def fit(self, X, y, sample_weight=None):
        """Train on (X, y); ``sample_weight`` (n,) weighs each sample's loss (Σwℓ/Σw per batch)."""
        X, y = _validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True, y_numeric=True)
        sample_weight = _check_sample_weight(sample_weight, X) if sample_weight is not None else None
        return self._train(X, self._targets(y), self.max_iter, incremental=False, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def partial_fit(self, X, y):
        first = not hasattr(self, "model_")
        X, y = _validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True, y_numeric=True,
                              reset=first)
        return self._train(X, self._targets(y), 1, incremental=True)

    def predict(self, X):
        out = self._predict_raw(X)
        return out.ravel() if getattr(self, "_y_1d", True) and out.shape[1] == 1 else out
