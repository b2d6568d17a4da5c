"""Property-based tests (hypothesis) of the numerical core."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import layerwise as lw
from layerwise import activations, gradcheck, losses

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]


def away_from_kinks(x):
    x = np.where(np.abs(x) < 1e-2, 0.5, x)  # finite differences straddling relu's kink are not derivatives
    return x


@SETTINGS
@given(n=st.integers(1, 6), n_in=st.integers(1, 5), units=st.integers(1, 5), act=st.sampled_from(ACTS),
       seed=st.integers(0, 2**16), training=st.booleans())
def test_dense_gradcheck_any_shape(n, n_in, units, act, seed, training):
    rng = np.random.default_rng(seed)
    layer = lw.Dense(units, act, kernel_initializer="glorot_normal", bias_initializer="normal")
    layer.build((n_in,), rng, np.float64)
    x = away_from_kinks(rng.normal(size=(n, n_in)))
    z = x @ layer.params["kernel"] + layer.params["bias"]
    if act in ("relu", "leaky_relu", "elu") and (np.abs(z) < 1e-4).any():
        return  # a pre-activation on the kink
    assert gradcheck(layer, x, training=training).max_error < 1e-6


@SETTINGS
@given(n=st.integers(2, 8), k=st.integers(2, 6), seed=st.integers(0, 2**16),
       loss=st.sampled_from(["categorical_crossentropy", "log_likelihood", "mse", "quadratic"]),
       sparse=st.booleans())
def test_model_gradcheck_any_batch(n, k, seed, loss, sparse):
    rng = np.random.default_rng(seed)
    model = lw.Sequential([lw.Dense(4, "tanh"), lw.BatchNorm(), lw.Dense(k, "softmax")], input_shape=(3,),
                          seed=seed, dtype="float64")
    model.compile("sgd", loss)
    y = rng.integers(0, k, n)
    assert gradcheck(model, rng.normal(size=(n, 3)), y if sparse else np.eye(k)[y]).max_error < 1e-6


@SETTINGS
@given(logits=st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=8), label=st.integers(0, 7))
def test_losses_are_finite_for_extreme_logits(logits, label):
    z = np.array([logits])
    label = label % z.shape[1]
    ce = losses.CategoricalCrossentropy(from_logits=True)
    assert np.isfinite(ce.value(z, np.array([label])))
    assert np.isfinite(ce.grad(z, np.array([label]))).all()
    bce = losses.BinaryCrossentropy(from_logits=True)
    t = (np.arange(z.shape[1]) % 2).astype(float)[None, :]
    assert np.isfinite(bce.value(z, t)) and np.isfinite(bce.grad(z, t)).all()
    p = activations.get("softmax").value(z.copy())
    assert np.isfinite(p).all() and abs(p.sum() - 1) < 1e-9
    assert np.isfinite(losses.CategoricalCrossentropy().value(p, np.array([label])))


@SETTINGS
@given(rows=st.integers(1, 5), cols=st.integers(1, 9), scale=st.floats(1e-3, 1e4), seed=st.integers(0, 2**16))
def test_softmax_rows_sum_to_one(rows, cols, scale, seed):
    z = np.random.default_rng(seed).normal(size=(rows, cols)) * scale
    p = activations.get("softmax").value(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert (p >= 0).all()


@SETTINGS
@given(name=st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]),
       seed=st.integers(0, 2**16), scale=st.floats(1e-8, 1e6), steps=st.integers(1, 20))
def test_optimizers_never_make_nan_from_finite_gradients(name, seed, scale, steps):
    rng = np.random.default_rng(seed)
    opt = lw.optimizers.get(name, learning_rate=1e-3)
    w = rng.normal(size=50).astype(np.float32)
    for _ in range(steps):
        opt.update([w], [(rng.normal(size=50) * scale).astype(np.float32)])
        assert np.isfinite(w).all()


@SETTINGS
@given(batch=st.integers(1, 64), seed=st.integers(0, 2**10))
def test_predictions_do_not_depend_on_the_batch_size(batch, seed):
    rng = np.random.default_rng(seed)
    model = lw.Sequential([lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dropout(0.5), lw.Dense(3, "softmax")],
                          input_shape=(5,), seed=seed, dtype="float64")
    model.build()
    x = rng.normal(size=(37, 5))
    np.testing.assert_allclose(model.predict(x, batch_size=batch), model.predict(x), rtol=1e-12, atol=1e-15)
