"""One inference batch iterator (training/batches.py) checks ``batch_size`` for every caller: one
clear error for 0, -1, 2.5, True and "32", never Python's range() message or a silent 0.0."""
import numpy as np
import pytest

import layerwise as lw
from layerwise.compat.nielsen import Network
from layerwise.errors import ConfigError

from conftest import make_blobs

BAD = [0, -1, 2.5, True, "32", None]


@pytest.fixture(scope="module")
def model():
    x, y = make_blobs(n=40)
    m = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(3, "softmax")], seed=0)
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=1, verbose=0)
    return m, x, y


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("call", ["predict", "evaluate", "features", "predict_proba", "fit", "find_lr"])
def test_every_entry_point_refuses_a_bad_batch_size(model, call, bad):
    m, x, y = model
    calls = {"predict": lambda: m.predict(x, batch_size=bad), "evaluate": lambda: m.evaluate(x, y, batch_size=bad),
             "features": lambda: m.features(x, 1, batch_size=bad),
             "predict_proba": lambda: m.predict_proba(x, batch_size=bad),
             "fit": lambda: m.fit(x, y, batch_size=bad, verbose=0),
             "find_lr": lambda: m.find_lr(x, y, batch_size=bad)}
    with pytest.raises(ConfigError, match=r"batch_size: expected a positive integer, got"):
        calls[call]()


def test_a_batch_size_larger_than_the_data_is_one_batch(model):
    m, x, y = model
    np.testing.assert_array_equal(m.predict(x, batch_size=10**6), m.predict(x, batch_size=7))
    assert m.evaluate(x, y, batch_size=10**6)["loss"] == pytest.approx(m.evaluate(x, y, batch_size=7)["loss"])


def test_the_book_api_evaluates_through_the_same_iterator():
    net = Network([8, 5, 3])
    x, y = make_blobs(n=50)
    data = [(a.reshape(-1, 1), int(b)) for a, b in zip(x, y)]
    assert 0 <= net.accuracy(data) <= 50
    assert np.isfinite(net.total_cost([(a, np.eye(3)[b].reshape(-1, 1)) for a, b in data], 0.0))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_the_keras_namespace_refuses_a_bad_batch_size(bad):
    from layerwise.compat import keras
    x, y = make_blobs(40, 3, 2, seed=0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for call in (lambda: model.fit(x, y, batch_size=bad, verbose=0), lambda: model.predict(x, batch_size=bad),
                 lambda: model.evaluate(x, y, batch_size=bad, verbose=0)):
        with pytest.raises(ConfigError, match="batch_size: expected a positive integer"):
            call()
