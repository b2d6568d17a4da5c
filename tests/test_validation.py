"""Bad input raises ValueError (DataError) naming the problem, before training starts."""
import numpy as np
import pytest

from layerwise import Dense, Sequential
from layerwise.errors import DataError


@pytest.fixture
def model():
    m = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_shape=(5,), seed=0)
    m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    m.build()
    return m


X = np.random.default_rng(0).normal(size=(10, 5)).astype(np.float32)
Y = np.arange(10) % 3


def weights(m):
    return [w.copy() for w in m.get_weights()]


@pytest.mark.parametrize("x, y, message", [
    (X[:, :4], Y, "x has 4 features but the model expects 5"),
    (np.where(np.arange(50).reshape(10, 5) == 7, np.nan, X), Y, r"x contains nan at index \(1, 2\)"),
    (np.where(np.arange(50).reshape(10, 5) == 3, np.inf, X), Y, r"x contains inf at index \(0, 3\)"),
    (X, np.where(np.arange(10) == 4, 12, Y), "y has label 12 at index 4 but the model has 3 outputs"),
    (X, np.where(np.arange(10) == 2, -1, Y), "y has negative label -1 at index 2"),
    (X, Y + 0.5, "y has non-integer label 0.5 at index 0"),
    (X.astype(str), Y, "x has dtype <U.*expected numbers"),
    (X, np.array(["a", "b"] * 5), "y has dtype <U1.*integers"),
    (np.empty((0, 5)), np.empty(0), r"x is empty \(shape \(0, 5\)\)"),
    (X, Y[:9], "x has 10 samples but y has 9"),
    (X[0], Y[:1], r"x must be at least 2-D .* got shape \(5,\)"),
    (X, np.eye(4)[Y], r"y has shape \(10, 4\) but the model has 3 outputs"),
    ([[1, 2, 3, 4, 5], [1, 2]], [0, 1], "x cannot be read as an array|ragged"),
    (X, np.where(np.arange(10) == 5, np.nan, Y.astype(float)), "y has non-finite label nan at index 5"),
])
def test_fit_rejects_bad_input_before_training(model, x, y, message):
    before = weights(model)
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer.iterations == 0
    for a, b in zip(before, weights(model)):
        np.testing.assert_array_equal(a, b)


def test_errors_are_layerwise_data_errors(model):
    with pytest.raises(DataError):
        model.evaluate(X[:, :2], Y)
    with pytest.raises(DataError, match="x has 6 features but the model expects 5"):
        model.predict(np.zeros((2, 6)))


def test_validation_data_is_checked_too(model):
    with pytest.raises(DataError, match="validation x has 4 features"):
        model.fit(X, Y, validation_data=(X[:, :4], Y), verbose=0)
    with pytest.raises(DataError, match="y of validation x has label 7"):
        model.fit(X, Y, validation_data=(X, np.full(10, 7)), verbose=0)
