"""The book's API as a drop-in for network2.py: programs written against the book's documented
interface (chapters 1-3), each compared with an independent float64 NumPy computation of the
book's formulas (written here from the equations, not from the book's code)."""
import contextlib
import io
import json
import random

import numpy as np
import pytest

import layerwise.compat.nielsen as network2
from layerwise.errors import ConfigError

from helpers.book_reference import ref_backprop, ref_update, sig


def ref_cost(weights, biases, data, lmbda, quadratic, convert, n_out):
    total = 0.0
    for x, y in data:
        a = x
        for w, b in zip(weights, biases):
            a = sig(w @ a + b)
        if convert:
            y = np.eye(n_out)[y].reshape(-1, 1)
        if quadratic:
            total += 0.5 * np.linalg.norm(a - y) ** 2 / len(data)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                total += np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))) / len(data)
    return total + 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in weights)


def blobs(n, n_in, n_out, seed, soft=False):
    r = np.random.default_rng(seed)
    centers = r.normal(0, 1.5, size=(n_out, n_in))
    labels = r.integers(0, n_out, n)
    xs = centers[labels] + r.normal(0, 0.7, size=(n, n_in))
    if soft:
        ys = r.dirichlet(np.ones(n_out), size=n)
    else:
        ys = np.eye(n_out)[labels]
    return [(x.reshape(-1, 1), y.reshape(-1, 1)) for x, y in zip(xs, ys)], labels


@pytest.mark.parametrize("cost", [network2.CrossEntropyCost, network2.QuadraticCost])
def test_seeded_program_reproduces_the_books_sgd(cost):
    """np.random.seed + random.seed make a run reproducible: initialisation by np.random.randn
    (biases, then weights), mini-batch order by random.shuffle of the training list."""
    data, _ = blobs(53, 5, 3, seed=1)
    quadratic = cost is network2.QuadraticCost
    np.random.seed(7)
    random.seed(7)
    sizes = [5, 4, 3]
    biases = [np.random.randn(y, 1) for y in sizes[1:]]
    weights = [np.random.randn(y, x) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])]
    order = list(data)
    for _ in range(3):
        random.shuffle(order)
        for k in range(0, len(order), 10):
            weights, biases = ref_update(weights, biases, order[k:k + 10], 0.5, 0.3, len(order), quadratic)

    np.random.seed(7)
    random.seed(7)
    net = network2.Network(sizes, cost=cost)
    with contextlib.redirect_stdout(io.StringIO()):
        net.SGD(data, 3, 10, 0.5, lmbda=0.3)
    for got, want in zip(net.weights + net.biases, weights + biases):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cost", [network2.CrossEntropyCost(), network2.QuadraticCost()])
def test_backprop_and_update_mini_batch_with_cost_instances(cost):
    quadratic = isinstance(cost, network2.QuadraticCost)
    net = network2.Network([4, 6, 3], cost=cost, seed=2)
    data, _ = blobs(7, 4, 3, seed=3)
    w0, b0 = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    nabla_b, nabla_w = net.backprop(*data[0])
    want_b, want_w = ref_backprop(w0, b0, *data[0], quadratic)
    assert [g.shape for g in nabla_w] == [(6, 4), (3, 6)] and [g.shape for g in nabla_b] == [(6, 1), (3, 1)]
    for got, want in zip(nabla_b + nabla_w, want_b + want_w):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    net.update_mini_batch(data, 0.7, 2.0, 50)
    want_w, want_b = ref_update(w0, b0, data, 0.7, 2.0, 50, quadratic)
    for got, want in zip(net.weights + net.biases, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    # the L2 term exists only during updates: backprop afterwards is the plain gradient again
    nb2, _ = net.backprop(*data[0])
    np.testing.assert_allclose(nb2[-1], ref_backprop(net.weights, net.biases, *data[0], quadratic)[0][-1],
                               rtol=1e-10, atol=1e-13)


def test_soft_targets_are_trained_on_as_given():
    data, _ = blobs(12, 3, 4, seed=4, soft=True)
    net = network2.Network([3, 5, 4], seed=0)
    w0, b0 = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    with contextlib.redirect_stdout(io.StringIO()):
        net.SGD(data, 1, 12, 1.0)  # one batch of everything: no dependence on the order
    want_w, want_b = ref_update(w0, b0, data, 1.0, 0.0, 12, quadratic=False)
    for got, want in zip(net.weights + net.biases, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(net.total_cost(data, 0.0), ref_cost(net.weights, net.biases, data, 0.0, False,
                                                                   False, 4), rtol=1e-12)


def test_a_single_output_network():
    r = np.random.default_rng(5)
    xs = r.integers(0, 2, size=(200, 2)).astype(float)
    data = [(x.reshape(2, 1), np.array([[float(int(x[0]) ^ int(x[1]))]])) for x in xs]
    net = network2.Network([2, 3, 1], seed=1)
    with contextlib.redirect_stdout(io.StringIO()):
        _, _, tc, _ = net.SGD(data, 300, 10, 3.0, monitor_training_cost=True)
    assert tc[-1] < tc[0]
    assert tc[-1] == pytest.approx(ref_cost(net.weights, net.biases, data, 0.0, False, False, 1), rel=1e-12)
    assert net.feedforward(np.array([[1.0], [0.0]])).shape == (1, 1)


def test_monitors_print_the_books_lines_and_lists():
    data, _ = blobs(40, 4, 3, seed=6)
    evaluation = [(x, int(np.argmax(y))) for x, y in data[:15]]
    net = network2.Network([4, 5, 3], seed=3)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ec, ea, tc, ta = net.SGD(data, 2, 8, 0.5, lmbda=0.1, evaluation_data=evaluation,
                                 monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                                 monitor_training_cost=True, monitor_training_accuracy=True)
    lines = out.getvalue().splitlines()
    assert lines[:6] == ["Epoch 0 training complete", f"Cost on training data: {tc[0]}",
                         f"Accuracy on training data: {ta[0]} / 40", f"Cost on evaluation data: {ec[0]}",
                         f"Accuracy on evaluation data: {ea[0]} / 15", ""]
    assert len(lines) == 12
    assert tc[1] == pytest.approx(ref_cost(net.weights, net.biases, data, 0.1, False, False, 3), rel=1e-12)
    assert ec[1] == pytest.approx(ref_cost(net.weights, net.biases, evaluation, 0.1, False, True, 3), rel=1e-12)
    assert ta[1] == net.accuracy(data, convert=True) and ea[1] == net.accuracy(evaluation)


def test_early_stopping_returns_after_n_epochs_without_improvement():
    data, _ = blobs(30, 4, 2, seed=7)
    evaluation = [(x, int(np.argmax(y))) for x, y in data]
    net = network2.Network([4, 2], seed=0)
    with contextlib.redirect_stdout(io.StringIO()):
        _, acc, _, _ = net.SGD(data, 50, 10, 1e-9, evaluation_data=evaluation, monitor_evaluation_accuracy=True,
                               early_stopping_n=3)
    # η ≈ 0: the accuracy never changes; it beat the book's start (1) once, then 3 epochs without
    assert len(acc) == 4 and len(set(acc)) == 1


def test_weights_and_biases_are_the_engines_arrays():
    net = network2.Network([3, 4, 2], seed=0)
    x = np.arange(3.0).reshape(3, 1)
    new = [np.full((4, 3), 0.1), np.full((2, 4), -0.2)]
    net.weights = new
    net.biases = [np.zeros((4, 1)), np.zeros((2, 1))]
    np.testing.assert_allclose(net.feedforward(x), sig(new[1] @ sig(new[0] @ x)), rtol=1e-12)
    net.weights[1] = np.full((2, 4), 0.3)              # element assignment replaces
    net.weights[0][0, 0] = 2.0                         # in-place edits are seen by the engine
    w = [np.full((4, 3), 0.1), np.full((2, 4), 0.3)]
    w[0][0, 0] = 2.0
    np.testing.assert_allclose(net.feedforward(x), sig(w[1] @ sig(w[0] @ x)), rtol=1e-12)
    np.testing.assert_array_equal(net.model.layers[0].params["kernel"], w[0].T)
    with pytest.raises(ConfigError, match=r"weights\[1\] must have shape \(2, 4\)"):
        net.weights[1] = np.zeros((4, 2))
    with pytest.raises(ConfigError, match="weights needs 2 arrays"):
        net.weights = [np.zeros((4, 3))]


def test_feedforward_on_a_matrix_of_columns():
    net = network2.Network([5, 3, 2], seed=0)
    cols = np.random.default_rng(0).normal(size=(5, 7))
    out = net.feedforward(cols)
    assert out.shape == (2, 7)
    for k in range(7):
        np.testing.assert_allclose(out[:, k:k + 1], net.feedforward(cols[:, k:k + 1]), rtol=1e-12)


def test_saturated_outputs_and_the_sigmoid_tail():
    assert network2.sigmoid(-40.0) == pytest.approx(1 / (1 + np.exp(40.0)), rel=1e-12)
    assert network2.sigmoid(-40.0) > 0 and network2.sigmoid(800.0) == 1.0
    assert network2.sigmoid_prime(0.0) == 0.25
    net = network2.Network([1, 2], seed=0)
    net.weights = [np.array([[60.0], [-60.0]])]
    net.biases = [np.zeros((2, 1))]
    data = [(np.array([[1.0]]), np.array([[0.0], [1.0]]))]  # both outputs saturated the wrong way
    got = net.total_cost(data, 0.0)
    assert got == ref_cost(net.weights, net.biases, data, 0.0, False, False, 2)
    assert got > 1e300  # nan_to_num(inf), as the book computes it


def test_save_and_load_the_books_file_format(tmp_path):
    net = network2.Network([4, 3, 2], cost=network2.QuadraticCost(), seed=0)
    net.save(tmp_path / "net.json")
    doc = json.loads((tmp_path / "net.json").read_text())
    assert set(doc) == {"sizes", "weights", "biases", "cost"} and doc["cost"] == "QuadraticCost"
    assert np.array(doc["weights"][0]).shape == (3, 4) and np.array(doc["biases"][1]).shape == (2, 1)
    back = network2.load(tmp_path / "net.json")
    assert back.weights[0].dtype == np.float64 and back.cost is network2.QuadraticCost
    for a, b in zip(back.weights + back.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)
    single = network2.load(tmp_path / "net.json", dtype="float32")
    assert single.weights[0].dtype == np.float32
    # a file written by hand in the format the book describes
    (tmp_path / "hand.json").write_text(json.dumps({"sizes": [2, 1], "weights": [[[1.0, -1.0]]],
                                                    "biases": [[[0.5]]], "cost": "CrossEntropyCost"}))
    hand = network2.load(tmp_path / "hand.json")
    assert hand.feedforward(np.array([[2.0], [1.0]]))[0, 0] == pytest.approx(sig(1.5), rel=1e-12)


def test_vectorized_result_and_the_default_dtype():
    e = network2.vectorized_result(3)
    assert e.shape == (10, 1) and e[3, 0] == 1.0 and e.sum() == 1.0
    assert network2.Network([3, 2]).weights[0].dtype == np.float64
    assert network2.Network([3, 2], dtype="float32").weights[0].dtype == np.float32
    with pytest.raises(ConfigError, match="cost must be QuadraticCost or CrossEntropyCost"):
        network2.Network([3, 2], cost=object)


def test_mnist_loader_gives_the_books_format():
    import layerwise.compat.mnist_loader as mnist_loader
    training, validation, test = mnist_loader.load_data_wrapper("digits", validation_size=200)
    assert len(validation) == 200 and isinstance(validation[0][1], int)
    x, y = training[0]
    assert x.shape == (64, 1) and y.shape == (10, 1) and y.sum() == 1.0
    assert network2._rows_view([p[0] for p in training], 64) is not None  # zero-copy into the SGD
    net = network2.Network([64, 20, 10], seed=0)
    with contextlib.redirect_stdout(io.StringIO()):
        _, acc, _, _ = net.SGD(training, 3, 10, 0.5, evaluation_data=test, monitor_evaluation_accuracy=True)
    assert acc[-1] > 0.8 * len(test)
