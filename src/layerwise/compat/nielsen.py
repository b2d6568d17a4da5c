"""The book's API (Nielsen, *Neural Networks and Deep Learning*, network2.py) on the layerwise engine.

    import layerwise.compat.nielsen as network2
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = net.SGD(
        training_data, 30, 10, 0.5, lmbda=5.0, evaluation_data=validation_data,
        monitor_evaluation_accuracy=True)

Every public name of network2.py is here with the book's behaviour: ``Network(sizes, cost)`` (the
cost as a class or an instance), ``default_weight_initializer``, ``large_weight_initializer``,
``feedforward``, ``SGD`` (the same printed lines, the same four lists, ``early_stopping_n``),
``update_mini_batch``, ``backprop``, ``accuracy``, ``total_cost``, ``save``, ``load``,
``vectorized_result``, ``sigmoid``, ``sigmoid_prime``, ``QuadraticCost``, ``CrossEntropyCost``.

Data is in the book's format: ``training_data`` a list of ``(x, y)`` with x an (n_in, 1) column and
y an (n_out, 1) column, trained on as given (soft targets too); ``evaluation_data`` a list of
``(x, label)``. ``weights[i]`` is (n_out, n_in) and ``biases[i]`` is (n_out, 1), as in the book:
both are lists whose arrays *are* the engine's parameters (views), so in-place edits are seen by
the engine, and assigning (``net.weights = [...]`` or ``net.weights[0] = w``) copies into them.

Like the book, computation is in float64 (``dtype="float32"`` on request) and, with no ``seed``,
initialisation draws from NumPy's global generator (``np.random.randn``: biases, then weights) and
the mini-batch order from ``random.shuffle`` — so ``np.random.seed``/``random.seed`` make runs
reproducible exactly as the book's do. With ``seed=...`` both come from one private generator.

One SGD step is the engine's (``training.step.train_step``) on the whole mini-batch at once:
w ← (1 − ηλ/n)·w − (η/m)·Σ_x ∇C_x,  b ← b − (η/m)·Σ_x ∇_b C_x,
the engine's mean-over-batch loss plus ``L2(λ/2n)`` on every kernel. Accuracies are counts and
costs include the (λ/2n)·Σ‖w‖² term, as in the book.
"""
from __future__ import annotations

import functools
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core import losses
from ..core.activations import Sigmoid
from ..core.backend import array_module_of
from ..core.layers import Dense
from ..core.regularizers import L2
from ..errors import ConfigError, DataError, ModelFileError
from ..model import Sequential
from ..optim.optimizers import SGD
from ..training import xla
from ..training.batches import ArrayBatches, inference_batches
from ..training.state import FitState
from ..training.step import plan_for, train_step


def sigmoid(z):
    """σ(z) = 1/(1 + e^{−z}), element-wise (accurate in both tails, no overflow warnings).

    Parameters
    ----------
    z : float or array_like
        Weighted inputs z = w·a + b (any shape).

    Returns
    -------
    float or ndarray (float64)
        σ(z), z's shape, in (0, 1).
    """
    return Sigmoid().value(np.asarray(z, dtype=np.float64))


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)).

    Parameters
    ----------
    z : float or array_like
        Weighted inputs z = w·a + b (any shape).

    Returns
    -------
    float or ndarray (float64)
        σ'(z), z's shape, in (0, ¼].
    """
    s = sigmoid(z)
    return s * (1 - s)


def vectorized_result(j, n: int = 10) -> np.ndarray:
    """An (n, 1) column with 1.0 in position j (the book's one-hot target; n = 10 digits).

    Parameters
    ----------
    j : int
        The class, 0 ≤ j < n.
    n : int, default 10
        The number of classes.

    Returns
    -------
    ndarray of shape (n, 1)
        Zeros except e[j] = 1.0 (float64).
    """
    e = np.zeros((n, 1))
    e[int(j)] = 1.0
    return e


class QuadraticCost:
    """C = ½‖a − y‖² per input; δ = (a − y) ⊙ σ'(z).

    The book's cost class: used as a class (``Network(sizes, cost=QuadraticCost)``), never
    instantiated; its methods are static. Trained by the engine as
    :class:`layerwise.QuadraticCost`.
    """

    @staticmethod
    def engine_loss():
        return losses.QuadraticCost()

    @staticmethod
    def fn(a, y):
        """The cost of one input, C = ½‖a − y‖².

        Parameters
        ----------
        a : ndarray of shape (n_out, 1)
            The network's output column for one input.
        y : ndarray of shape (n_out, 1)
            The target column (one-hot for classes).

        Returns
        -------
        float
            C.
        """
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        """The output error δᴸ = (a − y) ⊙ σ'(z) (BP1).

        Parameters
        ----------
        z : ndarray of shape (n_out, 1)
            The output layer's weighted input.
        a : ndarray of shape (n_out, 1)
            The network's output column for one input.
        y : ndarray of shape (n_out, 1)
            The target column (one-hot for classes).

        Returns
        -------
        ndarray of shape (n_out, 1)
            δᴸ.
        """
        return (a - y) * sigmoid_prime(z)

    @staticmethod
    def per_input(a, y):
        """fn for every input at once: a, y (n, n_out) → (n,).

        Parameters
        ----------
        a : ndarray of shape (n, n_out)
            Outputs, one row per input.
        y : ndarray of shape (n, n_out)
            Targets, one row per input.

        Returns
        -------
        ndarray of shape (n,)
            ½‖aᵢ − yᵢ‖² for each input.
        """
        d = a - y
        return 0.5 * (d * d).sum(axis=1)


class CrossEntropyCost:
    """C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] per input, with the book's ``nan_to_num``
    (0·ln 0 counts 0; a saturated wrong output counts 1.8e308); δ = a − y.

    The book's cost class, used as a class (``Network(sizes, cost=CrossEntropyCost)``, the
    default); its methods are static. Trained by the engine as
    ``layerwise.BinaryCrossentropy(sum_over_outputs=True)``.
    """

    @staticmethod
    def engine_loss():
        return losses.BinaryCrossentropy(sum_over_outputs=True)

    @staticmethod
    def fn(a, y):
        """The cost of one input, C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)].

        Parameters
        ----------
        a : ndarray of shape (n_out, 1)
            The network's output column for one input.
        y : ndarray of shape (n_out, 1)
            The target column (one-hot for classes).

        Returns
        -------
        float
            C (``nan_to_num`` applied, as the book does).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        """The output error δᴸ = a − y (σ'(z) cancels; z is unused and kept for the interface).

        Parameters
        ----------
        z : ndarray of shape (n_out, 1)
            The output layer's weighted input (unused).
        a : ndarray of shape (n_out, 1)
            The network's output column for one input.
        y : ndarray of shape (n_out, 1)
            The target column (one-hot for classes).

        Returns
        -------
        ndarray of shape (n_out, 1)
            δᴸ.
        """
        return a - y

    @staticmethod
    def per_input(a, y):
        """fn for every input at once: a, y (n, n_out) → (n,).

        Parameters
        ----------
        a : ndarray of shape (n, n_out)
            Outputs, one row per input.
        y : ndarray of shape (n, n_out)
            Targets, one row per input.

        Returns
        -------
        ndarray of shape (n,)
            The cost of each input.
        """
        xp = array_module_of(a)  # NumPy, or jax.numpy in the XLA engine's monitors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return xp.nan_to_num(-y * xp.log(a) - (1 - y) * xp.log(1 - a)).sum(axis=1)


COSTS = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


def _cost_class(cost) -> type[QuadraticCost] | type[CrossEntropyCost]:
    """The cost's class, given as the book does (a class) or as an instance."""
    cls = cost if isinstance(cost, type) else type(cost)
    if not (issubclass(cls, QuadraticCost) or issubclass(cls, CrossEntropyCost)):
        raise ConfigError(f"cost must be QuadraticCost or CrossEntropyCost (class or instance), got {cost!r}")
    return cls


# -- the book's data format -> arrays -------------------------------------------------------------
def _as_pairs(data, name: str) -> list:
    if data is None:
        return []
    try:
        pairs = data if isinstance(data, list) else list(data)
    except TypeError:
        raise DataError(f"{name} must be a list of (x, y) pairs") from None
    if not pairs:
        raise DataError(f"{name} is empty")
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs[:5]):
        raise DataError(f"{name} must be a list of (x, y) pairs")
    return pairs


def _inputs(pairs, n_in: int, name: str) -> np.ndarray:
    """The x columns as rows of one (n, n_in) array: one ``np.array`` over the list (12× faster than
    ``np.stack`` on 60,000 columns), kept in the data's own float dtype — batches are cast as they
    are gathered, so a float64 network never copies float32 pixels whole."""
    cols = [p[0] for p in pairs]
    xs = _rows_view(cols, n_in)
    if xs is None:
        try:
            xs = np.array(cols)
        except ValueError as exc:
            raise DataError(f"{name}: inputs have different sizes ({exc})") from None
    if xs.ndim < 2:
        raise DataError(f"{name}: inputs must be columns of numbers, got shape {xs.shape[1:]}")
    xs = xs.reshape(len(pairs), -1)
    if xs.shape[1] != n_in:
        raise DataError(f"{name}: inputs have {xs.shape[1]} values but the network's first layer has {n_in}")
    if xs.dtype.kind not in "fiub":
        raise DataError(f"{name}: inputs have dtype {xs.dtype}; expected numbers")
    if xs.dtype not in (np.float32, np.float64):
        xs = xs.astype(np.float64)
    if xs.size and not (np.isfinite(xs.max()) and np.isfinite(xs.min())):  # max/min propagate NaN; no temporaries
        raise DataError(f"{name}: inputs hold NaN or inf")
    return xs


def _rows_view(cols: list, n_in: int):
    """The columns as an (n, n_in) view without copying, when they are consecutive rows of one
    array (as the book's mnist_loader makes them: ``np.reshape(x, (784, 1))`` of each row); else
    None. Copying 60,000 columns costs more in page faults than the whole epoch's arithmetic."""
    first = cols[0]
    if not isinstance(first, np.ndarray) or not isinstance(first.base, np.ndarray) or first.size != n_in \
            or first.dtype not in (np.float32, np.float64):
        return None
    base, dtype = first.base, first.dtype
    if not all(type(c) is np.ndarray and c.base is base and c.dtype == dtype and c.size == n_in
               and c.flags.c_contiguous for c in cols):
        return None
    row = n_in * dtype.itemsize
    start = first.ctypes.data
    addresses = np.fromiter((c.ctypes.data for c in cols), dtype=np.int64, count=len(cols))
    if not np.array_equal(addresses - start, np.arange(len(cols), dtype=np.int64) * row):
        return None
    root = base
    while isinstance(root.base, np.ndarray):
        root = root.base
    lo = root.__array_interface__["data"][0]
    if start < lo or start + len(cols) * row > lo + root.nbytes:
        return None
    return np.ndarray((len(cols), n_in), dtype=dtype, buffer=root, offset=start - lo, strides=(row, dtype.itemsize))


def _targets(pairs, n_out: int, dtype, name: str) -> np.ndarray:
    """The y of each pair as rows (n, n_out): columns as given (soft targets too), integer labels
    turned into the book's one-hot columns."""
    first = np.asarray(pairs[0][1])
    if first.size == 1 and n_out > 1:  # integer labels (the book's validation_data / test_data)
        try:
            labels = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        except (TypeError, ValueError):
            raise DataError(f"{name}: targets must all be labels or all be columns") from None
        if labels.min() < 0 or labels.max() >= n_out:
            raise DataError(f"{name}: label {int(labels.max() if labels.max() >= n_out else labels.min())} "
                            f"is outside 0..{n_out - 1}")
        ys = np.zeros((len(pairs), n_out), dtype=dtype)
        ys[np.arange(len(pairs)), labels] = 1.0
        return ys
    try:
        ys = np.array([p[1] for p in pairs]).reshape(len(pairs), -1)
    except ValueError as exc:
        raise DataError(f"{name}: targets have different sizes ({exc})") from None
    if ys.shape[1] != n_out:
        raise DataError(f"{name}: targets have {ys.shape[1]} values but the network has {n_out} outputs")
    ys = np.ascontiguousarray(ys, dtype=dtype)
    if not np.isfinite(ys).all():
        raise DataError(f"{name}: targets hold NaN or inf")
    return ys


def _labels(pairs, ys: np.ndarray, convert: bool) -> np.ndarray:
    """What ``accuracy`` compares argmax(a) with: argmax of y columns, or the integer labels."""
    first = np.asarray(pairs[0][1])
    if convert or first.size > 1:
        return ys.argmax(axis=1)
    return np.fromiter((int(np.asarray(p[1]).reshape(-1)[0]) for p in pairs), dtype=np.int64, count=len(pairs))


class _BookList(list):
    """The book's weights or biases: a list of views of the engine's parameters; assigning an
    element copies into the parameter (shape checked)."""

    def __init__(self, views, what: str):
        super().__init__(views)
        self._what = what

    def __setitem__(self, i, value):
        if isinstance(i, slice):
            raise TypeError(f"assign {self._what} one array at a time, or the whole list")
        target = list.__getitem__(self, i)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ConfigError(f"{self._what}[{i}] must have shape {target.shape}, got {value.shape}")
        target[...] = value



@functools.cache
def _cost_and_correct(cost):
    """The per-row values the monitors sum for a cost class: (its cost, whether the argmax is the
    label). One function per class, so that the compiled pass is reused from one SGD call to the next."""
    def per_row(out, y, labels):
        return cost.per_input(out, y), out.argmax(axis=1) == labels
    return per_row


def _compiled_sums(engine, cost, evaluation):
    """(which, (x, y, labels)) → (Σ cost, correct count) by the XLA engine's compiled forward pass:
    the training rows are already on its device, the evaluation rows go there once, and only the
    two sums come back (the monitors cost one program each, not a NumPy pass over 60,000 rows). A
    float32 network's outputs come back instead, for the cost in float64 as NumPy computes it."""
    per_row = _cost_and_correct(cost)
    on_device = {"training": engine.data[0], "evaluation": None if evaluation is None else engine.put(evaluation[0])}
    targets: dict = {}

    def sums(which, data):
        if np.dtype(engine.model.dtype) != np.float64:  # the outputs come back: the sums as on NumPy
            return Network._host_sums(cost, engine.outputs(on_device[which]), data[1], data[2])
        if which not in targets:
            targets[which] = (engine.put(np.asarray(data[1], dtype=engine.model.dtype)), engine.put(data[2]))
        total, correct = engine.summed(on_device[which], per_row, *targets[which])
        return float(total), int(correct)
    return sums


class Network:
    """A fully connected sigmoid network with the book's interface, trained by the engine.

    ``network2.Network`` of Nielsen's book: inputs and targets are columns, ``weights[l]`` has
    shape (n_out, n_in) and ``biases[l]`` (n_out, 1); each layer is a layerwise Dense with a
    sigmoid underneath (``model``). Weights start as ``default_weight_initializer`` draws them.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first: ``[784, 30, 10]``.
    cost : class, default CrossEntropyCost
        :class:`CrossEntropyCost` or :class:`QuadraticCost` (the class, as in the book, or an
        instance).
    seed : int or None, default None
        None: draw from NumPy's global generator, as the book does (seed it with
        ``np.random.seed``). An int: from the model's own seeded generator (initial weights and
        shuffling).
    dtype : {"float64", "float32"}, default "float64"
        The engine's floating-point type (the book computes in float64).
    """

    def __init__(self, sizes, cost=CrossEntropyCost, seed: int | None = None, dtype="float64"):
        if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
                or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes)):
            raise ConfigError(f"sizes must be a list of at least two positive integers, got {sizes!r}")
        self._cost_cls = _cost_class(cost)
        self.num_layers = len(sizes)
        self.sizes = [int(s) for s in sizes]
        self.cost = cost
        self.seed = seed
        self._model = Sequential([Dense(n, "sigmoid") for n in self.sizes[1:]], input_shape=(self.sizes[0],),
                                 seed=seed, dtype=dtype, name="network")
        self._model.build()
        self.default_weight_initializer()

    # -- the book's parameter layout, as views of the engine's arrays ------------------------------
    @property
    def weights(self) -> list:
        """The weight matrices, one per layer after the input: ``weights[l]`` has shape
        (sizes[l+1], sizes[l]). Views of the engine's kernels (transposed): writing into one, or
        assigning a list of arrays of the same shapes, changes the network."""
        return _BookList([layer.params["kernel"].T for layer in self._model.layers], "weights")

    @weights.setter
    def weights(self, arrays) -> None:
        self._assign(arrays, self.weights, "weights")

    @property
    def biases(self) -> list:
        """The bias columns, one per layer after the input: ``biases[l]`` has shape (sizes[l+1], 1).
        Views of the engine's biases, like ``weights``."""
        return _BookList([layer.params["bias"][:, None] for layer in self._model.layers], "biases")

    @biases.setter
    def biases(self, arrays) -> None:
        self._assign(arrays, self.biases, "biases")

    @staticmethod
    def _assign(arrays, targets, what: str) -> None:
        arrays = [np.asarray(a) for a in arrays]
        if len(arrays) != len(targets):
            raise ConfigError(f"{what} needs {len(targets)} arrays, got {len(arrays)}")
        for i, (t, a) in enumerate(zip(targets, arrays)):
            if a.shape != t.shape:
                raise ConfigError(f"{what}[{i}] must have shape {t.shape}, got {a.shape}")
        for t, a in zip(targets, arrays):
            t[...] = a

    @property
    def model(self) -> Sequential:
        """The engine model underneath (for summary, save, predict, ...)."""
        return self._model

    def _normal(self, shape) -> np.ndarray:
        """N(0, 1) draws: NumPy's global generator (the book's np.random.randn) without a seed."""
        return np.random.randn(*shape) if self.seed is None else self._model.rng.standard_normal(shape)

    def default_weight_initializer(self) -> None:
        """Biases N(0, 1); weights N(0, 1/n_in) (std 1/√n_in). Drawn in the book's order."""
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.biases = [self._normal((y, 1)) for _, y in pairs]
        self.weights = [self._normal((y, x)) / np.sqrt(x) for x, y in pairs]

    def large_weight_initializer(self) -> None:
        """Biases and weights N(0, 1) (the book's first, "large" initialisation)."""
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.biases = [self._normal((y, 1)) for _, y in pairs]
        self.weights = [self._normal((y, x)) for x, y in pairs]

    # -- computing ---------------------------------------------------------------------------------
    def feedforward(self, a):
        """The output for input ``a``: an (n_in, 1) column gives (n_out, 1) and an (n_in, k) matrix
        of columns gives (n_out, k), as in the book; (k, n_in) rows (k ≠ n_in) give (k, n_out).

        Parameters
        ----------
        a : array_like of shape (n_in, 1), (n_in, k) or (k, n_in)
            Input columns (or rows).

        Returns
        -------
        ndarray
            The output activations, laid out as the input: (n_out, 1), (n_out, k) or (k, n_out).
        """
        a = np.asarray(a, dtype=self._model.dtype)
        n_in = self.sizes[0]
        if a.ndim == 1 and a.shape[0] == n_in:
            a = a.reshape(-1, 1)
        if a.ndim == 2 and a.shape[0] == n_in:
            return self._model.predict(a.T).T
        return self._model.predict(a)

    def _outputs(self, x: np.ndarray) -> np.ndarray:
        """Outputs for rows x, in chunks (each cast to the network's dtype on its own)."""
        return np.concatenate([self._model.predict(xb, batch_size=2048) for _, xb in inference_batches(x, 2048)]
                              ).astype(np.float64, copy=False)

    def _total_cost(self, outputs, ys, lmbda: float) -> float:
        return self._regularized(float(self._cost_cls.per_input(outputs, ys.astype(np.float64, copy=False)).sum()),
                                 len(ys), lmbda)

    def _regularized(self, cost_sum: float, n: int, lmbda: float) -> float:
        """(1/n)·Σ_x C_x + ½(λ/n)·Σ‖w‖², from the sum of the inputs' costs."""
        return cost_sum / n + 0.5 * (lmbda / n) * sum(float(np.linalg.norm(w) ** 2) for w in self.weights)

    def _sums(self, which: str, data) -> tuple[float, int]:
        """(Σ cost, correct count) on one data set (x, y, labels) by a NumPy pass."""
        x, y, labels = data
        return self._host_sums(self._cost_cls, self._outputs(x), y, labels)

    @staticmethod
    def _host_sums(cost, outputs, y, labels) -> tuple[float, int]:
        """(Σ cost (float64 targets), how many rows' argmax equals their label) from the outputs."""
        return float(cost.per_input(outputs, np.asarray(y, dtype=np.float64)).sum()), Network._correct(outputs, labels)

    @staticmethod
    def _correct(outputs, labels) -> int:
        return int((outputs.argmax(axis=1) == labels).sum())

    def accuracy(self, data, convert: bool = False) -> int:
        """How many inputs the network classifies right (argmax of its output). ``convert=True``:
        the targets are one-hot columns (training data); else integer labels (columns are
        recognised either way).

        Parameters
        ----------
        data : list of (x, y) pairs
            x an (n_in, 1) column; y an integer label or a one-hot (n_out, 1) column.
        convert : bool, default False
            The book's flag: True for training data (one-hot y).

        Returns
        -------
        int
            The number of inputs whose argmax output equals their class.
        """
        pairs = _as_pairs(data, "data")
        x = _inputs(pairs, self.sizes[0], "data")
        ys = _targets(pairs, self.sizes[-1], np.float64, "data")
        return self._correct(self._outputs(x), _labels(pairs, ys, convert))

    def total_cost(self, data, lmbda: float, convert: bool = False) -> float:
        """Mean cost per input plus ½(λ/n)·Σ‖w‖². ``convert=True``: the targets are integer labels,
        turned into one-hot columns (labels are recognised either way).

        Parameters
        ----------
        data : list of (x, y) pairs
            As for :meth:`accuracy`.
        lmbda : float
            λ, the L2 regularisation parameter (0 for none).
        convert : bool, default False
            The book's flag: True for validation or test data (integer labels).

        Returns
        -------
        float
            (1/n) Σ_x C_x + ½(λ/n)·Σ‖w‖² over the n inputs.
        """
        pairs = _as_pairs(data, "data")
        x = _inputs(pairs, self.sizes[0], "data")
        ys = _targets(pairs, self.sizes[-1], np.float64, "data")
        return self._total_cost(self._outputs(x), ys, float(lmbda))

    # -- training ----------------------------------------------------------------------------------
    def _plan(self, eta: float, lmbda: float, n: int):
        """Ready the engine for the book's update and return the step plan (no loss values: the
        book monitors separately). The L2 terms exist only while training (see _untrain)."""
        model = self._model
        for layer in self._dense_layers():  # (λ/2n)·Σw², so the gradient adds (λ/n)·w
            layer.kernel_regularizer = L2(lmbda / (2.0 * n)) if lmbda else None
        if model.loss is None or type(model.loss) is not type(self._cost_cls.engine_loss()):
            model.compile(SGD(eta), self._cost_cls.engine_loss())
        else:
            assert model.optimizer is not None  # compiled together with the loss
            model.optimizer.learning_rate = SGD(eta).learning_rate
        model.collect_params()
        return replace(plan_for(model), measure=False)

    def _dense_layers(self) -> list[Dense]:
        """The engine's layers: each one a Dense (the network is built of nothing else)."""
        return [layer for layer in self._model.layers if isinstance(layer, Dense)]

    def _untrain(self) -> None:
        for layer in self._dense_layers():
            layer.kernel_regularizer = None

    def update_mini_batch(self, mini_batch, eta, lmbda, n) -> None:
        """One gradient step on ``mini_batch`` (a list of (x, y) pairs):
        w ← (1 − ηλ/n)·w − (η/m)·Σ∇C_x,  b ← b − (η/m)·Σ∇_b C_x.

        Parameters
        ----------
        mini_batch : list of (x, y) pairs
            m training pairs: (n_in, 1) input and (n_out, 1) target columns.
        eta : float
            η, the learning rate.
        lmbda : float
            λ, the L2 regularisation parameter.
        n : int
            The size of the whole training set (λ is scaled by it).
        """
        pairs = _as_pairs(mini_batch, "mini_batch")
        dtype = self._model.dtype
        x = _inputs(pairs, self.sizes[0], "mini_batch").astype(dtype, copy=False)
        y = _targets(pairs, self.sizes[-1], dtype, "mini_batch")
        try:
            train_step(self._model, self._plan(float(eta), float(lmbda), int(n)), x, y)
        finally:
            self._untrain()

    def backprop(self, x, y) -> tuple[list, list]:
        """(nabla_b, nabla_w): the gradient of the cost C_x of one input, layer by layer, shaped
        like ``biases`` and ``weights`` (the four BP equations, run by the engine's layers).

        Parameters
        ----------
        x : array_like of shape (n_in, 1)
            One input column.
        y : array_like of shape (n_out, 1)
            Its target column.

        Returns
        -------
        tuple of (list of ndarray, list of ndarray)
            (nabla_b, nabla_w): ∂C_x/∂b of shape (n_out, 1) and ∂C_x/∂w of shape (n_out, n_in)
            for each layer (float64, without the regularisation term).
        """
        model, dtype = self._model, self._model.dtype
        xb = np.asarray(x, dtype=dtype).reshape(1, -1)
        yb = np.asarray(y, dtype=dtype).reshape(1, -1)
        if xb.shape[1] != self.sizes[0] or yb.shape[1] != self.sizes[-1]:
            raise DataError(f"backprop needs x of {self.sizes[0]} values and y of {self.sizes[-1]}, "
                            f"got {xb.shape[1]} and {yb.shape[1]}")
        self._untrain()
        loss = self._cost_cls.engine_loss()
        model.collect_params()
        out = model.forward(xb, training=True)
        if loss.fused_activation == "sigmoid":
            model.backward(loss.grad_z(out, yb), fused=True, all_layers=True)
        else:
            model.backward(loss.grad(out, yb), all_layers=True)
        nabla_b = [layer.grads["bias"].astype(np.float64)[:, None] for layer in model.layers]
        nabla_w = [layer.grads["kernel"].T.astype(np.float64) for layer in model.layers]
        return nabla_b, nabla_w

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0):
        """Mini-batch stochastic gradient descent, printing and returning what the book's does:
        (evaluation_cost, evaluation_accuracy, training_cost, training_accuracy), one entry per
        epoch for each monitor switched on. ``early_stopping_n``: return once the accuracy
        (evaluation, else training) has not improved for that many epochs.

        Parameters
        ----------
        training_data : list of (x, y) pairs
            (n_in, 1) input columns and one-hot (n_out, 1) targets.
        epochs : int
            Passes over the training data (≥ 0).
        mini_batch_size : int
            m, the inputs per gradient step (≥ 1).
        eta : float
            η > 0, the learning rate.
        lmbda : float, default 0.0
            λ ≥ 0, L2 regularisation: the cost gains ½(λ/n)·Σ‖w‖².
        evaluation_data : list of (x, y) pairs or None, default None
            Validation or test pairs with integer labels, for the evaluation monitors.
        monitor_evaluation_cost, monitor_evaluation_accuracy : bool, default False
            Print and record the cost / accuracy on ``evaluation_data`` after each epoch.
        monitor_training_cost, monitor_training_accuracy : bool, default False
            The same on ``training_data``.
        early_stopping_n : int, default 0
            Stop after this many epochs without a better accuracy; 0: never.

        Returns
        -------
        tuple of four lists
            (evaluation_cost, evaluation_accuracy, training_cost, training_accuracy), one value
            per epoch in each list whose monitor is on (accuracies as counts of correct inputs).
        """
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ConfigError(f"epochs must be an integer >= 0, got {epochs!r}")
        if isinstance(mini_batch_size, bool) or not isinstance(mini_batch_size, (int, np.integer)) \
                or mini_batch_size < 1:
            raise ConfigError(f"mini_batch_size must be a positive integer, got {mini_batch_size!r}")
        if not float(eta) > 0:
            raise ConfigError(f"eta must be > 0, got {eta}")
        if not float(lmbda) >= 0:
            raise ConfigError(f"lmbda must be >= 0, got {lmbda}")
        dtype = self._model.dtype
        pairs = _as_pairs(training_data, "training_data")
        x, y = _inputs(pairs, self.sizes[0], "training_data"), _targets(pairs, self.sizes[-1], dtype, "training_data")
        train_labels = _labels(pairs, y, convert=True)
        evaluation = None
        if evaluation_data is not None:
            epairs = _as_pairs(evaluation_data, "evaluation_data")
            ex = _inputs(epairs, self.sizes[0], "evaluation_data")
            ey = _targets(epairs, self.sizes[-1], np.float64, "evaluation_data")
            evaluation = (ex, ey, _labels(epairs, ey, convert=False))
        n = len(x)
        lists = {"evaluation_cost": [], "evaluation_accuracy": [], "training_cost": [], "training_accuracy": []}
        best, since_best = 1, 0
        order = list(range(n))  # shuffled in place every epoch, as the book shuffles its list
        batches = ArrayBatches(x, y, None, int(mini_batch_size), dtype=dtype)
        try:
            plan = self._plan(float(eta), float(lmbda), n)
            engine, _ = xla.engine_for(self._model, plan, (), batches, None)  # an epoch as one program
            sums = self._sums if engine is None else _compiled_sums(engine, self._cost_cls, evaluation)
            for j in range(int(epochs)):
                if self.seed is None:
                    random.shuffle(order)
                    batches.begin_epoch(np.array(order))
                else:
                    batches.begin_epoch(self._model.rng.permutation(n))
                self._train_epoch(plan, engine, batches)
                print(f"Epoch {j} training complete")
                accuracy = self._monitor(lists, sums, x, y, train_labels, evaluation, float(lmbda),
                                         (monitor_training_cost, monitor_training_accuracy,
                                          monitor_evaluation_cost, monitor_evaluation_accuracy), early_stopping_n)
                print()
                if early_stopping_n > 0:
                    if accuracy > best:
                        best, since_best = accuracy, 0
                    else:
                        since_best += 1
                    if since_best == early_stopping_n:
                        break
        finally:
            self._untrain()
        return (lists["evaluation_cost"], lists["evaluation_accuracy"], lists["training_cost"],
                lists["training_accuracy"])

    def _train_epoch(self, plan, engine, batches) -> None:
        """One epoch's mini-batch steps: one compiled program on the XLA engine, else step by step."""
        if engine is not None:
            engine.run(batches, FitState(n_train=batches.n, batch_size=batches.batch_size), None)
            return
        for step in range(batches.steps):
            xb, yb, lb, _ = batches.get(step)
            train_step(self._model, plan, xb, yb, lb)

    def _monitor(self, lists, sums, x, y, labels, evaluation, lmbda, flags, early_stopping_n):
        """One epoch's monitors, printed in the book's words; returns the accuracy early stopping
        watches (evaluation if there is evaluation data, else training). ``sums``: (which, data) →
        (Σ cost, correct count), by NumPy or by the XLA engine's compiled forward pass."""
        train_cost, train_acc, eval_cost, eval_acc = flags
        accuracy = None
        if train_cost or train_acc or (early_stopping_n and evaluation is None):
            accuracy = self._monitor_one(lists, sums, "training", (x, y, labels), lmbda, train_cost, train_acc)
        if evaluation is not None and (eval_cost or eval_acc or early_stopping_n):
            accuracy = self._monitor_one(lists, sums, "evaluation", evaluation, lmbda, eval_cost, eval_acc)
        return accuracy

    def _monitor_one(self, lists, sums, which: str, data, lmbda: float, cost_on: bool, accuracy_on: bool) -> int:
        """Cost and accuracy on one data set from one forward pass, appended and printed if asked."""
        cost_sum, accuracy = sums(which, data)
        n = len(data[0])
        if cost_on:
            cost = self._regularized(cost_sum, n, lmbda)
            lists[f"{which}_cost"].append(cost)
            print(f"Cost on {which} data: {cost}")
        if accuracy_on:
            lists[f"{which}_accuracy"].append(accuracy)
            print(f"Accuracy on {which} data: {accuracy} / {n}")
        return accuracy

    # -- files ---------------------------------------------------------------------------------------
    def save(self, filename) -> None:
        """The book's JSON file: sizes, weights, biases and the cost's name (written atomically).

        Parameters
        ----------
        filename : str or pathlib.Path
            The file to write; :func:`load` (or the book's ``network2.load``) reads it.
        """
        from ..formats.atomic import atomic_write_text
        data = {"sizes": self.sizes,
                "weights": [w.astype(np.float64).tolist() for w in self.weights],
                "biases": [b.astype(np.float64).tolist() for b in self.biases],
                "cost": self._cost_cls.__name__}
        atomic_write_text(filename, json.dumps(data))


def load(filename, dtype="float64") -> Network:
    """Load a network saved by ``Network.save`` (or the book's network2.py), validating every field.

    Parameters
    ----------
    filename : str or pathlib.Path
        The JSON file.
    dtype : {"float64", "float32"}, default "float64"
        The network's floating-point type.

    Returns
    -------
    Network
        The network with the file's sizes, cost, weights and biases. A missing or malformed
        file raises ModelFileError.
    """
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
    net = Network(sizes, cost=COSTS[data["cost"]], dtype=dtype)  # draws its initial weights, as the book's does
    net.weights = [w for w, _ in arrays]
    net.biases = [b for _, b in arrays]
    return net


def to_book_format(x: np.ndarray, y: np.ndarray, n_classes: int = 10, one_hot: bool = True) -> list:
    """Arrays → the book's list of (x column, y) pairs (one-hot columns for training data).

    Parameters
    ----------
    x : ndarray of shape (n, n_in)
        Inputs, one row per sample (a ``Dataset``'s ``x_train``).
    y : ndarray of shape (n,)
        Integer labels.
    n_classes : int, default 10
        The length of a one-hot column.
    one_hot : bool, default True
        True: y becomes an (n_classes, 1) one-hot column (the book's training data); False: an
        int (its validation and test data).

    Returns
    -------
    list of (ndarray, ndarray or int)
        n pairs of an (n_in, 1) input column and its target.
    """
    eye = np.eye(n_classes)
    return [(xi.reshape(-1, 1), eye[int(yi)].reshape(-1, 1) if one_hot else int(yi)) for xi, yi in zip(x, y)]
