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
# The sample-weight equivalence checks pass too: their data (15 rows, about 30 when repeated) fits
# one "auto" batch (min(200, n)), so training is full-batch and, with the L2 term divided by Σw as
# scikit-learn's, a weight of 2 is exactly a repeated row (the mini-batch case is below).


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
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


# -- scikit-learn's parameter validation, names and semantics -------------------------------------

def _xy(n=60, seed=0):
    r = np.random.RandomState(seed)
    x = r.rand(n, 4)
    return x, (x[:, 0] + x[:, 1] > 1).astype(int)


@pytest.mark.parametrize("est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("param, value", [
    ("alpha", "x"), ("alpha", -1.0), ("learning_rate_init", 0.0), ("hidden_layer_sizes", "5"),
    ("hidden_layer_sizes", (4, 0)), ("hidden_layer_sizes", (4, 2.5)), ("batch_size", 0),
    ("batch_size", "all"), ("max_iter", 0), ("max_iter", 2.5), ("tol", -1e-3), ("n_iter_no_change", 0),
    ("validation_fraction", 1.0), ("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", 0.0), ("momentum", 1.5),
    ("activation", "softsign"), ("solver", "lbfgs"), ("solver", "bogus"), ("shuffle", "yes"),
    ("random_state", "seed"), ("dropout", 1.0), ("batch_norm", 1.5), ("initializer", "bogus"),
    ("dtype", "int32"), ("early_stopping", "no"), ("warm_start", None), ("nesterovs_momentum", 2),
])
def test_every_bad_hyperparameter_is_named(est, param, value):
    x, y = _xy()
    with pytest.raises(ValueError, match=param):
        est(**{"max_iter": 2, param: value}).fit(x, y)


def test_partial_fit_validates_too():
    x, y = _xy()
    with pytest.raises(ValueError, match="alpha"):
        MLPClassifier(alpha="x").partial_fit(x, y, classes=[0, 1])
    with pytest.raises(ValueError, match="n_iter_no_change"):
        MLPRegressor(n_iter_no_change=0).partial_fit(x, y)


def test_n_iter_no_change_inf_runs_max_iter():
    x, y = _xy()
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=7, n_iter_no_change=np.inf, tol=10.0).fit(x, y)
    assert clf.n_iter_ == 7


@pytest.mark.parametrize("sk, lw", [("logistic", "sigmoid"), ("identity", "linear"), ("tanh", "tanh"),
                                    ("relu", "relu")])
def test_sklearn_activation_names(sk, lw):
    x, y = _xy()
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier(activation=sk, **kw).fit(x, y)
        b = MLPClassifier(activation=lw, **kw).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    assert a.get_params()["activation"] == sk  # the estimator keeps what it was given (clone-safe)


@pytest.mark.parametrize("est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("make_state", [lambda: np.random.RandomState(0), lambda: 3],
                         ids=["RandomState", "int"])
def test_random_state_gives_the_same_model(est, make_state):
    x, y = _xy(100)
    kw = dict(hidden_layer_sizes=(8,), max_iter=15, early_stopping=True, n_iter_no_change=3, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = est(random_state=make_state(), **kw).fit(x, y)
        b = est(random_state=make_state(), **kw).fit(x, y)
        c = est(random_state=np.random.RandomState(1), **kw).fit(x, y)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert a.validation_scores_ == b.validation_scores_
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_a_random_state_object_is_consumed_as_in_sklearn():
    # scikit-learn draws from the same object on every fit: a refit gives another model
    x, y = _xy()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=np.random.RandomState(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = clf.fit(x, y).coefs_[0].copy()
        assert not np.array_equal(first, clf.fit(x, y).coefs_[0])


def test_regressor_column_target_predicts_1d_and_warns():
    from sklearn.exceptions import DataConversionWarning
    x, _ = _xy()
    y = x @ np.array([1.0, -2.0, 0.5, 0.0])
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(DataConversionWarning, match="column-vector"):
            col = MLPRegressor(**kw).fit(x, y.reshape(-1, 1))
        flat = MLPRegressor(**kw).fit(x, y)
        two = MLPRegressor(**kw).fit(x, np.c_[y, -y])
    assert col.predict(x).shape == (len(x),) and col.n_outputs_ == 1
    np.testing.assert_array_equal(col.predict(x), flat.predict(x))
    assert two.predict(x).shape == (len(x), 2) and two.n_outputs_ == 2


@pytest.mark.parametrize("est", [MLPClassifier, MLPRegressor])
def test_l2_is_divided_by_the_weight_sum(est):
    # full batch: the penalty (α/2)·‖W‖²/Σw, as scikit-learn's, so weights equal repeated rows even
    # with a strong alpha (with rows as the divisor the two fits would differ)
    x, y = _xy(40)
    w = np.random.RandomState(1).randint(0, 4, size=len(x))
    kw = dict(hidden_layer_sizes=(8,), alpha=5.0, max_iter=30, batch_size=200, shuffle=False,
              random_state=0, solver="sgd", learning_rate_init=0.05, n_iter_no_change=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = est(**kw).fit(x, y, sample_weight=w)
        repeated = est(**kw).fit(np.repeat(x, w, axis=0), np.repeat(y, w))
    assert weighted.model_.layers[0].kernel_regularizer.l2 == pytest.approx(5.0 / (2 * w.sum()))
    np.testing.assert_allclose(weighted.coefs_[0], repeated.coefs_[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("est", [MLPClassifier, MLPRegressor])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_sample_weight_equivalence_full_batch_sgd(est):
    # scikit-learn's check on an explicitly full-batch configuration (one batch for any n up to
    # 256, no shuffling, plain gradient descent, no early stop), as its own MLP tests run it
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data
    check_sample_weight_equivalence_on_dense_data(
        est.__name__, est(solver="sgd", batch_size=256, shuffle=False, max_iter=100, n_iter_no_change=1000,
                          learning_rate_init=0.01, random_state=42))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dataframe_feature_names():
    pd = pytest.importorskip("pandas")
    x, y = _xy()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "d"] and clf.n_features_in_ == 4
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict(frame[["d", "c", "b", "a"]])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(x)
    # a warm start continues the model, so its features are checked, not reset (scikit-learn's rule)
    warm = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(frame, y)
    with pytest.raises(ValueError, match="Feature names"):
        warm.fit(frame.rename(columns={"a": "z"}), y)
    with pytest.raises(ValueError, match="4 features"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names" first
        warm.fit(x[:, :3], y)


@pytest.mark.parametrize("est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "coo_matrix", "csr_array"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sparse_input_fits_like_dense(est, fmt):
    # scikit-learn's MLP takes SciPy sparse matrices; they go to the model as they are (CSR/CSC,
    # other formats as CSR), never densified whole here
    sparse = pytest.importorskip("scipy.sparse")
    x, y = _xy(80)
    x[x < 0.5] = 0.0
    xs = getattr(sparse, fmt)(x)
    kw = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0, early_stopping=True, n_iter_no_change=3)
    dense = est(**kw).fit(x, y)
    fitted = est(**kw).fit(xs, y)
    np.testing.assert_allclose(fitted.predict(xs), dense.predict(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fitted.predict(x), dense.predict(x), rtol=1e-9, atol=1e-12)
