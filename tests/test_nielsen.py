import json

import numpy as np
import pytest

from layerwise.compat.nielsen import CrossEntropyCost, Network, QuadraticCost, load, to_book_format
from layerwise.errors import ConfigError, DataError, ModelFileError

from conftest import make_blobs
from helpers.book_reference import ref_update


def book_update(weights, biases, batch, eta, lmbda, n, cost):
    """network2.py's update_mini_batch with per-example backprop (the four BP equations)."""
    return ref_update(weights, biases, batch, eta, lmbda, n, quadratic=cost is QuadraticCost)


@pytest.mark.parametrize("cost", [CrossEntropyCost, QuadraticCost])
def test_one_step_equals_the_books_update(cost):
    x, y = make_blobs(n=6, n_features=4, n_classes=3)
    data = to_book_format(x, y, 3)
    net = Network([4, 5, 3], cost=cost, seed=0, dtype="float64")
    w0 = [w.copy() for w in net.weights]
    b0 = [b.copy() for b in net.biases]
    net.SGD(data, epochs=1, mini_batch_size=6, eta=0.5, lmbda=2.0)
    want_w, want_b = book_update(w0, b0, data, 0.5, 2.0, 6, cost)
    for got, want in zip(net.weights + net.biases, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_monitors_and_book_data_formats(capsys):
    x, y = make_blobs(n=200, n_features=6, n_classes=3)
    train = to_book_format(x[:150], y[:150], 3)
    evaluation = to_book_format(x[150:], y[150:], 3, one_hot=False)
    net = Network([6, 10, 3], seed=1)
    ec, ea, tc, ta = net.SGD(train, 5, 10, 0.5, lmbda=0.1, evaluation_data=evaluation,
                             monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                             monitor_training_cost=True, monitor_training_accuracy=True)
    assert len(ec) == len(ea) == len(tc) == len(ta) == 5
    assert all(isinstance(a, int) for a in ea + ta) and ea[-1] >= 45  # counts, as in the book
    assert tc[-1] < tc[0]
    assert net.accuracy(evaluation) == ea[-1] and net.accuracy(train, convert=True) == ta[-1]
    assert np.isclose(net.total_cost(train, 0.1), tc[-1], rtol=1e-5)
    out = capsys.readouterr().out
    assert "Epoch 4 training complete" in out and "Accuracy on evaluation data:" in out
    assert net.feedforward(train[0][0]).shape == (3, 1)


def test_early_stopping_n():
    x, y = make_blobs(n=60, n_features=4, n_classes=2)
    net = Network([4, 2], seed=0)
    _, acc, _, _ = net.SGD(to_book_format(x, y, 2), 100, 10, 1e-6, evaluation_data=to_book_format(x, y, 2, False),
                           monitor_evaluation_accuracy=True, early_stopping_n=3)
    assert len(acc) < 100


def test_initializers():
    net = Network([400, 50, 10], seed=0)
    assert abs(net.weights[0].std() - 1 / 20) < 0.005 and abs(net.biases[0].std() - 1) < 0.3
    net.large_weight_initializer()
    assert abs(net.weights[0].std() - 1) < 0.05


def test_save_load_round_trip_and_validation(tmp_path):
    net = Network([4, 5, 3], cost=QuadraticCost, seed=0)
    path = tmp_path / "net.json"
    net.save(path)
    back = load(path)
    assert back.cost is QuadraticCost and back.sizes == [4, 5, 3]
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(back.feedforward(x), net.feedforward(x), rtol=1e-6)
    good = json.loads(path.read_text())
    cases = {
        "not json": ("{oops", "not valid JSON"),
        "missing": (json.dumps({"sizes": [4, 3]}), "missing field"),
        "sizes": (json.dumps({**good, "sizes": [4, -1]}), "'sizes' must be"),
        "cost": (json.dumps({**good, "cost": "HingeCost"}), "unknown cost 'HingeCost'"),
        "shape": (json.dumps({**good, "weights": [good["weights"][0][:2], good["weights"][1]]}),
                  r"weights\[0\] has shape \(2, 4\)"),
        "count": (json.dumps({**good, "biases": good["biases"][:1]}), "need 2 weight matrices"),
        "nan": (json.dumps({**good, "biases": [[[float("nan")]] * 5, good["biases"][1]]}).replace("NaN", "NaN"),
                "NaN or inf"),
    }
    for name, (text, message) in cases.items():
        bad = tmp_path / f"{name.replace(' ', '_')}.json"
        bad.write_text(text)
        with pytest.raises(ModelFileError, match=message):
            load(bad)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="sizes must be a list"):
        Network([784])
    net = Network([4, 3])
    with pytest.raises(DataError, match="inputs have 5 values but the network's first layer has 4"):
        net.SGD([(np.zeros((5, 1)), np.zeros((3, 1)))], 1, 1, 0.1)
    with pytest.raises(ConfigError, match="eta must be > 0"):
        net.SGD([(np.zeros((4, 1)), np.zeros((3, 1)))], 1, 1, 0)
