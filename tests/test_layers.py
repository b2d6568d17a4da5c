import numpy as np
import pytest

from layerwise import L1, L2, BatchNorm, Dense, Dropout, Flatten, MaxNorm, gradcheck
from layerwise.layers import Activation
from layerwise.errors import ConfigError, DataError

ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]


def inputs(rng, shape=(6, 5)):
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-2] = 0.3
    return x


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("training", [True, False])
def test_dense_gradcheck(activation, training, rng):
    layer = Dense(4, activation, kernel_initializer="glorot_normal", bias_initializer="normal")
    assert gradcheck(layer, inputs(rng), training=training).max_error < 1e-6


def test_dense_without_bias_and_with_regularizers(rng):
    layer = Dense(3, "tanh", use_bias=False, kernel_regularizer=L1(0.1))
    res = gradcheck(layer, inputs(rng))  # differentiates Σ forward·R + penalty (was 6.3e-2 without it)
    assert res.passed and res.max_error < 1e-6, res
    assert "bias" not in res.errors
    # the penalty's gradient is added to grads: check it against the penalty's own derivative
    layer.forward(inputs(rng), training=True)
    g_plain = layer.grads["kernel"].copy()
    layer.backward(np.zeros((6, 3)))
    np.testing.assert_allclose(layer.grads["kernel"], 0.1 * np.sign(layer.params["kernel"]))
    assert g_plain.shape == (5, 3)


@pytest.mark.parametrize("act", ["sigmoid", "elu", "softmax"])
def test_activation_layer_gradcheck(act, rng):
    assert gradcheck(Activation(act), inputs(rng)).max_error < 1e-6


@pytest.mark.parametrize("training", [True, False])
def test_dropout_gradcheck(training, rng):
    assert gradcheck(Dropout(0.4), inputs(rng), training=training).max_error < 1e-6


def test_dropout_is_inverted_and_identity_at_inference(rng):
    layer = Dropout(0.25)
    layer.build((1000,), np.random.default_rng(0), np.float64)
    x = np.ones((50, 1000))
    y = layer.forward(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    assert layer.forward(x, training=False) is x


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batchnorm_gradcheck(training, center, scale, rng):
    layer = BatchNorm(center=center, scale=scale)
    layer.build((5,), rng, np.float64)
    if scale:
        layer.params["gamma"][...] = rng.uniform(0.5, 2, 5)
    if center:
        layer.params["beta"][...] = rng.normal(size=5)
    layer.state["moving_mean"][...] = rng.normal(size=5)
    layer.state["moving_variance"][...] = rng.uniform(0.5, 2, 5)
    assert gradcheck(layer, inputs(rng, (8, 5)) * 3 + 1, training=training).max_error < 1e-6


def test_batchnorm_statistics_and_moving_averages(rng):
    layer = BatchNorm(momentum=0.9)
    layer.build((3,), rng, np.float64)
    x = rng.normal(5.0, 2.0, size=(200, 3))
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), x.var(0) / (x.var(0) + 1e-3), rtol=1e-10)
    np.testing.assert_allclose(layer.state["moving_mean"], 0.1 * x.mean(0))
    np.testing.assert_allclose(layer.state["moving_variance"], 0.9 + 0.1 * x.var(0))
    # inference uses the moving statistics, not the batch's
    y_inf = layer.forward(x, training=False)
    expected = (x - layer.state["moving_mean"]) / np.sqrt(layer.state["moving_variance"] + 1e-3)
    np.testing.assert_allclose(y_inf, expected)


def test_flatten_gradcheck_and_shape(rng):
    layer = Flatten()
    x = rng.normal(size=(4, 3, 2))
    assert gradcheck(layer, x).max_error < 1e-6
    assert layer.output_shape == (6,)


def test_max_norm_clips_each_unit(rng):
    w = rng.normal(0, 5, size=(10, 4))
    MaxNorm(2.0).apply(w)
    norms = np.linalg.norm(w, axis=0)
    assert (norms <= 2.0 + 1e-9).all()
    small = np.full((10, 2), 0.01)
    before = small.copy()
    MaxNorm(2.0).apply(small)
    np.testing.assert_array_equal(small, before)


def test_layer_config_errors():
    with pytest.raises(ConfigError, match="units: expected a positive integer, got 0"):
        Dense(0)
    with pytest.raises(ConfigError, match=r"rate: expected a number in \[0, 1\), got 1.5"):
        Dropout(1.5)
    with pytest.raises(ConfigError, match="unknown initializer"):
        Dense(3, kernel_initializer="nope")
    with pytest.raises(DataError, match="Flatten"):
        Dense(3).build((4, 4), np.random.default_rng(0))


def test_l2_penalty_value(rng):
    w = rng.normal(size=(3, 3))
    assert np.isclose(L2(0.5).penalty(w), 0.5 * (w ** 2).sum())
    assert np.isclose(L1(0.5).penalty(w), 0.5 * np.abs(w).sum())


def test_last_output_is_the_activations_of_the_last_forward_pass(rng):
    x = rng.normal(size=(5, 4)).astype(np.float32)
    dense, act, drop = Dense(3, "tanh"), Activation("relu"), Dropout(0.5)
    for layer, shape in ((dense, (4,)), (act, (4,)), (drop, (4,))):
        layer.build(shape, np.random.default_rng(0))
        assert layer.last_output is None  # not run yet
    out = dense.forward(x, training=True)
    assert dense.last_output is out
    np.testing.assert_array_equal(act.forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(act.last_output, np.maximum(x, 0))
    drop.forward(x, training=True)
    assert drop.last_output is None  # keeps no copy of its output


def test_a_custom_regularizer_needs_only_penalty_and_gradient():
    import layerwise as lw
    from layerwise.core.regularizers import Regularizer

    class Cube(Regularizer):
        name = "cube_for_test"

        def penalty(self, w):
            return float((np.abs(w) ** 3).sum())

        def gradient(self, w):
            return 3 * w * np.abs(w)

    layer = lw.Dense(3, "tanh", kernel_regularizer=Cube())
    result = lw.gradcheck(layer, np.random.default_rng(0).normal(size=(5, 4)))
    assert result.passed and result.max_error < 1e-6
