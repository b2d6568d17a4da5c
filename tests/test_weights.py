"""Sample and class weights: the weighted mean Σwᵢℓᵢ/Σwᵢ, so that (in full-batch gradient descent,
float64) a zero weight equals leaving the sample out and a weight of 2 equals repeating it."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

import layerwise as lw
from layerwise.errors import DataError


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = (x @ rng.normal(size=(5, 3))).argmax(1)
    return x, y


def _model(loss="categorical_crossentropy", out=3, act="softmax"):
    m = lw.Sequential([lw.Dense(7, "tanh"), lw.Dense(out, act)], input_shape=(5,), seed=4, dtype="float64")
    m.compile(lw.SGD(0.3, momentum=0.5), loss, metrics=["accuracy"] if out > 1 else None)
    return m


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse", "quadratic", "huber"])
def test_zero_weight_is_the_same_as_leaving_the_sample_out(loss):
    x, y = _data()
    w = np.ones(len(x))
    w[::4] = 0.0
    a, b = _model(loss), _model(loss)
    a.fit(x, y, batch_size=len(x), epochs=15, verbose=0, sample_weight=w)
    b.fit(x[w > 0], y[w > 0], batch_size=int((w > 0).sum()), epochs=15, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-12, atol=1e-14)
    assert a.history.history["loss"] == pytest.approx(b.history.history["loss"], rel=1e-12)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_weight_two_is_the_same_as_repeating_the_sample(loss):
    x, y = _data()
    w = np.ones(len(x))
    w[:10] = 2.0
    xr, yr = np.concatenate([x, x[:10]]), np.concatenate([y, y[:10]])
    a, b = _model(loss), _model(loss)
    a.fit(x, y, batch_size=len(x), epochs=15, verbose=0, sample_weight=w)
    b.fit(xr, yr, batch_size=len(xr), epochs=15, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-12, atol=1e-14)


def test_class_weight_equals_the_matching_sample_weights():
    x, y = _data()
    cw = {0: 3.0, 2: 0.5}
    a, b = _model(), _model()
    a.fit(x, y, batch_size=16, epochs=3, verbose=0, class_weight=cw, shuffle=False)
    b.fit(x, y, batch_size=16, epochs=3, verbose=0, sample_weight=np.vectorize(lambda c: cw.get(c, 1.0))(y),
          shuffle=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_weighted_evaluate_equals_sklearn_weighted_metrics():
    x, y = _data(200)
    m = _model()
    m.compile(lw.SGD(0.3), "categorical_crossentropy", metrics=["accuracy", "f1_macro"])
    m.fit(x, y, epochs=3, verbose=0)
    w = np.random.default_rng(1).random(len(x)) * 3
    res = m.evaluate(x, y, sample_weight=w, batch_size=37)
    p = m.predict(x)
    assert res["accuracy"] == pytest.approx(skm.accuracy_score(y, p.argmax(1), sample_weight=w))
    assert res["f1_macro"] == pytest.approx(skm.f1_score(y, p.argmax(1), average="macro", sample_weight=w))
    assert res["loss"] == pytest.approx(skm.log_loss(y, p, sample_weight=w), rel=1e-9)


def test_weighted_regression_metrics_equal_sklearn():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(150, 5))
    y = x @ rng.normal(size=(5, 2))
    m = lw.Sequential([lw.Dense(2)], input_shape=(5,), seed=0, dtype="float64")
    m.compile("adam", "mse", metrics=["mae", "rmse", "r2"])
    m.fit(x, y, epochs=2, verbose=0)
    w = rng.random(len(x))
    res, p = m.evaluate(x, y, sample_weight=w, batch_size=40), m.predict(x)
    assert res["mae"] == pytest.approx(skm.mean_absolute_error(y, p, sample_weight=w))
    assert res["rmse"] == pytest.approx(skm.root_mean_squared_error(y, p, sample_weight=w))
    assert res["r2"] == pytest.approx(skm.r2_score(y, p, sample_weight=w))
    assert res["loss"] == pytest.approx(skm.mean_squared_error(y, p, sample_weight=w))


@pytest.mark.parametrize("weights, match", [
    (np.ones(59), r"shape \(59,\); expected \(60,\)"),
    (np.r_[np.ones(59), -1.0], "negative weight -1.0 at index 59"),
    (np.r_[np.ones(59), np.nan], "contains nan at index 59"),
    (np.zeros(60), "every weight is 0"),
])
def test_bad_weights_are_refused_by_name(weights, match):
    x, y = _data()
    with pytest.raises(DataError, match=match):
        _model().fit(x, y, sample_weight=weights, verbose=0)


def test_class_weight_needs_classes():
    x, _ = _data()
    m = lw.Sequential([lw.Dense(2)], input_shape=(5,), seed=0)
    m.compile("sgd", "mse")
    with pytest.raises(DataError, match="class_weight needs class labels"):
        m.fit(x, np.random.default_rng(0).normal(size=(60, 2)), class_weight={0: 2.0}, verbose=0)


def test_weighted_fit_resumes_mid_epoch_exactly(tmp_path):
    x, y = _data(120)
    w = np.random.default_rng(3).random(len(x)) + 0.1

    class Stop(lw.callbacks.Callback):
        def __init__(self, armed):
            super().__init__()
            self.armed = armed

        def on_batch_end(self, batch, logs=None):
            if self.armed and self.model.optimizer.iterations == 11:
                raise KeyboardInterrupt

    full = _model().fit(x, y, batch_size=16, epochs=2, verbose=0, sample_weight=w, callbacks=[Stop(False)]).history
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=16, epochs=2, verbose=0, sample_weight=w, checkpoint=tmp_path / "c",
                     checkpoint_every=2, callbacks=[Stop(True)])
    again = _model().fit(x, y, batch_size=16, epochs=2, verbose=0, sample_weight=w, checkpoint=tmp_path / "c",
                         resume=True, callbacks=[Stop(False)]).history
    assert again["loss"] == full["loss"] and again["accuracy"] == full["accuracy"]


def test_sklearn_estimators_take_sample_weight():
    from layerwise.sklearn import MLPClassifier, MLPRegressor
    x, y = _data(80)
    w = np.ones(len(x))
    w[::3] = 0
    a = MLPClassifier(hidden_layer_sizes=(6,), batch_size=len(x), max_iter=5, random_state=0, shuffle=False,
                      solver="sgd").fit(x, y, sample_weight=w)
    b = MLPClassifier(hidden_layer_sizes=(6,), batch_size=int((w > 0).sum()), max_iter=5, random_state=0,
                      shuffle=False, solver="sgd").fit(x[w > 0], y[w > 0])
    for ca, cb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(ca, cb, rtol=1e-5, atol=1e-6)
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(x, x[:, 0], sample_weight=w + 1)
