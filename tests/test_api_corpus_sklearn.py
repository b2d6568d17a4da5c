"""The Python-API misuse corpus for the scikit-learn estimators (layerwise.sklearn): each case is
a call a scikit-learn user could make, and it must end as scikit-learn's own MLP would — an error
naming the parameter, scikit-learn's warning, or the same (correct) result."""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from helpers.api_corpus import Case, Raises, Warns, Works, parametrize, run_case
from layerwise.sklearn import MLPClassifier, MLPRegressor

_r = np.random.RandomState(0)
X = _r.rand(60, 4)
Y = (X[:, 0] + X[:, 1] > 1).astype(int)
YR = X @ np.array([1.0, -2.0, 0.5, 0.0])
SMALL = dict(hidden_layer_sizes=(8,), max_iter=5)


def _quiet(fn):
    """Run ``fn`` with ConvergenceWarning silenced (the cases train for a few epochs only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn()


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def _fit_predict(est, x=X, y=Y, x_pred=None, **kw):
    return _quiet(lambda: est(**{**SMALL, **kw}).fit(x, y).predict(X if x_pred is None else x_pred))


def _frame(columns=("a", "b", "c", "d")):
    import pandas as pd
    return pd.DataFrame(X, columns=list(columns))


def _fitted_on_frame():
    return _quiet(lambda: MLPClassifier(**SMALL, random_state=0).fit(_frame(), Y))


def _weighted_vs_repeated(est):
    w = np.random.RandomState(1).randint(0, 4, size=len(X))
    y = Y if est is MLPClassifier else YR
    kw = dict(alpha=5.0, batch_size=200, shuffle=False, solver="sgd", learning_rate_init=0.05,
              n_iter_no_change=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = est(**SMALL, **kw).fit(X, y, sample_weight=w).predict(X)
        b = est(**SMALL, **kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w)).predict(X)
    return np.allclose(a, b, rtol=1e-9, atol=1e-12)


def _sparse(fmt):
    import scipy.sparse as sp
    x = np.where(X < 0.5, 0.0, X)
    kw = dict(random_state=0, early_stopping=True, n_iter_no_change=3)
    dense = _fit_predict(MLPClassifier, x=x, x_pred=x, **kw)
    return _same(_fit_predict(MLPClassifier, x=getattr(sp, fmt)(x), x_pred=getattr(sp, fmt)(x), **kw), dense)


CASES = [
    # 1. every hyperparameter is checked at fit, and the error names it
    Case("alpha-string", lambda: MLPClassifier(alpha="x").fit(X, Y), Raises(ValueError, "alpha")),
    Case("alpha-negative", lambda: MLPRegressor(alpha=-1).fit(X, YR), Raises(ValueError, "alpha")),
    Case("learning_rate_init-zero", lambda: MLPClassifier(learning_rate_init=0).fit(X, Y),
         Raises(ValueError, "learning_rate_init")),
    Case("hidden_layer_sizes-zero", lambda: MLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, Y),
         Raises(ValueError, "hidden_layer_sizes")),
    Case("hidden_layer_sizes-string", lambda: MLPClassifier(hidden_layer_sizes="10").fit(X, Y),
         Raises(ValueError, "hidden_layer_sizes")),
    Case("batch_size-zero", lambda: MLPClassifier(batch_size=0).fit(X, Y), Raises(ValueError, "batch_size")),
    Case("batch_size-float", lambda: MLPClassifier(batch_size=32.5).fit(X, Y), Raises(ValueError, "batch_size")),
    Case("max_iter-zero", lambda: MLPClassifier(max_iter=0).fit(X, Y), Raises(ValueError, "max_iter")),
    Case("tol-negative", lambda: MLPRegressor(tol=-1).fit(X, YR), Raises(ValueError, "tol")),
    Case("validation_fraction-one", lambda: MLPClassifier(validation_fraction=1.0).fit(X, Y),
         Raises(ValueError, "validation_fraction")),
    Case("validation_fraction-too-small", lambda: MLPClassifier(early_stopping=True, validation_fraction=0.01)
         .fit(X, Y), Raises(ValueError, "validation_fraction")),
    Case("beta_1-one", lambda: MLPClassifier(beta_1=1.0).fit(X, Y), Raises(ValueError, "beta_1")),
    Case("beta_2-negative", lambda: MLPClassifier(beta_2=-0.5).fit(X, Y), Raises(ValueError, "beta_2")),
    Case("epsilon-zero", lambda: MLPClassifier(epsilon=0).fit(X, Y), Raises(ValueError, "epsilon")),
    Case("momentum-above-one", lambda: MLPClassifier(solver="sgd", momentum=1.5).fit(X, Y),
         Raises(ValueError, "momentum")),
    Case("activation-unknown", lambda: MLPClassifier(activation="softsign").fit(X, Y),
         Raises(ValueError, "activation softsign")),
    Case("solver-lbfgs", lambda: MLPClassifier(solver="lbfgs").fit(X, Y), Raises(ValueError, "solver lbfgs")),
    Case("solver-unknown", lambda: MLPRegressor(solver="newton").fit(X, YR), Raises(ValueError, "solver")),
    Case("shuffle-string", lambda: MLPClassifier(shuffle="yes").fit(X, Y), Raises(ValueError, "shuffle")),
    Case("random_state-string", lambda: MLPClassifier(random_state="seed").fit(X, Y),
         Raises(ValueError, "random_state")),
    Case("dropout-one", lambda: MLPClassifier(dropout=1.0).fit(X, Y), Raises(ValueError, "dropout")),
    Case("dtype-int", lambda: MLPClassifier(dtype="int32").fit(X, Y), Raises(ValueError, "dtype")),
    Case("partial_fit-validates", lambda: MLPClassifier(alpha="x").partial_fit(X, Y, classes=[0, 1]),
         Raises(ValueError, "alpha")),
    # 2. scikit-learn's activation names
    Case("activation-logistic", lambda: _same(_fit_predict(MLPClassifier, activation="logistic", random_state=0),
                                              _fit_predict(MLPClassifier, activation="sigmoid", random_state=0)),
         Works(lambda same: same)),
    Case("activation-identity", lambda: _same(_fit_predict(MLPRegressor, y=YR, activation="identity", random_state=0),
                                              _fit_predict(MLPRegressor, y=YR, activation="linear", random_state=0)),
         Works(lambda same: same)),
    Case("activation-tanh-relu", lambda: [_fit_predict(MLPClassifier, activation=a) for a in ("tanh", "relu")],
         Works(lambda preds: all(p.shape == (len(X),) for p in preds))),
    # 3. n_iter_no_change >= 1 (or np.inf, as scikit-learn)
    Case("n_iter_no_change-zero", lambda: MLPClassifier(n_iter_no_change=0).fit(X, Y),
         Raises(ValueError, "n_iter_no_change")),
    Case("n_iter_no_change-zero-regressor", lambda: MLPRegressor(n_iter_no_change=0).fit(X, YR),
         Raises(ValueError, "n_iter_no_change")),
    Case("n_iter_no_change-inf", lambda: MLPClassifier(**SMALL, n_iter_no_change=np.inf).fit(X, Y),
         Warns(ConvergenceWarning, "maximum iterations")),
    # 4. the same random state gives the same model, early stopping included
    Case("random_state-RandomState-early_stopping",
         lambda: _same(_fit_predict(MLPClassifier, early_stopping=True, random_state=np.random.RandomState(0)),
                       _fit_predict(MLPClassifier, early_stopping=True, random_state=np.random.RandomState(0))),
         Works(lambda same: same)),
    Case("random_state-RandomState-regressor",
         lambda: _same(_fit_predict(MLPRegressor, y=YR, early_stopping=True, dropout=0.2,
                                    random_state=np.random.RandomState(0)),
                       _fit_predict(MLPRegressor, y=YR, early_stopping=True, dropout=0.2,
                                    random_state=np.random.RandomState(0))),
         Works(lambda same: same)),
    Case("random_state-int-early_stopping",
         lambda: _same(_fit_predict(MLPClassifier, early_stopping=True, random_state=7),
                       _fit_predict(MLPClassifier, early_stopping=True, random_state=7)),
         Works(lambda same: same)),
    # 5. a column target: scikit-learn's DataConversionWarning, and 1-D predictions
    Case("regressor-column-y-warns", lambda: _quiet(lambda: MLPRegressor(**SMALL).fit(X, YR.reshape(-1, 1))),
         Warns(DataConversionWarning, "column-vector y")),
    Case("regressor-column-y-predicts-1d", lambda: _fit_predict(MLPRegressor, y=YR.reshape(-1, 1)),
         Works(lambda pred: pred.shape == (len(X),))),
    Case("classifier-column-y-warns", lambda: _quiet(lambda: MLPClassifier(**SMALL).fit(X, Y.reshape(-1, 1))),
         Warns(DataConversionWarning, "column-vector y")),
    # 6. the L2 term is divided by Σ sample weights: weights equal repeated rows (full batch)
    Case("weights-equal-repeats-classifier", lambda: _weighted_vs_repeated(MLPClassifier),
         Works(lambda same: same)),
    Case("weights-equal-repeats-regressor", lambda: _weighted_vs_repeated(MLPRegressor),
         Works(lambda same: same)),
    # 7. DataFrames: feature names recorded and checked
    Case("dataframe-names-recorded", _fitted_on_frame,
         Works(lambda clf: list(clf.feature_names_in_) == ["a", "b", "c", "d"] and clf.n_features_in_ == 4)),
    Case("dataframe-reordered-refused", lambda: _fitted_on_frame().predict(_frame()[["d", "c", "b", "a"]]),
         Raises(ValueError, "feature names same order")),
    Case("dataframe-renamed-refused", lambda: _fitted_on_frame().predict(_frame(("a", "b", "c", "e"))),
         Raises(ValueError, "feature names")),
    Case("dataframe-then-array-warns", lambda: _fitted_on_frame().predict(X),
         Warns(UserWarning, "does not have valid feature names")),
    Case("wrong-feature-count", lambda: _quiet(lambda: MLPClassifier(**SMALL).fit(X, Y)).predict(X[:, :3]),
         Raises(ValueError, "3 features expecting 4")),
    # 8. SciPy sparse matrices, as scikit-learn's MLP takes them
    Case("sparse-csr", lambda: _sparse("csr_matrix"), Works(lambda same: same)),
    Case("sparse-csc", lambda: _sparse("csc_matrix"), Works(lambda same: same)),
    Case("sparse-coo", lambda: _sparse("coo_matrix"), Works(lambda same: same)),
    Case("sparse-csr-array", lambda: _sparse("csr_array"), Works(lambda same: same)),
]


@parametrize(CASES)
def test_api_corpus_sklearn(case):
    run_case(case)
