"""The book's API (Nielsen, *Neural Networks and Deep Learning*, network2.py) on the
vectorised layerwise engine.

    from layerwise.compat.nielsen import Network, CrossEntropyCost
    net = Network([784, 30, 10], cost=CrossEntropyCost)
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = net.SGD(
        training_data, 30, 10, 0.5, lmbda=5.0, evaluation_data=validation_data,
        monitor_evaluation_accuracy=True)

Data is in the book's format: ``training_data`` a list of ``(x, y)`` with x a (784, 1)
column and y a one-hot (10, 1) column; ``evaluation_data`` a list of ``(x, label)``.
Weights and biases are exposed in the book's layout (``weights[i]`` is (n_out, n_in),
``biases[i]`` is (n_out, 1)) as views of the engine's Dense kernels.

The update is the book's:  w ← (1 − ηλ/n)·w − (η/m)·Σ_x ∇C_x,  b ← b − (η/m)·Σ_x ∇_b C_x,
obtained from the engine's mean-over-batch loss plus ``L2(λ/2n)`` on every kernel.
Accuracies are counts (as in the book), costs include the (λ/2n)·Σw² term.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..core import losses
from ..training.callbacks import Callback
from ..errors import ConfigError, DataError, ModelFileError
from ..core.layers import Dense
from ..model import Sequential
from ..optim.optimizers import SGD
from ..core.regularizers import L2
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


class QuadraticCost:
    """C = ½‖a − y‖² per input; δ = (a − y) ⊙ σ'(z)."""

    engine_loss = losses.QuadraticCost

    @staticmethod
    def fn(a, y):
        return 0.5 * float(np.linalg.norm(a - y) ** 2)

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] per input; δ = a − y."""

    @staticmethod
    def engine_loss():
        return losses.BinaryCrossentropy(sum_over_outputs=True)

    @staticmethod
    def fn(a, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))

    @staticmethod
    def delta(z, a, y):
        return a - y


COSTS = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


def _as_pairs(data, name: str) -> list:
    if data is None:
        return []
    try:
        pairs = list(data)
    except TypeError:
        raise DataError(f"{name} must be a list of (x, y) pairs") from None
    if not pairs:
        raise DataError(f"{name} is empty")
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs[:5]):
        raise DataError(f"{name} must be a list of (x, y) pairs")
    return pairs


def _stack(pairs, n_in: int, n_out: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(x column, y) pairs → X (n, n_in) and integer labels (n,)."""
    try:
        xs = np.stack([np.asarray(x, dtype=np.float64).reshape(-1) for x, _ in pairs])
    except ValueError as exc:
        raise DataError(f"{name}: inputs have different sizes ({exc})") from None
    if xs.shape[1] != n_in:
        raise DataError(f"{name}: inputs have {xs.shape[1]} values but the network's first layer has {n_in}")
    ys = [np.asarray(y) for _, y in pairs]
    if ys[0].size > 1:  # one-hot columns (the book's training_data)
        y_arr = np.stack([y.reshape(-1) for y in ys])
        if y_arr.shape[1] != n_out:
            raise DataError(f"{name}: targets have {y_arr.shape[1]} values but the network has {n_out} outputs")
        labels = y_arr.argmax(axis=1)
    else:  # integer labels (the book's validation_data / test_data)
        labels = np.array([int(y) for y in ys])
        if labels.min() < 0 or labels.max() >= n_out:
            raise DataError(f"{name}: label {int(labels.max())} is outside 0..{n_out - 1}")
    return xs, labels


class _Monitor(Callback):
    def __init__(self, net, train, evaluation, flags, lmbda, early_stopping_n):
        super().__init__()
        self.net, self.train, self.evaluation = net, train, evaluation
        self.flags, self.lmbda, self.early_stopping_n = flags, lmbda, early_stopping_n
        self.lists = {"evaluation_cost": [], "evaluation_accuracy": [], "training_cost": [],
                      "training_accuracy": []}
        self.best, self.since_best = -1, 0

    def on_epoch_end(self, epoch, logs=None):
        net = self.net
        print(f"Epoch {epoch} training complete")
        x, labels = self.train
        if self.flags["monitor_training_cost"]:
            cost = net._cost(x, labels, self.lmbda)
            self.lists["training_cost"].append(cost)
            print(f"Cost on training data: {cost}")
        if self.flags["monitor_training_accuracy"]:
            acc = net._correct(x, labels)
            self.lists["training_accuracy"].append(acc)
            print(f"Accuracy on training data: {acc} / {len(x)}")
        if self.evaluation is not None:
            ex, el = self.evaluation
            if self.flags["monitor_evaluation_cost"]:
                cost = net._cost(ex, el, self.lmbda, n_reg=len(ex))
                self.lists["evaluation_cost"].append(cost)
                print(f"Cost on evaluation data: {cost}")
            if self.flags["monitor_evaluation_accuracy"] or self.early_stopping_n:
                acc = net._correct(ex, el)
                if self.flags["monitor_evaluation_accuracy"]:
                    self.lists["evaluation_accuracy"].append(acc)
                    print(f"Accuracy on evaluation data: {acc} / {len(ex)}")
                if self.early_stopping_n:
                    if acc > self.best:
                        self.best, self.since_best = acc, 0
                    else:
                        self.since_best += 1
                        if self.since_best >= self.early_stopping_n:
                            print(f"Early stopping: no improvement in {self.early_stopping_n} epochs")
                            self.model.stop_training = True


class Network:
    """A fully connected sigmoid network with the book's interface."""

    def __init__(self, sizes, cost=CrossEntropyCost, seed: int | None = None, dtype="float32"):
        if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
                or not all(isinstance(s, (int, np.integer)) and s > 0 for s in sizes)):
            raise ConfigError(f"sizes must be a list of at least two positive integers, got {sizes!r}")
        if cost not in COSTS.values():
            raise ConfigError(f"cost must be QuadraticCost or CrossEntropyCost, got {cost!r}")
        self.num_layers = len(sizes)
        self.sizes = [int(s) for s in sizes]
        self.cost = cost
        self._model = Sequential([Dense(n, "sigmoid") for n in self.sizes[1:]], input_shape=(self.sizes[0],),
                                 seed=seed, dtype=dtype, name="network")
        self._model.build()
        self.default_weight_initializer()

    # -- the book's parameter layout, as views of the engine's arrays ------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        return [layer.params["kernel"].T for layer in self._model.layers]

    @property
    def biases(self) -> list[np.ndarray]:
        return [layer.params["bias"][:, None] for layer in self._model.layers]

    @property
    def model(self) -> Sequential:
        """The engine model underneath (for summary, save, predict, ...)."""
        return self._model

    def default_weight_initializer(self) -> None:
        """Weights N(0, 1/n_in) (std 1/√n_in), biases N(0, 1)."""
        rng = self._model.rng
        for layer, n_in in zip(self._model.layers, self.sizes[:-1]):
            layer.params["kernel"][...] = rng.standard_normal(layer.params["kernel"].shape) / math.sqrt(n_in)
            layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)

    def large_weight_initializer(self) -> None:
        """Weights and biases N(0, 1) (the book's first, "large" initialisation)."""
        rng = self._model.rng
        for layer in self._model.layers:
            layer.params["kernel"][...] = rng.standard_normal(layer.params["kernel"].shape)
            layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)

    # -- computing ---------------------------------------------------------------------------------
    def feedforward(self, a):
        """Output for input ``a``: a (n_in, 1) column (returns (n_out, 1)) or a batch (n, n_in)."""
        a = np.asarray(a, dtype=self._model.dtype)
        if a.ndim == 2 and a.shape[1] == 1 and a.shape[0] == self.sizes[0]:
            return self._model.predict(a.reshape(1, -1)).reshape(-1, 1)
        return self._model.predict(a)

    def _correct(self, x, labels) -> int:
        return int((self._model.predict(x).argmax(axis=1) == labels).sum())

    def _cost(self, x, labels, lmbda, n_reg=None) -> float:
        a = self._model.predict(x).astype(np.float64)
        y = np.eye(self.sizes[-1])[labels]
        per_input = (0.5 * ((a - y) ** 2).sum() if self.cost is QuadraticCost
                     else float(np.sum(np.nan_to_num(-y * np.log(np.clip(a, 1e-300, None))
                                                     - (1 - y) * np.log(np.clip(1 - a, 1e-300, None))))))
        n = len(x)
        reg = 0.5 * (lmbda / (n_reg or n)) * sum(float((w.astype(np.float64) ** 2).sum()) for w in self.weights)
        return per_input / n + reg

    def accuracy(self, data, convert: bool = False) -> int:
        """Number of inputs classified correctly (``convert`` is accepted for the book's
        signature; one-hot and integer targets are both recognised)."""
        x, labels = _stack(_as_pairs(data, "data"), self.sizes[0], self.sizes[-1], "data")
        return self._correct(x, labels)

    def total_cost(self, data, lmbda: float, convert: bool = False) -> float:
        """Mean cost per input plus ½(λ/n)·Σ‖w‖²."""
        x, labels = _stack(_as_pairs(data, "data"), self.sizes[0], self.sizes[-1], "data")
        return self._cost(x, labels, lmbda)

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0):
        """Mini-batch stochastic gradient descent; returns the four monitor lists
        (evaluation_cost, evaluation_accuracy, training_cost, training_accuracy)."""
        if not (isinstance(epochs, int) and epochs >= 0):
            raise ConfigError(f"epochs must be an integer >= 0, got {epochs!r}")
        if not (isinstance(mini_batch_size, int) and mini_batch_size >= 1):
            raise ConfigError(f"mini_batch_size must be a positive integer, got {mini_batch_size!r}")
        if not float(eta) > 0:
            raise ConfigError(f"eta must be > 0, got {eta}")
        if not float(lmbda) >= 0:
            raise ConfigError(f"lmbda must be >= 0, got {lmbda}")
        train = _stack(_as_pairs(training_data, "training_data"), self.sizes[0], self.sizes[-1], "training_data")
        evaluation = None
        if evaluation_data is not None:
            evaluation = _stack(_as_pairs(evaluation_data, "evaluation_data"), self.sizes[0], self.sizes[-1],
                                "evaluation_data")
        n = len(train[0])
        for layer in self._model.layers:  # (λ/2n)·Σw², so the gradient adds (λ/n)·w
            layer.kernel_regularizer = L2(lmbda / (2.0 * n)) if lmbda else None
        self._model.compile(SGD(float(eta)), self.cost.engine_loss())
        flags = {"monitor_evaluation_cost": monitor_evaluation_cost,
                 "monitor_evaluation_accuracy": monitor_evaluation_accuracy,
                 "monitor_training_cost": monitor_training_cost,
                 "monitor_training_accuracy": monitor_training_accuracy}
        monitor = _Monitor(self, train, evaluation, flags, float(lmbda), early_stopping_n)
        y_onehot = np.eye(self.sizes[-1], dtype=self._model.dtype)[train[1]]
        self._model.fit(train[0], y_onehot, batch_size=mini_batch_size, epochs=epochs, verbose=0,
                        callbacks=[monitor])
        lists = monitor.lists
        return (lists["evaluation_cost"], lists["evaluation_accuracy"], lists["training_cost"],
                lists["training_accuracy"])

    # -- files ---------------------------------------------------------------------------------------
    def save(self, filename) -> None:
        """The book's JSON file: sizes, weights, biases and the cost's name (written atomically)."""
        from ..formats.atomic import atomic_write_text
        data = {"sizes": self.sizes,
                "weights": [w.astype(np.float64).tolist() for w in self.weights],
                "biases": [b.astype(np.float64).tolist() for b in self.biases],
                "cost": self.cost.__name__}
        atomic_write_text(filename, json.dumps(data))


def load(filename) -> Network:
    """Load a network saved by ``Network.save`` (or the book's network2.py), validating every field."""
    path = Path(filename)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: expected a JSON object with sizes, weights, biases, cost")
    missing = [k for k in ("sizes", "weights", "biases", "cost") if k not in data]
    if missing:
        raise ModelFileError(f"{path}: missing field(s) {missing}")
    sizes = data["sizes"]
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 < s <= 1_000_000 for s in sizes)):
        raise ModelFileError(f"{path}: 'sizes' must be a list of at least two positive integers, got {sizes!r}")
    if data["cost"] not in COSTS:
        raise ModelFileError(f"{path}: unknown cost {data['cost']!r}; expected one of {sorted(COSTS)}")
    weights, biases = data["weights"], data["biases"]
    if not isinstance(weights, list) or not isinstance(biases, list) or \
            len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
        raise ModelFileError(f"{path}: need {len(sizes) - 1} weight matrices and bias vectors")
    arrays = []
    for i, (w, b, n_in, n_out) in enumerate(zip(weights, biases, sizes[:-1], sizes[1:])):
        try:
            w_arr = np.array(w, dtype=np.float64)
            b_arr = np.array(b, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            raise ModelFileError(f"{path}: weights[{i}] or biases[{i}] is not a numeric array") from None
        if w_arr.shape != (n_out, n_in):
            raise ModelFileError(f"{path}: weights[{i}] has shape {w_arr.shape}, sizes need {(n_out, n_in)}")
        if b_arr.shape != (n_out, 1):
            raise ModelFileError(f"{path}: biases[{i}] has shape {b_arr.shape}, sizes need {(n_out, 1)}")
        if not (np.isfinite(w_arr).all() and np.isfinite(b_arr).all()):
            raise ModelFileError(f"{path}: weights[{i}] or biases[{i}] holds NaN or inf")
        arrays.append((w_arr, b_arr))
    # every array checked against sizes (and so bounded by the file's own size) before allocating a network
    net = Network(sizes, cost=COSTS[data["cost"]])
    for i, (w_arr, b_arr) in enumerate(arrays):
        net.weights[i][...] = w_arr
        net.biases[i][...] = b_arr
    return net


def to_book_format(x: np.ndarray, y: np.ndarray, n_classes: int = 10, one_hot: bool = True) -> list:
    """Arrays → the book's list of (x column, y) pairs (one-hot columns for training data)."""
    eye = np.eye(n_classes)
    return [(xi.reshape(-1, 1), eye[int(yi)].reshape(-1, 1) if one_hot else int(yi)) for xi, yi in zip(x, y)]
