import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from layerwise.sklearn import MLPClassifier, MLPRegressor

# Every scikit-learn estimator check runs. scikit-learn itself skips two where the environment
# lacks what they need: check_array_api_input (only for estimators declaring array-API support,
# which these do not) and the pandas checks when pandas is not installed (it is in the test extra).


# One check is an expected failure, as for scikit-learn's own MLPs: weight 2 equals repeating a
# row only for full-batch gradient descent (tests/test_weights.py proves that exactly); with
# shuffled mini-batches the repeated rows change the batches, so the fitted models differ.
WEIGHT_EQUIVALENCE = {"check_sample_weight_equivalence_on_dense_data":
                      "mini-batch training: repeated rows change the batches (full-batch GD is exact)"}


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)],
                         expected_failed_checks=lambda est: WEIGHT_EQUIVALENCE)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return train_test_split(d.data / 16.0, d.target, test_size=0.25, random_state=0, stratify=d.target)


def test_classifier_on_digits_with_sklearn_names(digits):
    x_tr, x_te, y_tr, y_te = digits
    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0, early_stopping=True,
                        n_iter_no_change=50, dropout=0.1, batch_norm=True)
    clf.fit(x_tr, y_tr)
    assert clf.score(x_te, y_te) > 0.95
    assert len(clf.loss_curve_) == clf.n_iter_ and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    proba = clf.predict_proba(x_te)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-9)
    assert [c.shape for c in clf.coefs_] == [(64, 64), (64, 10)]


def test_string_labels_partial_fit_and_warm_start(digits):
    x_tr, _, y_tr, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    clf = MLPClassifier(hidden_layer_sizes=(32,), random_state=0, solver="sgd", learning_rate_init=0.1)
    for _ in range(5):
        clf.partial_fit(x_tr, names[y_tr], classes=names)
    assert clf.n_iter_ == 5 and set(clf.predict(x_tr[:20])) <= set(names)
    assert clf.score(x_tr, names[y_tr]) > 0.8
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(x_tr[:3], ["eleven"] * 3)
    warm = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(x_tr, y_tr)
        first = warm.coefs_[0].copy()
        warm.fit(x_tr, y_tr)
    assert warm.n_iter_ == 6 and not np.array_equal(first, warm.coefs_[0])


def test_regressor_in_a_pipeline():
    x, y = make_regression(n_samples=400, n_features=6, noise=1.0, random_state=0)
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300,
                                                         learning_rate_init=0.01, random_state=0))
    model.fit(x[:300], y[:300] / 100)
    assert model.score(x[300:], y[300:] / 100) > 0.95
    assert model.predict(x[:5]).shape == (5,)


def test_grid_search_and_pickle(digits):
    x_tr, x_te, y_tr, y_te = digits
    search = GridSearchCV(MLPClassifier(max_iter=20, random_state=0),
                          {"hidden_layer_sizes": [(16,), (64,)], "learning_rate_init": [1e-3, 1e-2]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(x_tr, y_tr)
    assert search.best_params_["learning_rate_init"] == 1e-2
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(x_te), search.predict(x_te))


def test_unsupported_choices_are_clear():
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="lbfgs").fit(x, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(0,)).fit(x, y)
