"""The step program (training/program.py) and its lanes (core/lanes.py) equal the layers' reference
passes bit for bit, for every activation, with the other layers, regularizers, weights, EMA and
frozen layers; and a product cut into blocks equals the whole product, whichever lanes run it."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import layerwise as lw
from layerwise.core import dense_kernels, lanes
from layerwise.training import program as program_mod

pytestmark = pytest.mark.skipif(not lanes.available(), reason="the compiled lanes were not built")

ACTIVATIONS = ["relu", "leaky_relu", "linear", "sigmoid", "tanh", "elu", "gelu", "swish", "selu", "softplus",
               "hard_sigmoid"]


def mlp(out=10, activation="relu", output="softmax"):
    """A model large enough for the program (≥ fused.MIN_SIZE parameters)."""
    return lambda: [lw.Dense(256, activation), lw.Dense(64, activation), lw.Dense(out, output)]


def data(n=300, d=100, k=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, n)


def fit(use_program, monkeypatch, layers, loss="categorical_crossentropy", optimizer="adam", x=None, y=None,
        dtype=None, epochs=2, batch_size=64, ema=None, **fit_kw):
    """Weights and losses after a short fit, with or without the program (reference: one BLAS thread)."""
    monkeypatch.setenv("LAYERWISE_PROGRAM", "1" if use_program else "0")
    if x is None:
        x, y = data()
    model = lw.Sequential(layers(), input_shape=(x.shape[1],), seed=0, dtype=dtype)
    model.compile(optimizer, loss, ema=ema)
    used = lanes.stats()["jobs"]
    with threadpool_limits(1):
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, **fit_kw)
    assert (lanes.stats()["jobs"] > used) == use_program, "the program ran where it should (and only there)"
    return model.get_weights(), history.history["loss"]


def assert_same(monkeypatch, layers, **kw):
    w0, l0 = fit(False, monkeypatch, layers, **kw)
    w1, l1 = fit(True, monkeypatch, layers, **kw)
    assert l0 == l1
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_bit_identical(monkeypatch, activation):
    assert_same(monkeypatch, lambda: [lw.Dense(256, activation), lw.Dense(64, activation), lw.Dense(10, "softmax")])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam",
                                       "adamax"])
def test_every_optimizer_bit_identical(monkeypatch, optimizer):
    assert_same(monkeypatch, mlp(), optimizer=optimizer)


def test_other_layers_regularizers_and_no_bias(monkeypatch):
    assert_same(monkeypatch, lambda: [
        lw.Dense(256, "relu", use_bias=False, kernel_regularizer=lw.L2(1e-3)),
        lw.BatchNormalization(), lw.Dropout(0.3),
        lw.Dense(64, "tanh", bias_regularizer=lw.L1(1e-3), kernel_constraint=lw.MaxNorm(2.0)),
        lw.Dense(10, "softmax")])


def test_sample_weights_ema_and_a_last_partial_batch(monkeypatch):
    x, y = data(n=250)
    weights = np.linspace(0.5, 2.0, len(x))
    assert_same(monkeypatch, mlp(), x=x, y=y, ema=0.9,
                sample_weight=weights, batch_size=64)


def test_sigmoid_output_with_binary_crossentropy_and_mse_regression(monkeypatch):
    x, _ = data()
    yb = (x[:, :3] > 0).astype(np.float32)
    assert_same(monkeypatch, mlp(3, output="sigmoid"), loss="binary_crossentropy",
                x=x, y=yb)
    assert_same(monkeypatch, mlp(3, "elu", output="linear"), loss="mse", x=x, y=x[:, :3] * 2)


def test_float64_and_a_frozen_first_layer(monkeypatch):
    assert_same(monkeypatch, mlp(), dtype="float64")

    def frozen():
        first = lw.Dense(256, "relu")
        first.trainable = False
        return [first, lw.Dense(128, "relu"), lw.Dense(10, "softmax")]
    assert_same(monkeypatch, frozen)


def test_small_models_keep_the_reference(monkeypatch):
    monkeypatch.setenv("LAYERWISE_PROGRAM", "1")
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(3, "softmax")], input_shape=(4,), seed=0)
    model.compile("adam", "categorical_crossentropy")
    model.build()
    assert program_mod.program_for(model, 32) is None


def test_a_user_dense_subclass_runs_its_own_forward(monkeypatch):
    class Doubled(lw.Dense):
        def forward(self, x, training=False):
            return 2 * super().forward(x, training)

    w0, _ = fit(False, monkeypatch, lambda: [Doubled(256, "relu"), lw.Dense(64, "relu"), lw.Dense(10, "softmax")])
    w1, _ = fit(True, monkeypatch, lambda: [Doubled(256, "relu"), lw.Dense(64, "relu"), lw.Dense(10, "softmax")])
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)


# -- the kernels against the activation classes ----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [lw.activations.get(n) for n in
                                        ("linear", "relu", "sigmoid", "tanh", "elu")] +
                         [lw.activations.get("leaky_relu", alpha=0.2), lw.activations.get("elu", alpha=0.5)])
def test_kernels_equal_the_activation_classes(activation, dtype):
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((33, 47)) * 3).astype(dtype)
    z[0, :3] = [np.nan, np.inf, -np.inf]
    b = rng.standard_normal(47).astype(dtype)
    kind, alpha = dense_kernels.kind_of(activation), dense_kernels.alpha_of(activation)
    ref = z + b
    ref = activation.value(ref, out=ref)
    if kind in dense_kernels.EXACT_FORWARD:
        got = z.copy()
        dense_kernels.bias_activation(got, b, kind, alpha)
        np.testing.assert_array_equal(got, ref)
    dy = rng.standard_normal(z.shape).astype(dtype)
    want = activation.backward(dy.copy(), ref)
    got_d, gb = dy.copy(), np.empty(47, dtype)
    dense_kernels.activation_backward_bias(got_d, ref, gb, kind, alpha)
    np.testing.assert_array_equal(got_d, want)
    np.testing.assert_array_equal(gb, want.sum(axis=0))


def test_a_subclassed_activation_has_no_kernel():
    class MyReLU(lw.activations.ReLU):
        def value(self, z, out=None):
            return np.maximum(z, 0.1, out=out)
    assert dense_kernels.kind_of(MyReLU()) is None


# -- the lanes -------------------------------------------------------------------------------------
SHAPES = [(128, 784, 256), (784, 128, 256), (128, 256, 128), (3, 5, 7), (512, 300, 1000), (1, 64, 300)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_blocks_give_one_answer_on_any_lanes(m, k, n, dtype):
    """The same bits on one lane and on two, for every operand layout; the whole product's bits for
    float32 (what BLAS gives with its tiles kept whole), its value to rounding for float64."""
    rng = np.random.default_rng(2)
    a_rows = rng.standard_normal((m, k)).astype(dtype)
    a_cols = np.ascontiguousarray(a_rows.T).T        # the same matrix, stored transposed
    b = rng.standard_normal((k, n)).astype(dtype)
    bt = np.ascontiguousarray(b.T)
    with threadpool_limits(1):
        want = a_rows @ b
    results = []
    for a, bb in [(a_rows, b), (a_cols, b), (a_rows, bt.T), (a_cols, bt.T)]:
        for n_lanes in (1, 2):
            out = np.full((m, n), np.nan, dtype)
            table = lanes.Products()
            k_id = table.add(a, bb, out)
            lanes.set_lanes(n_lanes)
            try:
                with lanes.single_threaded_blas():
                    table.run(k_id)
            finally:
                lanes.set_lanes(2)
            results.append(out)
    for one_lane, two_lanes in zip(results[::2], results[1::2]):
        np.testing.assert_array_equal(two_lanes, one_lane)
    for out in results:
        if dtype == np.float32 and m > 1:  # (a single row goes through gemv in NumPy)
            np.testing.assert_array_equal(out, want)
        else:
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(out, want, rtol=tol, atol=tol * np.abs(want).max())


def test_products_refuse_what_they_cannot_multiply():
    table = lanes.Products()
    with pytest.raises(ValueError, match="cannot multiply"):
        table.add(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32), np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="one float dtype"):
        table.add(np.ones((2, 3), np.float32), np.ones((3, 5), np.float64), np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="neither row- nor column-contiguous"):
        table.add(np.ones((4, 6), np.float32)[::2, ::2], np.ones((3, 5), np.float32), np.ones((2, 5), np.float32))


def test_blas_threads_are_given_back():
    from threadpoolctl import threadpool_info
    before = [i["num_threads"] for i in threadpool_info()]
    with lanes.single_threaded_blas():
        pass
    assert [i["num_threads"] for i in threadpool_info()] == before


def test_batches_gathered_on_the_lanes_equal_take():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 37)).astype(np.float32)
    rows = rng.permutation(500)[:129].astype(np.int64)
    out = np.empty((129, 37), np.float32)
    assert lanes.gather(x, rows, out)
    np.testing.assert_array_equal(out, x[rows])
    with pytest.raises(IndexError, match="row 500 outside 0..499"):
        lanes.gather(x, np.array([3, 500] * 20, np.int64), np.empty((40, 37), np.float32))
    assert not lanes.gather(x[:, ::2], rows, np.empty((129, 19), np.float32))  # not contiguous: the caller's take


def test_a_forked_child_runs_on_one_lane():
    """A child of fork() has no helper thread: its products run on its one lane, and finish."""
    import multiprocessing as mp
    table = lanes.Products()
    a, b = np.ones((256, 300), np.float32), np.ones((300, 256), np.float32)
    out = np.zeros((256, 256), np.float32)
    k = table.add(a, b, out)
    table.run(k)  # the helper is running in this process
    _FORKED.update(table=table, k=k, out=out)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_run_in_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=60) == 300.0
    finally:
        child.join(timeout=60)
    assert child.exitcode == 0


_FORKED: dict = {}


def _run_in_child(queue):
    out = _FORKED["out"]  # the parent's buffers, at the same addresses in the child
    out[...] = 0
    _FORKED["table"].run(_FORKED["k"])
    queue.put(float(out.mean()))


def test_inputs_that_move_every_step_are_copied_not_registered(monkeypatch):
    """A Dropout's output is a new array every step: the Dense above copies it into its own buffer
    once it has seen a few, so the product table stays small over a long fit (and the result equal)."""
    built = []
    real = program_mod.program_for

    def keep(model, rows):
        built.append(real(model, rows))
        return built[-1]
    monkeypatch.setattr("layerwise.training.loop.program_for", keep)
    x, y = data(n=600)
    assert_same(monkeypatch, lambda: [lw.Dense(256, "relu"), lw.Dropout(0.5), lw.Dense(64, "relu"),
                                      lw.Dropout(0.2), lw.Dense(10, "softmax")], x=x, y=y, epochs=3, batch_size=32)
    program = built[-1]
    steps = 3 * -(-600 // 32)
    assert len(program.products.spans) <= 3 * 3 * 6 < steps


def test_augmentation_in_front(monkeypatch):
    x, y = data(n=200, d=144)
    x = np.abs(x) / 4
    assert_same(monkeypatch, lambda: [lw.Augment(shift=0.1, rotation=10, image_shape=(12, 12)), lw.Dense(256, "relu"),
                                      lw.Dense(64, "relu"), lw.Dense(10, "softmax")], x=x, y=y, epochs=2, batch_size=32)


def test_two_python_threads_share_the_lanes_safely():
    """A second Python thread's job, while the helper serves the first, runs on its own thread."""
    import threading
    rng = np.random.default_rng(4)
    tables = []
    for _ in range(2):
        a, b = rng.standard_normal((256, 300)).astype(np.float32), rng.standard_normal((300, 256)).astype(np.float32)
        out = np.zeros((256, 256), np.float32)
        table = lanes.Products()
        tables.append((table, table.add(a, b, out), out, a @ b))
    with lanes.single_threaded_blas():
        errors: list = []

        def work(table, k, out, expected):
            for _ in range(200):
                out[...] = 0
                table.run(k)
                if not np.allclose(out, expected, rtol=1e-4, atol=1e-3):
                    errors.append("wrong product")
                    return
        threads = [threading.Thread(target=work, args=t) for t in tables]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
