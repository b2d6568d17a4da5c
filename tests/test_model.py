import numpy as np
import pytest

import layerwise as lw
from layerwise import (L1L2, SGD, Adam, BatchNorm, Dense, Dropout, MaxNorm, Sequential, gradcheck)
from layerwise.errors import ConfigError

from conftest import make_blobs


def small_model(dtype="float64", **kw):
    return Sequential([
        Dense(6, "tanh", kernel_regularizer=L1L2(0.01, 0.02), **kw),
        BatchNorm(),
        Dropout(0.3),
        Dense(5, "elu"),
        Dense(3, "softmax"),
    ], input_shape=(4,), seed=3, dtype=dtype)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "log_likelihood", "mse", "quadratic"])
@pytest.mark.parametrize("training", [True, False])
def test_whole_model_gradcheck(loss, training, rng):
    model = small_model()
    model.compile(SGD(0.1), loss)
    x = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7)
    res = gradcheck(model, x, y, training=training)
    assert res.max_error < 1e-6, res


def test_sigmoid_output_with_binary_crossentropy_gradcheck(rng):
    model = Sequential([Dense(5, "relu"), Dense(1, "sigmoid")], input_shape=(3,), seed=0, dtype="float64")
    model.compile("sgd", "binary_crossentropy")
    x = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, size=6).astype(float)
    assert gradcheck(model, x, y).max_error < 1e-6


def test_fit_learns_blobs_and_records_history():
    x, y = make_blobs()
    model = Sequential([Dense(16, "relu"), Dense(3, "softmax")], seed=0)
    model.compile(Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=16, validation_split=0.2, verbose=0)
    assert set(hist.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert len(hist.history["loss"]) == 15
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.evaluate(x, y)["accuracy"] > 0.95


@pytest.mark.parametrize("batch_size", [1, 300])
def test_online_and_full_batch_learning(batch_size):
    x, y = make_blobs(n=300)
    model = Sequential([Dense(3, "softmax")], seed=0)
    model.compile(SGD(0.05 if batch_size == 1 else 1.0), "categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=5, batch_size=batch_size, verbose=0)
    assert model.optimizer.iterations == 5 * (300 if batch_size == 1 else 1)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_same_seed_gives_bit_identical_runs():
    x, y = make_blobs()

    def run():
        model = Sequential([Dense(10, "relu"), Dropout(0.2), Dense(3, "softmax")], seed=42)
        model.compile(Adam(0.01), "categorical_crossentropy")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_predictions_do_not_depend_on_batch_size():
    x, y = make_blobs(n=101)
    model = Sequential([Dense(7, "relu"), BatchNorm(), Dense(3, "softmax")], seed=1)
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    full = model.predict(x)
    np.testing.assert_allclose(model.predict(x, batch_size=7), full, rtol=1e-6)
    np.testing.assert_allclose(full.sum(1), 1, rtol=1e-5)
    assert model.predict_classes(x).shape == (101,)
    assert model.predict_proba(x).shape == (101, 3)


def test_summary_and_parameter_count():
    model = Sequential([Dense(30, "sigmoid"), Dense(10, "softmax")], input_shape=(784,))
    lines = []
    text = model.summary(print_fn=lines.append)
    assert model.count_params() == 784 * 30 + 30 + 30 * 10 + 10 == 23860
    assert "23,860" in text and "dense_1" in text and "(None, 30)" in text
    assert model.depth == 2 and "1 hidden + 1 output" in text
    assert lines == [text]


def test_max_norm_constraint_applied_after_each_update():
    x, y = make_blobs()
    model = Sequential([Dense(8, "relu", kernel_constraint=MaxNorm(0.5)), Dense(3, "softmax")], seed=0)
    model.compile(SGD(0.5), "categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    assert (np.linalg.norm(model.layers[0].params["kernel"], axis=0) <= 0.5 + 1e-6).all()


def test_frozen_layer_is_unchanged_and_others_train():
    x, y = make_blobs()
    first = Dense(8, "relu", trainable=False)
    model = Sequential([first, Dense(3, "softmax")], seed=0)
    model.compile(SGD(0.1), "categorical_crossentropy")
    model.build((8,))
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=2, verbose=0)
    after = model.get_weights()
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])


def test_fit_requires_compile_and_valid_arguments():
    x, y = make_blobs()
    model = Sequential([Dense(3, "softmax")])
    with pytest.raises(ConfigError, match="compile"):
        model.fit(x, y)
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ConfigError, match="batch_size: expected a positive integer"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(ConfigError, match="epochs"):
        model.fit(x, y, epochs=-1)


def test_float32_by_default_and_float64_on_request():
    x, y = make_blobs()
    m32 = Sequential([Dense(3, "softmax")], seed=0)
    m32.compile("sgd", "categorical_crossentropy")
    m32.fit(x, y, epochs=1, verbose=0)
    assert m32.layers[0].params["kernel"].dtype == np.float32
    m64 = Sequential([Dense(3, "softmax")], seed=0, dtype="float64")
    m64.build((8,))
    assert m64.layers[0].params["kernel"].dtype == np.float64


def test_device_errors_are_clear():
    x, y = np.random.default_rng(0).random((40, 4)), np.arange(40) % 2
    model = Sequential([Dense(2, "softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match="device: expected one of 'auto', 'cpu', 'gpu', 'cuda', got 'tpu'"):
        model.fit(x, y, verbose=0, device="tpu")
    with pytest.raises(ConfigError, match="device='cuda' runs on the XLA engine; engine='numpy' runs on the CPU"):
        model.fit(x, y, verbose=0, device="cuda", engine="numpy")


def test_softmax_as_separate_activation_layer_is_fused_correctly(rng):
    model = Sequential([Dense(5, "relu"), Dense(3), lw.layers.Activation("softmax")], input_shape=(4,),
                       seed=0, dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    assert gradcheck(model, rng.normal(size=(6, 4)), rng.integers(0, 3, 6)).max_error < 1e-6
