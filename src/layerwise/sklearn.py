"""scikit-learn estimators backed by layerwise: ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's parameter names where the two overlap, so they drop into
Pipeline and GridSearchCV, plus layerwise's own (``dropout``, ``batch_norm``,
``initializer``, ``optimizer`` choices beyond sgd/adam, ``dtype``).

As scikit-learn's own MLPs, they:
- check every hyperparameter at ``fit``/``partial_fit`` against ``_parameter_constraints``
  (scikit-learn's ``Interval``/``StrOptions``), so a bad value raises ``InvalidParameterError``
  (a ``ValueError``) naming the parameter;
- take scikit-learn's activation names ("identity", "logistic", "tanh", "relu") as well as
  layerwise's ("linear", "sigmoid", "gelu", ...);
- draw every seed (initial weights and shuffling, the early-stopping split) from
  ``check_random_state(random_state)`` once per fit, so an int or an equal ``RandomState``
  state gives the same model;
- accept SciPy sparse matrices (CSR and CSC are passed through to the model, other formats are
  converted to CSR), and record ``n_features_in_``/``feature_names_in_`` from DataFrames;
- predict 1-D for a single regression target, warning (``DataConversionWarning``) when it was
  given as a column (n, 1).

Differences from ``sklearn.neural_network``, stated:
- ``alpha`` is the same L2 strength: the penalty (α/2)·Σ‖W‖² divided by the weight sum of a
  batch (its size without ``sample_weight``), added per kernel as ``L2(alpha / (2·S))`` with S
  the batch size times the mean sample weight — exactly scikit-learn's for full-batch training
  and for unweighted batches of the full size; biases are not penalised.
- ``solver`` is one of layerwise's optimizers: "sgd", "adam", "rmsprop", "adagrad", "adamw",
  "adamax", "nadam", "momentum", "nesterov" ("lbfgs" is not offered).
- ``learning_rate`` ("constant" | "invscaling" | "adaptive") is not offered; use
  ``learning_rate_init`` and, for a plateau schedule, ``n_iter_no_change`` with
  ``early_stopping``.
- The classifier always has a softmax output (two units for binary problems).
- The regressor minimises ½·Σ_outputs (y − ŷ)² averaged over samples (the quadratic cost).
"""
from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from . import registry
from .app.build import mlp_layers
from .core.activations import ActivationFunction
from .core.initializers import Initializer
from .core.layers import Dense
from .core.regularizers import L2
from .model import Sequential
from .optim import optimizers
from .training.callbacks import Callback, EarlyStopping

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
        return estimator._validate_data(X, y, **kwargs)
try:  # scikit-learn >= 1.3
    from sklearn.base import _fit_context
except ImportError:  # pragma: no cover - older scikit-learn
    import functools

    def _fit_context(*, prefer_skip_nested_validation):
        def decorator(fit_method):
            @functools.wraps(fit_method)
            def wrapper(estimator, *args, **kwargs):
                estimator._validate_params()
                return fit_method(estimator, *args, **kwargs)
            return wrapper
        return decorator

# scikit-learn's activation names -> layerwise's (the rest of scikit-learn's are layerwise's too)
_SKLEARN_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
# sparse formats handed to the model as they are (row slices are cheap); others become CSR
_SPARSE = ["csr", "csc"]
_FLOATS = (np.float64, np.float32)

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

    # -- parameters --------------------------------------------------------------------------------
    @property
    def _parameter_constraints(self) -> dict:
        """scikit-learn's constraints (its MLP's, where the parameters are shared); the names of
        activations, optimizers and initializers are read from the registry when checked, so
        names registered by the user are accepted too."""
        return {
            "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
            "activation": [StrOptions(set(_SKLEARN_ACTIVATIONS) | set(registry.names("activation"))),
                           ActivationFunction],
            "solver": [StrOptions(set(registry.names("optimizer")))],
            "alpha": [Interval(Real, 0, None, closed="left")],
            "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
            "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
            "max_iter": [Interval(Integral, 1, None, closed="left")],
            "shuffle": ["boolean"],
            "random_state": ["random_state"],
            "tol": [Interval(Real, 0, None, closed="left")],
            "verbose": ["verbose"],
            "warm_start": ["boolean"],
            "momentum": [Interval(Real, 0, 1, closed="both")],
            "nesterovs_momentum": ["boolean"],
            "early_stopping": ["boolean"],
            "validation_fraction": [Interval(Real, 0, 1, closed="left")],
            "beta_1": [Interval(Real, 0, 1, closed="left")],
            "beta_2": [Interval(Real, 0, 1, closed="left")],
            "epsilon": [Interval(Real, 0, None, closed="neither")],
            "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
            "dropout": [Interval(Real, 0, 1, closed="left")],
            "batch_norm": ["boolean"],
            "initializer": [StrOptions({"auto"} | set(registry.names("initializer"))), Initializer, dict],
            "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64}),
                      Options(np.dtype, {np.dtype(np.float32), np.dtype(np.float64)})],
        }

    def _validate_params(self):
        if isinstance(self.solver, str) and self.solver == "lbfgs":
            raise InvalidParameterError(
                f"The 'solver' parameter of {type(self).__name__} must be one of layerwise's optimizers "
                f"{sorted(registry.names('optimizer'))}. Got 'lbfgs' instead: scikit-learn's L-BFGS solver "
                "is not offered by layerwise; use 'adam' or 'sgd'.")
        super()._validate_params()

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(np.ravel(sizes))
        if any(isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s <= 0 for s in sizes):
            raise InvalidParameterError(f"hidden_layer_sizes must be positive integers, got "
                                        f"{self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _activation(self):
        """The hidden activation by layerwise's name (scikit-learn's names mapped) or object."""
        if isinstance(self.activation, str):
            return _SKLEARN_ACTIVATIONS.get(self.activation, self.activation)
        return self.activation

    # -- building ----------------------------------------------------------------------------------
    def _batch(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            # stacklevel 1, as scikit-learn's MLP: the fit path's depth varies with _fit_context
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                          stacklevel=1)
        return min(int(self.batch_size), n)

    def _optimizer(self):
        name = self.solver
        if name == "sgd":
            return optimizers.SGD(self.learning_rate_init, momentum=self.momentum,
                                  nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        if name in ("adam", "adamw", "adamax", "nadam"):
            return optimizers.get(name, learning_rate=self.learning_rate_init, beta_1=self.beta_1,
                                  beta_2=self.beta_2, epsilon=self.epsilon)
        if name in ("momentum", "nesterov"):
            return optimizers.get(name, learning_rate=self.learning_rate_init, momentum=self.momentum)
        return optimizers.get(name, learning_rate=self.learning_rate_init)

    @staticmethod
    def _l2_strength(alpha, batch, sample_weight):
        """scikit-learn's L2 term (α/2)·‖W‖²/Σw per batch, as a constant per fit: Σw is taken as
        the batch size times the mean weight (exact for full batches and unweighted ones)."""
        total = float(batch) if sample_weight is None else float(batch) * float(np.mean(sample_weight))
        return alpha / (2.0 * total) if alpha and total > 0 else 0.0

    def _build(self, n_features, n_outputs, l2, seed):
        layers = mlp_layers([*self._hidden_sizes(), n_outputs], self._activation(), self._output_activation,
                            self.initializer, L2(l2) if l2 else None, None, self.batch_norm, self.dropout)
        model = Sequential(layers, input_shape=(n_features,), seed=seed, dtype=self.dtype)
        model.compile(self._optimizer(), self._loss, metrics=self._metrics())
        model.build()
        return model

    def _set_l2(self, l2):
        """A warm start keeps the model; its L2 strength follows this fit's batch and weights."""
        for layer in self.model_.layers:
            if isinstance(layer, Dense):
                if not l2:
                    layer.kernel_regularizer = None
                elif layer.kernel_regularizer is None:
                    layer.kernel_regularizer = L2(l2)
                else:
                    layer.kernel_regularizer.l2 = float(l2)

    def _metrics(self):
        return []

    def _stratify(self, Y):
        return None

    # -- training ----------------------------------------------------------------------------------
    def _split(self, X, Y, sample_weight, rng):
        """scikit-learn's early-stopping split: ``train_test_split`` with ``validation_fraction``
        and the fit's random state (stratified for classifiers)."""
        n = X.shape[0]
        if math.ceil(self.validation_fraction * n) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             f"(now {self.validation_fraction}) or the size of your dataset ({n} samples).")
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        parts = train_test_split(*arrays, random_state=rng, test_size=self.validation_fraction,
                                 stratify=self._stratify(Y))
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        if sample_weight is None:
            return X_tr, Y_tr, None, (X_val, Y_val)
        return X_tr, Y_tr, parts[4], (X_val, Y_val, parts[5])

    def _train(self, X, Y, incremental, sample_weight=None):
        epochs = 1 if incremental else self.max_iter
        # every seed of this fit from one random state, drawn in a fixed order (as scikit-learn's MLP)
        rng = check_random_state(self.random_state)
        fresh = not (hasattr(self, "model_") and (self.warm_start or incremental))
        seed = int(rng.randint(np.iinfo(np.int32).max)) if fresh else None
        fit_kwargs = {}
        early = self.early_stopping and not incremental
        if early:
            X, Y, sample_weight, fit_kwargs["validation_data"] = self._split(X, Y, sample_weight, rng)
        n = X.shape[0]
        batch = self._batch(n)
        l2 = self._l2_strength(self.alpha, batch, sample_weight)
        if fresh:
            self.model_ = self._build(X.shape[1], Y.shape[1] if Y.ndim == 2 else len(self.classes_), l2, seed)
            self.loss_curve_, self.validation_scores_ = [], ([] if self.early_stopping else None)
            self.best_loss_, self.best_validation_score_ = np.inf, (-np.inf if self.early_stopping else None)
            self.t_, self.n_iter_ = 0, 0
        else:
            self._set_l2(l2)
        callbacks = []
        stopper = None
        if not incremental and self.n_iter_no_change != np.inf:
            stopper = _NoImprovement(self._val_monitor, "auto", self.tol, int(self.n_iter_no_change)) if early \
                else _NoImprovement("loss", "min", self.tol, int(self.n_iter_no_change))
            callbacks.append(stopper)
        history = self.model_.fit(X, Y, batch_size=batch, epochs=epochs, shuffle=self.shuffle,
                                  verbose=2 if self.verbose else 0, callbacks=callbacks,
                                  sample_weight=sample_weight, **fit_kwargs)
        losses = history.history.get("loss", [])
        self.loss_curve_.extend(losses)
        self.best_loss_ = min([self.best_loss_, *losses])
        if early:
            scores = history.history.get(self._val_monitor, [])
            if self._val_monitor == "val_loss":
                scores = [-s for s in scores]
            self.validation_scores_.extend(scores)
            self.best_validation_score_ = max([self.best_validation_score_, *scores])
        self.n_iter_ += len(losses)
        self.t_ += len(losses) * n
        converged = stopper is not None and stopper.converged
        if not incremental and not converged and len(losses) == self.max_iter:
            warnings.warn(f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached and the "
                          "optimisation hasn't converged yet.", ConvergenceWarning, stacklevel=1)
        dense = [layer for layer in self.model_.layers if isinstance(layer, Dense)]
        self.coefs_ = [layer.params["kernel"].copy() for layer in dense]
        self.intercepts_ = [layer.params["bias"].copy() for layer in dense]
        self.n_layers_ = len(self.coefs_) + 1
        self.out_activation_ = self._out_activation_name
        return self

    def _predict_raw(self, X):
        check_is_fitted(self, "model_")
        X = _validate_data(self, X, reset=False, accept_sparse=_SPARSE, dtype=_FLOATS)
        return self.model_.predict(X)

    def _reset_features(self, incremental):
        """scikit-learn's rule: a fit starts afresh (new n_features_in_/feature_names_in_) unless it
        continues a model (warm_start, or partial_fit after the first call)."""
        return not (hasattr(self, "model_") and (self.warm_start or incremental))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier (softmax output, cross-entropy loss) on layerwise.

    After ``fit``: ``classes_``, ``model_`` (the layerwise Sequential), ``coefs_`` and
    ``intercepts_`` (each Dense layer's kernel (n_in, units) and bias), ``loss_curve_``,
    ``n_iter_``, ``best_loss_``, and with ``early_stopping`` ``validation_scores_`` (accuracy).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        The width of each hidden layer: ``(64, 32)`` is two hidden Dense layers.
    activation : str or ActivationFunction, default "relu"
        The hidden layers' activation: scikit-learn's names ("identity", "logistic", "tanh",
        "relu") or any of layerwise's ("gelu", "leaky_relu", a registered name).
    solver : str, default "adam"
        The optimizer: "sgd", "adam", "rmsprop", "adagrad", "adamw", "adamax", "nadam",
        "momentum", "nesterov" or a registered name ("lbfgs" is refused).
    alpha : float, default 0.0001
        L2 strength α ≥ 0: the penalty (α/2)·Σ‖W‖² over the batch's weight sum, on kernels only.
    batch_size : int or "auto", default "auto"
        Samples per mini-batch; "auto" is min(200, n).
    learning_rate_init : float, default 0.001
        The optimizer's learning rate η > 0.
    max_iter : int, default 200
        The most epochs one ``fit`` trains.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the early-stopping split (one draw per fit).
    tol : float, default 1e-4
        The improvement that counts for ``n_iter_no_change``.
    verbose : bool, default False
        Print each epoch's loss.
    warm_start : bool, default False
        A new ``fit`` continues from the fitted weights instead of starting afresh.
    momentum : float, default 0.9
        Momentum in [0, 1] for "sgd", "momentum" and "nesterov".
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd" (when ``momentum`` > 0).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified for the classifier) and
        stop when its score has not improved by ``tol`` for ``n_iter_no_change`` epochs, keeping
        the best weights. False: the training loss is watched instead.
    validation_fraction : float, default 0.1
        The held-out fraction in [0, 1) for ``early_stopping``.
    beta_1 : float, default 0.9
        β₁ in [0, 1) of the Adam family ("adam", "adamw", "adamax", "nadam").
    beta_2 : float, default 0.999
        β₂ in [0, 1) of the Adam family.
    epsilon : float, default 1e-8
        ε > 0 of the Adam family.
    n_iter_no_change : int or numpy.inf, default 10
        Epochs without an improvement of ``tol`` before training stops; inf: never stop early.
    dropout : float, default 0.0
        Dropout rate in [0, 1) after each hidden layer (layerwise's own).
    batch_norm : bool, default False
        A BatchNorm after each hidden Dense layer (layerwise's own).
    initializer : str, dict or Initializer, default "auto"
        The hidden layers' kernel initializer; "auto" picks the activation's own (He for the ReLU
        family, LeCun for SELU, Glorot otherwise).
    dtype : {"float32", "float64"}, default "float64"
        The model's floating-point type.
    """

    _output_activation = "softmax"
    _out_activation_name = "softmax"
    _loss = "categorical_crossentropy"
    _val_monitor = "val_accuracy"

    def _metrics(self):
        return ["accuracy"]

    def _stratify(self, Y):
        return Y  # the class codes, as scikit-learn stratifies a single-output classifier's split

    def _encode(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        codes = np.searchsorted(self.classes_, y)
        if (codes >= len(self.classes_)).any() or (self.classes_[np.minimum(codes, len(self.classes_) - 1)] != y).any():
            unseen = sorted(set(np.asarray(y).tolist()) - set(self.classes_.tolist()))
            raise ValueError(f"y contains labels {unseen[:5]} not among the classes {self.classes_.tolist()}")
        return codes

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y); ``sample_weight`` (n,) weighs each sample's loss (Σwℓ/Σw per batch).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).
        y : array-like of shape (n_samples,)
            The class labels (any values; ``classes_`` holds them sorted).
        sample_weight : array-like of shape (n_samples,) or None, default None
            A weight per sample; None weighs every sample 1.

        Returns
        -------
        MLPClassifier
            The fitted estimator itself.
        """
        X, y = _validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS, y_numeric=False,
                              multi_output=False, reset=self._reset_features(False))
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
        return self._train(X, codes, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One pass over (X, y). The first call needs ``classes`` (all labels that will occur).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).
        y : array-like of shape (n_samples,)
            The class labels, all among ``classes``.
        sample_weight : array-like of shape (n_samples,) or None, default None
            A weight per sample.
        classes : array-like or None, default None
            Every label that will occur: required on the first call, else optional (and it must
            then be the same).

        Returns
        -------
        MLPClassifier
            The estimator itself, one epoch further.
        """
        first = not hasattr(self, "model_")
        X, y = _validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS, reset=first)
        sample_weight = _check_sample_weight(sample_weight, X) if sample_weight is not None else None
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError("partial_fit needs at least 2 classes")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes).tolist()} differ from the first call's "
                             f"{self.classes_.tolist()}")
        return self._train(X, self._encode(y), incremental=True, sample_weight=sample_weight)

    def predict_proba(self, X):
        """The softmax output: the probability of each class.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows summing to 1, columns in the order of ``classes_``.
        """
        return self._predict_raw(X)

    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks fitted first
        return self.classes_[proba.argmax(axis=1)]

    def predict_log_proba(self, X):
        """ln of :meth:`predict_proba` (probabilities clipped at 1e-300, so never −inf).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        return np.log(np.clip(self.predict_proba(X), 1e-300, None))


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor (linear output, quadratic loss) on layerwise.

    After ``fit``: ``n_outputs_``, ``model_`` (the layerwise Sequential), ``coefs_`` and
    ``intercepts_`` (each Dense layer's kernel (n_in, units) and bias), ``loss_curve_``,
    ``n_iter_``, ``best_loss_``, and with ``early_stopping`` ``validation_scores_`` (−loss).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        The width of each hidden layer: ``(64, 32)`` is two hidden Dense layers.
    activation : str or ActivationFunction, default "relu"
        The hidden layers' activation: scikit-learn's names ("identity", "logistic", "tanh",
        "relu") or any of layerwise's ("gelu", "leaky_relu", a registered name).
    solver : str, default "adam"
        The optimizer: "sgd", "adam", "rmsprop", "adagrad", "adamw", "adamax", "nadam",
        "momentum", "nesterov" or a registered name ("lbfgs" is refused).
    alpha : float, default 0.0001
        L2 strength α ≥ 0: the penalty (α/2)·Σ‖W‖² over the batch's weight sum, on kernels only.
    batch_size : int or "auto", default "auto"
        Samples per mini-batch; "auto" is min(200, n).
    learning_rate_init : float, default 0.001
        The optimizer's learning rate η > 0.
    max_iter : int, default 200
        The most epochs one ``fit`` trains.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the early-stopping split (one draw per fit).
    tol : float, default 1e-4
        The improvement that counts for ``n_iter_no_change``.
    verbose : bool, default False
        Print each epoch's loss.
    warm_start : bool, default False
        A new ``fit`` continues from the fitted weights instead of starting afresh.
    momentum : float, default 0.9
        Momentum in [0, 1] for "sgd", "momentum" and "nesterov".
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd" (when ``momentum`` > 0).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified for the classifier) and
        stop when its score has not improved by ``tol`` for ``n_iter_no_change`` epochs, keeping
        the best weights. False: the training loss is watched instead.
    validation_fraction : float, default 0.1
        The held-out fraction in [0, 1) for ``early_stopping``.
    beta_1 : float, default 0.9
        β₁ in [0, 1) of the Adam family ("adam", "adamw", "adamax", "nadam").
    beta_2 : float, default 0.999
        β₂ in [0, 1) of the Adam family.
    epsilon : float, default 1e-8
        ε > 0 of the Adam family.
    n_iter_no_change : int or numpy.inf, default 10
        Epochs without an improvement of ``tol`` before training stops; inf: never stop early.
    dropout : float, default 0.0
        Dropout rate in [0, 1) after each hidden layer (layerwise's own).
    batch_norm : bool, default False
        A BatchNorm after each hidden Dense layer (layerwise's own).
    initializer : str, dict or Initializer, default "auto"
        The hidden layers' kernel initializer; "auto" picks the activation's own (He for the ReLU
        family, LeCun for SELU, Glorot otherwise).
    dtype : {"float32", "float64"}, default "float64"
        The model's floating-point type.
    """

    _output_activation = "linear"
    _out_activation_name = "identity"
    _loss = "quadratic"
    _val_monitor = "val_loss"

    def _targets(self, y):
        """y as the model's 2-D targets; a single column (n, 1) is raveled with scikit-learn's
        DataConversionWarning, as its MLPRegressor does, and predictions are then (n,)."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y = np.asarray(y, dtype=np.float64)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return y.reshape(y.shape[0], -1)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y); ``sample_weight`` (n,) weighs each sample's loss (Σwℓ/Σw per batch).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The real-valued targets.
        sample_weight : array-like of shape (n_samples,) or None, default None
            A weight per sample; None weighs every sample 1.

        Returns
        -------
        MLPRegressor
            The fitted estimator itself.
        """
        X, y = _validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS, multi_output=True,
                              y_numeric=True, reset=self._reset_features(False))
        sample_weight = _check_sample_weight(sample_weight, X) if sample_weight is not None else None
        return self._train(X, self._targets(y), incremental=False, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One pass over (X, y).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The real-valued targets (the same number of outputs on every call).
        sample_weight : array-like of shape (n_samples,) or None, default None
            A weight per sample.

        Returns
        -------
        MLPRegressor
            The estimator itself, one epoch further.
        """
        first = not hasattr(self, "model_")
        X, y = _validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS, multi_output=True,
                              y_numeric=True, reset=first)
        sample_weight = _check_sample_weight(sample_weight, X) if sample_weight is not None else None
        return self._train(X, self._targets(y), incremental=True, sample_weight=sample_weight)

    def predict(self, X):
        """The network's output for each sample.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs (CSR and CSC are used as they are; DataFrames record their column names).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; 1-D when the model has a single output.
        """
        out = self._predict_raw(X)
        return out.ravel() if out.shape[1] == 1 else out
