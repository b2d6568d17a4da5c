"""The XLA engine against the NumPy engine (to rounding, never bit for bit), and every written-out
backward against jax.grad of its forward (float64)."""
from __future__ import annotations

import copy
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import registry
from layerwise.core import activations, losses
from layerwise.core.backend import array_module_of

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

ACTIVATIONS = [n for n in registry.names("activation") if n not in ("identity", "leaky-relu", "leakyrelu", "silu")]
OPTIMIZERS = registry.names("optimizer")


@pytest.fixture
def x64():
    """float64 in JAX, for the jax.grad oracles that compare in float64. The engine's tests run
    without it, as a user's process does: the engine turns x64 on for its own calls only."""
    with jax.enable_x64(True):
        yield


# -- jax.grad as the oracle of each written-out backward ------------------------------------------
@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_equals_autodiff(name):
    act = activations.get(name)
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 7)) * 2
    z[np.abs(z) < 1e-3] = 0.5  # away from relu's kink
    dy = rng.normal(size=z.shape)
    a, vjp = jax.vjp(act.f, jnp.asarray(z))
    np.testing.assert_allclose(np.asarray(a), act.value(z), rtol=1e-12, atol=1e-14)
    (expected,) = vjp(jnp.asarray(dy))
    got = act.backward(dy.copy(), act.value(z), z=z)
    np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-9, atol=1e-12)


LOSS_CASES = [("mse", "dense"), ("quadratic", "dense"), ("binary_crossentropy", "prob"), ("huber", "dense"),
              ("mae", "dense"), ("hinge", "signed"), ("squared_hinge", "signed"),
              ("categorical_crossentropy", "prob"), ("log_likelihood", "prob")]


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("name, kind", LOSS_CASES)
def test_loss_grad_equals_autodiff(name, kind):
    loss = losses.get(name)
    rng = np.random.default_rng(2)
    if kind == "prob":
        p = rng.uniform(0.05, 1, size=(6, 4))
        y_pred = p / p.sum(axis=1, keepdims=True)
        y_true = np.eye(4)[rng.integers(0, 4, 6)]
    elif kind == "signed":
        y_pred, y_true = rng.normal(size=(6, 4)), rng.choice([-1.0, 1.0], size=(6, 4))
    else:
        y_pred, y_true = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    expected = jax.grad(lambda a: loss.value_array(a, jnp.asarray(y_true)))(jnp.asarray(y_pred))
    np.testing.assert_allclose(loss.grad(y_pred, y_true), np.asarray(expected), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, act, sparse", [("categorical_crossentropy", "softmax", False),
                                               ("categorical_crossentropy", "softmax", True),
                                               ("binary_crossentropy", "sigmoid", False)])
@pytest.mark.usefixtures("x64")
def test_fused_delta_equals_autodiff_through_the_activation(name, act, sparse):
    loss, f = losses.get(name), activations.get(act)
    rng = np.random.default_rng(3)
    z = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6) if sparse else (np.eye(4)[rng.integers(0, 4, 6)] if act == "softmax"
                                              else rng.integers(0, 2, (6, 4)).astype(float))
    expected = jax.grad(lambda zz: loss.value_array(f.f(zz), jnp.asarray(y)))(jnp.asarray(z))
    np.testing.assert_allclose(loss.grad_z(f.value(z), y), np.asarray(expected), rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("act", ["tanh", "gelu", "relu"])
@pytest.mark.parametrize("reg", [None, lw.L1L2(0.01, 0.02)])
def test_dense_backward_equals_autodiff(act, reg):
    """BP1–BP4 of a Dense layer (kernel, bias and input gradients, with its regularizer) against
    jax.grad of Σ dy ⊙ forward(x) + R(W)."""
    rng = np.random.default_rng(4)
    layer = lw.Dense(5, act, kernel_regularizer=reg)
    layer.build((3,), rng, np.float64)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 5))
    layer.forward(x, training=True)
    dx = layer.backward(dy.copy())

    def scalar(kernel, bias, xx):
        z = xx @ kernel + bias
        penalty = 0.0 if reg is None else reg.penalty_array(kernel)
        return (activations.get(act).f(z) * dy).sum() + penalty

    gk, gb, gx = jax.grad(scalar, argnums=(0, 1, 2))(jnp.asarray(layer.params["kernel"]),
                                                    jnp.asarray(layer.params["bias"]), jnp.asarray(x))
    np.testing.assert_allclose(layer.grads["kernel"], np.asarray(gk), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], np.asarray(gb), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dx, np.asarray(gx), rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("x64")
def test_max_norm_projection_is_the_same_on_both_namespaces():
    from layerwise.core.regularizers import MaxNorm
    w = np.random.default_rng(5).normal(size=(6, 3)) * 3
    c = MaxNorm(1.5)
    np.testing.assert_allclose(np.asarray(c.project(jnp.asarray(w))), c.project(w), rtol=1e-13)


# -- one step from the same state: XLA equals NumPy to rounding ----------------------------------
def _data(n=96, d=12, k=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)


def _fit(engine, layers, optimizer, x, y, loss="sparse_categorical_crossentropy", epochs=1, batch_size=None,
         dtype=None, **kw):
    model = lw.Sequential(layers(), seed=0, dtype=dtype)
    model.compile(optimizer(), loss, metrics=["accuracy"], ema=kw.pop("ema", None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the XLA fits here must not fall back
        model.fit(x, y, epochs=epochs, batch_size=batch_size or len(x), verbose=0, engine=engine, **kw)
    return model


def _same(a, b, rtol, atol=1e-7):
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_one_step_equal_for_every_activation(act):
    x, y = _data()
    out = "softmax"
    layers = lambda: [lw.Dense(16, act), lw.Dense(4, out)]  # noqa: E731
    a = _fit("numpy", layers, lambda: lw.SGD(0.1), x, y)
    b = _fit("xla", layers, lambda: lw.SGD(0.1), x, y)
    _same(a, b, rtol=1e-5)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_one_step_equal_for_every_optimizer(name):
    """Adam-like rules compare step by step: m/√v turns a rounding-sized difference in a near-zero
    gradient into a full step, so whole trajectories of two correct engines part."""
    x, y = _data()
    layers = lambda: [lw.Dense(16, "relu"), lw.Dense(4, "softmax")]  # noqa: E731
    a = _fit("numpy", layers, lambda: lw.optimizers.get(name), x, y)
    b = _fit("xla", layers, lambda: lw.optimizers.get(name), x, y)
    _same(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["l1_l2", "max_norm", "no_bias", "sample_weights", "ema", "partial_batch",
                                  "float64", "mse_linear", "bce_sigmoid", "weight_decay_clip", "batchnorm",
                                  "dropout", "batchnorm_dropout_adam", "clipnorm", "global_clipnorm",
                                  "all_clips_adam", "augment", "augment_dropout_partial"])
def test_one_epoch_equal_for_each_feature(case):
    x, y = _data(n=100)
    loss, fit_kw, opt = "sparse_categorical_crossentropy", {}, (lambda: lw.SGD(0.05, momentum=0.9))
    dense = {"l1_l2": dict(kernel_regularizer=lw.L1L2(1e-3, 1e-3)), "max_norm": dict(kernel_constraint="max_norm"),
             "no_bias": dict(use_bias=False)}.get(case, {})
    layers = lambda: [lw.Dense(16, "tanh", **dense), lw.Dense(4, "softmax")]  # noqa: E731
    batch, dtype, rtol = 20, None, 1e-5
    if case == "sample_weights":
        fit_kw["sample_weight"] = np.random.default_rng(1).uniform(0, 2, len(x))
    elif case == "ema":
        fit_kw["ema"] = 0.9
    elif case == "partial_batch":
        batch = 32
    elif case == "float64":
        dtype, rtol = "float64", 1e-10
    elif case == "mse_linear":
        loss, y = "mse", np.eye(4)[y].astype(np.float32)
        layers = lambda: [lw.Dense(16, "relu"), lw.Dense(4, "linear")]  # noqa: E731
    elif case == "bce_sigmoid":
        loss, y = "binary_crossentropy", np.eye(4)[y].astype(np.float32)
        layers = lambda: [lw.Dense(16, "relu"), lw.Dense(4, "sigmoid")]  # noqa: E731
    elif case == "weight_decay_clip":
        opt = lambda: lw.SGD(0.05, weight_decay=1e-3, clipvalue=0.01)  # noqa: E731
    elif case == "clipnorm":  # small thresholds, so that every step clips
        opt = lambda: lw.SGD(0.05, momentum=0.9, clipnorm=0.05)  # noqa: E731
    elif case == "global_clipnorm":
        opt = lambda: lw.SGD(0.05, global_clipnorm=0.05)  # noqa: E731
    elif case == "all_clips_adam":  # value first, then each tensor's norm, then the global norm
        opt = lambda: lw.Adam(1e-2, clipvalue=0.02, clipnorm=0.1, global_clipnorm=0.08)  # noqa: E731
    elif case == "batchnorm":
        layers = lambda: [lw.Dense(16, "relu"), lw.BatchNorm(), lw.Dense(4, "softmax")]  # noqa: E731
    elif case == "augment":  # the host draws the same numbers for both engines; only the warp's rounding differs
        layers = lambda: [lw.Augment(shift=0.2, rotation=25, zoom=0.1, brightness=0.1, contrast=0.2, flip=True,  # noqa: E731
                                     image_shape=(3, 4)), lw.Dense(16, "tanh"), lw.Dense(4, "softmax")]
    elif case == "augment_dropout_partial":  # both draw from one generator, in forward order; a partial batch
        batch = 32
        layers = lambda: [lw.Augment(image_shape=(3, 4)), lw.Dense(16, "relu"), lw.Dropout(0.3),  # noqa: E731
                          lw.Dense(4, "softmax")]
    elif case == "dropout":  # one counter-based mask per pass, the same bits on both engines
        layers = lambda: [lw.Dense(16, "relu"), lw.Dropout(0.4), lw.Dense(4, "softmax")]  # noqa: E731
    elif case == "batchnorm_dropout_adam":
        opt = lambda: lw.Adam(1e-2)  # noqa: E731
        layers = lambda: [lw.Dense(16, "relu"), lw.BatchNorm(beta_regularizer=lw.L2(1e-3)), lw.Dropout(0.3),  # noqa: E731
                          lw.Dense(8, "tanh"), lw.Dropout(0.2), lw.Dense(4, "softmax")]
    a = _fit("numpy", layers, opt, x, y, loss=loss, batch_size=batch, dtype=dtype, **dict(fit_kw))
    b = _fit("xla", layers, opt, x, y, loss=loss, batch_size=batch, dtype=dtype, **dict(fit_kw))
    _same(a, b, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.history.history["loss"], a.history.history["loss"], rtol=1e-5)
    assert a.optimizer.iterations == b.optimizer.iterations
    for la, lb in zip(a.layers, b.layers):  # BatchNorm's moving statistics
        for key in la.state:
            np.testing.assert_allclose(lb.state[key], la.state[key], rtol=1e-5, atol=1e-6)
    if case == "ema":
        assert a.ema.num_updates == b.ema.num_updates
        np.testing.assert_allclose(b.ema.shadows[0], a.ema.shadows[0], rtol=1e-5, atol=1e-6)


def test_a_frozen_first_layer_stays_put_and_the_rest_agrees():
    x, y = _data()
    models = []
    for engine in ("numpy", "xla"):
        model = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(8, "relu"), lw.Dense(4, "softmax")], seed=0)
        model.compile(lw.Adam(1e-2), "sparse_categorical_crossentropy")
        model.build((12,))
        first = model.layers[0].params["kernel"].copy()
        model.layers[0].trainable = False
        model.fit(x, y, epochs=1, batch_size=96, verbose=0, engine=engine)
        np.testing.assert_array_equal(model.layers[0].params["kernel"], first)
        models.append(model)
    _same(*models, rtol=1e-5, atol=1e-6)


def test_a_whole_sgd_fit_agrees_to_1e_4():
    x, y = _data(n=300)
    layers = lambda: [lw.Dense(32, "relu"), lw.Dense(16, "tanh"), lw.Dense(4, "softmax")]  # noqa: E731
    a = _fit("numpy", layers, lambda: lw.SGD(0.1), x, y, epochs=5, batch_size=25)
    b = _fit("xla", layers, lambda: lw.SGD(0.1), x, y, epochs=5, batch_size=25)
    _same(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b.history.history["accuracy"], a.history.history["accuracy"], atol=0.02)


def test_xla_gives_the_same_bits_run_to_run_and_in_a_worker_thread():
    x, y = _data(n=200)
    layers = lambda: [lw.Dense(32, "relu"), lw.Dense(4, "softmax")]  # noqa: E731
    first = _fit("xla", layers, lambda: lw.Adam(1e-2), x, y, epochs=3, batch_size=32)
    again = _fit("xla", layers, lambda: lw.Adam(1e-2), x, y, epochs=3, batch_size=32)
    results = {}

    def work(key):
        results[key] = _fit("xla", layers, lambda: lw.Adam(1e-2), x, y, epochs=3, batch_size=32)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for other in (again, results[0], results[1]):
        for p, q in zip(first.get_weights(), other.get_weights()):
            np.testing.assert_array_equal(p, q)


def test_a_stretch_shorter_than_an_epoch_runs_as_scans_of_powers_of_two():
    from layerwise.training.xla import Engine
    assert Engine._runs(0, 37, 37) == [(0, 37)]  # a whole epoch: one scan, whatever its length
    assert Engine._runs(0, 5, 37) == [(0, 4), (4, 5)]
    assert Engine._runs(5, 37, 37) == [(5, 37)]
    assert Engine._runs(6, 37, 37) == [(6, 22), (22, 30), (30, 34), (34, 36), (36, 37)]
    assert Engine._runs(35, 40, 37) == [(35, 39), (39, 40)]
    assert Engine._runs(3, 3, 37) == [] and Engine._runs(0, 0, 0) == []
    # streamed data: no run longer than the cap (a whole epoch that fits in one stays one run)
    assert Engine._runs(0, 37, 37, cap=8) == [(0, 8), (8, 16), (16, 24), (24, 32), (32, 36), (36, 37)]
    assert Engine._runs(0, 37, 37, cap=64) == [(0, 37)]


@pytest.mark.parametrize("source", ["memmap", "sparse"])
@pytest.mark.parametrize("runs", ["one", "several"])
def test_x_in_a_file_or_a_sparse_matrix_streams_through_the_engine(tmp_path, monkeypatch, source, runs):
    from layerwise.training import xla
    scipy_sparse = pytest.importorskip("scipy.sparse")
    x, y = _data(n=300, d=20)
    x[np.abs(x) < 0.7] = 0.0  # mostly zeros, as a sparse matrix's are
    if source == "memmap":
        np.save(tmp_path / "x.npy", x)
        streamed = np.load(tmp_path / "x.npy", mmap_mode="r")
    else:
        streamed = scipy_sparse.csr_matrix(x)
    if runs == "several":  # 3 steps' rows at most per run: runs of 2 steps, then 1
        monkeypatch.setattr(xla, "STREAM_BYTES", 3 * 16 * 20 * 4)
    layers = lambda: [lw.Dense(32, "relu"), lw.Dropout(0.2), lw.Dense(4, "softmax")]  # noqa: E731
    for optimizer, numpy_rtol in ((lambda: lw.Adam(1e-2), None), (lambda: lw.SGD(0.1), 1e-4)):
        on_engine = _fit("xla", layers, optimizer, streamed, y, epochs=3, batch_size=16)  # no fallback warning
        assert on_engine.history.params["engine"] == "xla"
        in_memory = _fit("xla", layers, optimizer, x, y, epochs=3, batch_size=16)
        _same(on_engine, in_memory, rtol=1e-5, atol=1e-6)
        if numpy_rtol is not None:  # a whole plain-SGD fit against NumPy reading the same source
            _same(on_engine, _fit("numpy", layers, optimizer, streamed, y, epochs=3, batch_size=16),
                  rtol=numpy_rtol, atol=1e-5)


def test_checkpoint_every_runs_on_the_engine_and_a_mid_epoch_resume_gives_the_same_bits(tmp_path, monkeypatch):
    from layerwise.training import checkpoint as checkpoint_mod
    x, y = _data(n=600, d=16)  # 38 steps an epoch in batches of 16 (37 full, then 8 rows)
    layers = lambda: [lw.Dense(32, "relu"), lw.Dropout(0.2), lw.Dense(4, "softmax")]  # noqa: E731
    adam = lambda: lw.Adam(lw.ExponentialDecay(0.01, 20, 0.9))  # noqa: E731
    saved, original = [], checkpoint_mod.save_checkpoint

    def keep_a_copy(path, model, callbacks, state):  # every checkpoint the fit writes, and where it was
        original(path, model, callbacks, state)
        copy_path = tmp_path / f"snap{len(saved)}.ckpt"
        copy_path.write_bytes(Path(path).read_bytes())
        saved.append((copy_path, state.epoch, state.step))

    monkeypatch.setattr(checkpoint_mod, "save_checkpoint", keep_a_copy)
    run = dict(epochs=3, batch_size=16, ema=0.99, checkpoint_every=7)
    full = _fit("xla", layers, adam, x, y, checkpoint=tmp_path / "full.ckpt", **run)
    assert full.history.params["engine"] == "xla"
    # checkpoints inside epochs where 7 steps divide the step count, and at each epoch's end
    inside = [(e, s) for _, e, s in saved if s]
    assert inside[:5] == [(0, 7), (0, 14), (0, 21), (0, 28), (0, 35)] and (1, 4) in inside
    monkeypatch.setattr(checkpoint_mod, "save_checkpoint", original)
    plain = _fit("xla", layers, adam, x, y, **{k: v for k, v in run.items() if k != "checkpoint_every"})
    _same(full, plain, rtol=1e-5, atol=1e-6)  # the same fit in other scans: equal to rounding
    on_numpy = _fit("numpy", layers, adam, x, y, checkpoint=tmp_path / "numpy.ckpt", **run)
    np.testing.assert_allclose(full.history.history["loss"][:1], on_numpy.history.history["loss"][:1], rtol=1e-5)
    mid_epoch = [s for s in saved if s[1] == 1 and s[2] in (4, 18)]  # two checkpoints inside epoch 2
    assert len(mid_epoch) == 2
    for snap, epoch, step in mid_epoch:
        resumed = _fit("xla", layers, adam, x, y, checkpoint=snap, resume=True, **run)
        for p, q in zip(full.get_weights(), resumed.get_weights()):
            np.testing.assert_array_equal(p, q, err_msg=f"resumed at epoch {epoch + 1}, step {step}")
        for p, q in zip(full.ema.shadows, resumed.ema.shadows):
            np.testing.assert_array_equal(p, q)
        np.testing.assert_array_equal(full.history.history["loss"], resumed.history.history["loss"])


def _streamed_fit(x_file, y, checkpoint=None, resume=False, epochs=2):
    model = lw.Sequential([lw.Dense(32, "relu"), lw.Dropout(0.2), lw.Dense(4, "softmax")], seed=0)
    model.compile(lw.Adam(lw.ExponentialDecay(0.01, 20, 0.9)), "sparse_categorical_crossentropy", ema=0.99)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no fallback to NumPy
        model.fit(np.load(x_file, mmap_mode="r"), y, epochs=epochs, batch_size=16, verbose=0, engine="xla",
                  checkpoint=checkpoint, resume=resume)
    return model


def test_ctrl_c_on_streamed_data_stops_at_the_next_run_and_resumes_to_the_same_bits(tmp_path, monkeypatch):
    """Streamed data has its epoch in runs: Ctrl-C stops at the end of the current one with a
    checkpoint inside the epoch (as NumPy stops after the current batch), and the resumed fit runs
    the same scans as a fit never stopped."""
    import os
    import signal

    from layerwise.training import batches as batches_mod
    from layerwise.training import xla
    x, y = _data(n=300, d=20)
    np.save(tmp_path / "x.npy", x)
    monkeypatch.setattr(xla, "STREAM_BYTES", 3 * 16 * 20 * 4)  # runs of 2 steps
    whole = _streamed_fit(tmp_path / "x.npy", y)
    reads, read = [], batches_mod.ArrayBatches.x_rows

    def read_then_ctrl_c(self, rows):  # Ctrl-C arrives while the 4th run's rows are read
        reads.append(len(rows))
        if len(reads) == 4:
            os.kill(os.getpid(), signal.SIGINT)
        return read(self, rows)

    monkeypatch.setattr(batches_mod.ArrayBatches, "x_rows", read_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt, match="stopped after step 8; checkpoint saved"):
        _streamed_fit(tmp_path / "x.npy", y, checkpoint=tmp_path / "c.ckpt")
    monkeypatch.setattr(batches_mod.ArrayBatches, "x_rows", read)
    resumed = _streamed_fit(tmp_path / "x.npy", y, checkpoint=tmp_path / "c.ckpt", resume=True)
    assert resumed.optimizer.iterations == whole.optimizer.iterations
    for p, q in zip(whole.get_weights() + whole.ema.shadows, resumed.get_weights() + resumed.ema.shadows):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(whole.history.history["loss"], resumed.history.history["loss"])


@pytest.mark.parametrize("where", ["read", "wait"])
def test_an_error_inside_a_run_leaves_weights_counts_and_generators_together(tmp_path, monkeypatch, where):
    """The 3rd run fails: its read (a data file truncated while training), or the wait for the run
    before it, after its draws were taken (a second Ctrl-C). Once inside a stretch (A) and once at
    the start of one, right after a checkpoint at step 4 (B): both models keep the two runs they
    trained, with the step count, the average's count and the generator as after them."""
    import jax

    from layerwise.errors import DataError
    from layerwise.training import batches as batches_mod
    from layerwise.training import xla
    error = DataError if where == "read" else KeyboardInterrupt
    x, y = _data(n=300, d=20)
    np.save(tmp_path / "x.npy", x)
    monkeypatch.setattr(xla, "STREAM_BYTES", 3 * 16 * 20 * 4)  # runs of 2 steps
    read, wait = batches_mod.ArrayBatches.x_rows, jax.block_until_ready
    models = []
    for every in (None, 4):
        def failing(original, calls):
            def call(*args):
                calls.append(1)
                if len(calls) == 3:
                    raise error("short read from the data file")
                return original(*args)
            return call

        if where == "read":
            monkeypatch.setattr(batches_mod.ArrayBatches, "x_rows", failing(read, []))
        else:
            monkeypatch.setattr(jax, "block_until_ready", failing(wait, []))
        model = lw.Sequential([lw.Dense(32, "relu"), lw.Dropout(0.2), lw.Dense(4, "softmax")], seed=0)
        model.compile(lw.Adam(1e-2), "sparse_categorical_crossentropy", ema=0.99)
        with pytest.raises(error):
            model.fit(np.load(tmp_path / "x.npy", mmap_mode="r"), y, epochs=1, batch_size=16, verbose=0,
                      engine="xla", checkpoint=None if every is None else tmp_path / "c.ckpt", checkpoint_every=every)
        models.append(model)
    a, b = models
    assert a.optimizer.iterations == b.optimizer.iterations == 4
    assert a.ema.num_updates == b.ema.num_updates
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    for p, q in zip(b.get_weights() + b.ema.shadows, a.get_weights() + a.ema.shadows):
        np.testing.assert_array_equal(p, q)


# -- what runs where -----------------------------------------------------------------------------
class EveryBatch(lw.callbacks.Callback):
    """A user's callback that reads each batch's logs: the XLA engine calls on_batch_end once an epoch."""

    def on_batch_end(self, batch, logs=None):
        pass


def test_a_fit_the_engine_cannot_run_says_why_and_runs_on_numpy():
    x, y = _data()
    model = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(4, "softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match=r"engine='xla': this fit runs on NumPy because the callback EveryBatch "
                                         r"reads every batch"):
        model.fit(x, y, epochs=1, verbose=0, engine="xla", callbacks=[EveryBatch()])
    with pytest.raises(lw.errors.ConfigError, match="engine: expected one of 'auto', 'numpy', 'xla', got 'gpu'"):
        model.fit(x, y, epochs=1, verbose=0, engine="gpu")


class NumpyOnly(activations.ActivationFunction):
    name = "numpy_only_tanh"

    def value(self, z, out=None):
        return np.tanh(z)

    def backward(self, dy, a, out=None, z=None):
        return dy * (1 - a * a)


class WrittenWithXp(activations.ActivationFunction):
    name = "xp_tanh"

    def f(self, z):
        from layerwise.core.backend import array_module_of
        return array_module_of(z).tanh(z)

    def df(self, dy, a, z=None):
        return dy * (1.0 - a * a)


def test_a_users_activation_traces_when_written_with_xp_and_falls_back_when_not():
    x, y = _data()
    xp_layers = lambda: [lw.Dense(16, WrittenWithXp()), lw.Dense(4, "softmax")]  # noqa: E731
    tanh_layers = lambda: [lw.Dense(16, "tanh"), lw.Dense(4, "softmax")]  # noqa: E731
    _same(_fit("numpy", tanh_layers, lambda: lw.SGD(0.1), x, y), _fit("xla", xp_layers, lambda: lw.SGD(0.1), x, y),
          rtol=1e-5)
    model = lw.Sequential([lw.Dense(16, NumpyOnly()), lw.Dense(4, "softmax")], seed=0)
    model.compile(lw.SGD(0.1), "sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="defines value/backward for NumPy, not f/df with xp"):
        model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, engine="xla")
    _same(_fit("numpy", tanh_layers, lambda: lw.SGD(0.1), x, y), model, rtol=1e-6)


class Asymmetric(losses.Loss):
    """A user's loss written with xp (the notes' shop: over-prediction costs 1, under-prediction 9),
    defined outside layerwise."""
    name = "test_asymmetric"

    def value_array(self, y_pred, y_true):
        xp = array_module_of(y_pred)
        d = y_pred - y_true
        return (xp.where(d > 0, 1.0, 9.0) * d * d).sum(axis=-1).mean()

    def grad(self, y_pred, y_true):
        xp = array_module_of(y_pred)
        d = y_pred - y_true
        return xp.where(d > 0, 1.0, 9.0) * 2 * d / y_pred.shape[0]


def _numpy_only_shop_loss():
    """The same loss as a CustomLoss of two NumPy functions (np.where, float): it cannot trace."""
    def value(a, y):
        d = a - y
        return float((np.where(d > 0, 1.0, 9.0) * d * d).sum(axis=-1).mean())

    def grad(a, y):
        d = a - y
        return np.where(d > 0, 1.0, 9.0) * 2 * d / a.shape[0]
    return lw.CustomLoss(value, grad, name="shop")


def test_a_users_loss_traces_when_written_with_xp_and_falls_back_when_not():
    """A Loss subclass of the user's written with ``array_module_of`` runs on the engine (no note)
    and equals NumPy to rounding; a CustomLoss of NumPy functions makes the fit run on NumPy, with
    the reason, and the same numbers."""
    x, _ = _data()
    y = np.stack([x[:, 0] > 0, x[:, 1] > 0], axis=1).astype(np.float32)
    layers = lambda: [lw.Dense(16, "tanh"), lw.Dense(2, "sigmoid")]  # noqa: E731
    a = _fit("numpy", layers, lambda: lw.SGD(0.1), x, y, loss=Asymmetric(), epochs=3, batch_size=32)
    b = _fit("xla", layers, lambda: lw.SGD(0.1), x, y, loss=Asymmetric(), epochs=3, batch_size=32)
    _same(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.history.history["loss"], a.history.history["loss"], rtol=1e-5)
    model = lw.Sequential(layers(), seed=0)
    model.compile(lw.SGD(0.1), _numpy_only_shop_loss())
    with pytest.warns(UserWarning, match=r"engine='xla': this fit runs on NumPy because its step does not trace"):
        model.fit(x, y, epochs=3, batch_size=32, verbose=0, engine="xla")
    _same(a, model, rtol=1e-6)


class Seen(lw.callbacks.Callback):
    """The batches whose logs report a non-finite loss (or a rollback), as a user's callback sees them."""
    needs_every_batch = False

    def __init__(self):
        super().__init__()
        self.stops = []

    def on_batch_end(self, batch, logs=None):
        if "nonfinite" in logs or "rolled_back" in logs:
            self.stops.append((batch, logs.get("rolled_back") or logs["nonfinite"]))


@pytest.mark.parametrize("callback", ["TerminateOnNaN", "RollbackOnNaN"])
@pytest.mark.parametrize("row", [77, 195])  # in a full batch (step 4 of 13), in the partial last one
@pytest.mark.parametrize("middle", ["dense", "dropout", "batchnorm", "max_norm_and_ema", "dense_streamed"])
def test_a_per_step_nan_policy_acts_at_the_same_step_on_the_engine(callback, row, middle, tmp_path, monkeypatch):
    """TerminateOnNaN and RollbackOnNaN on the XLA engine: the compiled epoch stops at the first
    step whose loss is not finite, that update not applied; the policy then halts, or rolls back and
    the epoch goes on from the next step in a new program run. Everything equals the NumPy loop:
    the reports and the steps they name, the learning rate, the step count, the generator's bits,
    the history, the weights and BatchNorm's statistics (to rounding). ``dense_streamed``: x in a
    memory-mapped file, read in runs of 2 steps."""
    from layerwise.training import xla
    x, _ = _data(n=200)
    y = x[:, 0].copy()
    y[row] = 3e38  # (a - y)² overflows float32: the loss of that row's batch is inf in every epoch
    if middle == "dense_streamed":
        np.save(tmp_path / "x.npy", x)
        x = np.load(tmp_path / "x.npy", mmap_mode="r")
        monkeypatch.setattr(xla, "STREAM_BYTES", 3 * 16 * 12 * 4)
    layers = [lw.Dense(16, "relu"), {"dense": lw.Dense(8, "tanh"), "dense_streamed": lw.Dense(8, "tanh"),
                                     "dropout": lw.Dropout(0.3),
                                     "batchnorm": lw.BatchNorm(),
                                     "max_norm_and_ema": lw.Dense(8, "tanh", kernel_constraint="max_norm")}[middle],
              lw.Dense(1)]
    runs = {}
    for engine in ("numpy", "xla"):
        model = lw.Sequential(copy.deepcopy(layers), seed=0)
        model.compile(lw.Adam(1e-2), "mse", ema=0.9 if middle == "max_norm_and_ema" else None)
        policy = lw.TerminateOnNaN() if callback == "TerminateOnNaN" else lw.RollbackOnNaN(max_rollbacks=2,
                                                                                          verbose=False)
        seen = Seen()
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # no fallback to NumPy
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow in the inf batch
            model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0, engine=engine,
                      callbacks=[policy, seen])
        runs[engine] = (model, seen.stops)
    (a, seen_a), (b, seen_b) = runs["numpy"], runs["xla"]
    assert seen_b == seen_a and len(seen_a) == (1 if callback == "TerminateOnNaN" else 3)
    assert b.nonfinite_report == a.nonfinite_report and b.nonfinite_report.startswith("step ")
    assert b.optimizer.iterations == a.optimizer.iterations and b.optimizer.lr == a.optimizer.lr
    assert b.rng.bit_generator.state == a.rng.bit_generator.state
    np.testing.assert_allclose(b.history.history["loss"], a.history.history["loss"], rtol=1e-5)
    _same(a, b, rtol=1e-5, atol=1e-6)
    for la, lb in zip(a.layers, b.layers):
        for key in la.state:
            np.testing.assert_allclose(lb.state[key], la.state[key], rtol=1e-5, atol=1e-6, err_msg=key)
    if a.ema is not None:
        assert b.ema.num_updates == a.ema.num_updates
        np.testing.assert_allclose(b.ema.shadows[0], a.ema.shadows[0], rtol=1e-5, atol=1e-6)


def test_the_engines_nan_report_names_the_layer_as_numpy_does():
    """The halted step's report comes from its own training pass (its Dropout mask, BatchNorm's
    batch statistics), as on NumPy: the layer whose output first holds inf."""
    x = np.full((8, 1), 1e38, dtype=np.float32)  # 2e38 after Dropout's ×2, inf where two such meet
    y = np.zeros(8, dtype=np.float32)
    reports = {}
    for engine in ("numpy", "xla"):
        model = lw.Sequential([lw.Dense(2, "linear", kernel_initializer="ones"), lw.Dropout(0.5),
                               lw.Dense(1, kernel_initializer="ones")], seed=0)
        model.compile(lw.SGD(0.1), "mse")
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(x, y, epochs=1, batch_size=8, verbose=0, engine=engine, callbacks=[lw.TerminateOnNaN()])
        reports[engine] = (model.nonfinite_report, [dict(layer.state) for layer in model.layers])
    assert reports["xla"][0] == reports["numpy"][0] and "layer 'dense" in reports["numpy"][0], reports
    for sa, sb in zip(reports["numpy"][1], reports["xla"][1]):
        for key in sa:
            np.testing.assert_allclose(sb[key], sa[key], rtol=1e-6, err_msg=key)


def test_a_subclass_of_a_nan_policy_with_its_own_on_batch_end_sees_every_batch():
    class Counting(lw.TerminateOnNaN):
        def on_batch_end(self, batch, logs=None):
            super().on_batch_end(batch, logs)

    assert not lw.TerminateOnNaN().wants_batches() and not lw.RollbackOnNaN().wants_batches()
    assert Counting().wants_batches()


def test_dropout_masks_are_the_same_bits_on_numpy_and_jax():
    from layerwise.core.layers import keep_mask
    for seed in (0, 1, 2 ** 32 - 1):
        a = keep_mask(seed, (64, 33), 0.3, np)
        b = np.asarray(jax.jit(lambda s: keep_mask(s, (64, 33), 0.3, jnp))(jnp.uint32(seed)))
        np.testing.assert_array_equal(a, b)
        assert abs(a.mean() - 0.7) < 0.03
    assert not np.array_equal(keep_mask(1, (64, 33), 0.3, np), keep_mask(2, (64, 33), 0.3, np))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cost", ["CrossEntropyCost", "QuadraticCost"])
def test_the_books_sgd_runs_its_epochs_on_the_engine_and_equals_numpy(monkeypatch, cost, dtype):
    """Network([64, 30, 10]).SGD in float64, batch 10: the epoch as one program, the book's four
    monitors between epochs (summed on the device); equal to the NumPy engine to float64 rounding."""
    import contextlib
    import io

    from layerwise.compat import nielsen
    from layerwise.training import xla
    monkeypatch.setattr(xla, "MIN_PARAMS", 0)
    rng = np.random.default_rng(0)
    eye = np.eye(10)
    soft = cost == "QuadraticCost"  # soft targets (float64, not exact in float32) for one cost
    train = [(rng.normal(size=(64, 1)), rng.dirichlet(np.ones(10)).reshape(10, 1) if soft else eye[k].reshape(10, 1))
             for k in rng.integers(0, 10, 200)]
    test = [(rng.normal(size=(64, 1)), int(k)) for k in rng.integers(0, 10, 50)]
    results = {}
    for engine in ("numpy", "xla"):
        monkeypatch.setenv("LAYERWISE_ENGINE", engine)
        net = nielsen.Network([64, 30, 10], cost=getattr(nielsen, cost), seed=0, dtype=dtype)
        with contextlib.redirect_stdout(io.StringIO()), jax.enable_x64(False):  # as in a user's process
            monitors = net.SGD(train, 3, 10, 0.5, lmbda=5.0, evaluation_data=test, monitor_evaluation_cost=True,
                               monitor_evaluation_accuracy=True, monitor_training_cost=True,
                               monitor_training_accuracy=True)
        results[engine] = (net, monitors)
    (a, ma), (b, mb) = results["numpy"], results["xla"]
    rtol = 1e-10 if dtype == "float64" else 2e-5
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(wb, wa, rtol=rtol, atol=rtol / 100)
    for costs in (0, 2):
        np.testing.assert_allclose(mb[costs], ma[costs], rtol=rtol)
        assert all(type(c) is float for c in mb[costs])
    assert mb[1] == ma[1] and mb[3] == ma[3] and all(type(c) is int for c in mb[1] + mb[3])


def test_layerwise_engine_setting_is_checked(monkeypatch):
    x, y = _data()
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(4, "softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    monkeypatch.setenv("LAYERWISE_ENGINE", "gpu")
    with pytest.raises(lw.errors.ConfigError, match="LAYERWISE_ENGINE: expected one of auto, numpy, xla, got 'gpu'"):
        model.fit(x, y, epochs=1, verbose=0)


def _fit_in_child(queue):
    x, y = _data()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model = _fit_quietly("xla", x, y)
    queue.put(([w.copy() for w in model.get_weights()], [str(w.message) for w in seen]))


def _fit_quietly(engine, x, y):
    model = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(4, "softmax")], seed=0)
    model.compile(lw.SGD(0.1), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, engine=engine)
    return model


@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called")  # JAX's own warning: the point of this test
def test_a_child_forked_after_jax_started_runs_on_numpy_and_says_so():
    """JAX's threads do not survive a fork: a fit in a forked child (multiprocessing's default on
    Linux) after the parent used the engine runs on NumPy, with the one-line reason, instead of
    hanging."""
    import multiprocessing
    x, y = _data()
    _fit_quietly("xla", x, y)  # JAX is running in this process now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    weights, messages = queue.get(timeout=120)
    child.join(timeout=60)
    assert any("forked after JAX started" in m for m in messages), messages
    for p, q in zip(_fit_quietly("numpy", x, y).get_weights(), weights):
        np.testing.assert_array_equal(p, q)


def test_a_spawned_child_fits_on_the_engine_with_the_parents_bits():
    """A fresh process (multiprocessing's "spawn", as joblib's workers for scikit-learn's n_jobs and
    the tune command's local workers are) starts its own JAX: the same engine on the same machine
    gives the same bits as the parent."""
    import multiprocessing
    x, y = _data()
    parent = _fit_quietly("xla", x, y)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    weights, messages = queue.get(timeout=180)
    child.join(timeout=60)
    assert not any("runs on NumPy" in m for m in messages), messages
    for p, q in zip(parent.get_weights(), weights):
        np.testing.assert_array_equal(q, p)


class Doubled(lw.Dense):
    """A user's Dense subclass with its own forward and backward, written with array operators."""

    def forward(self, x, training=False):
        return 2 * super().forward(x, training)

    def backward(self, dy, need_input_grad=True):
        return super().backward(2 * dy, need_input_grad)


class NumpyScale(lw.layers.Layer):
    """A user's layer written with NumPy calls (np.multiply with out=): it cannot be traced."""

    def param_shapes(self, input_shape):
        return {}

    def state_shapes(self, input_shape):
        return {}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, training=False):
        return np.multiply(x, 0.5, out=np.empty(x.shape, dtype=x.dtype))

    def backward(self, dy, need_input_grad=True):
        return np.multiply(dy, 0.5, out=np.empty(dy.shape, dtype=dy.dtype))


class NoisyInput(NumpyScale):
    """Adds noise drawn from the model's generator: traced, the draw would be one constant."""

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        self.rng = rng

    def forward(self, x, training=False):
        return x + self.rng.normal(0, 0.1, x.shape).astype(x.dtype) if training else x

    def backward(self, dy, need_input_grad=True):
        return dy


def test_a_users_dense_subclass_traces_and_equals_numpy():
    x, y = _data()
    layers = lambda: [Doubled(16, "tanh"), lw.Dense(4, "softmax")]  # noqa: E731
    a = _fit("numpy", layers, lambda: lw.SGD(0.1, momentum=0.9), x, y, batch_size=20, epochs=2)
    b = _fit("xla", layers, lambda: lw.SGD(0.1, momentum=0.9), x, y, batch_size=20, epochs=2)
    _same(a, b, rtol=1e-5, atol=1e-6)
    plain = _fit("numpy", lambda: [lw.Dense(16, "tanh"), lw.Dense(4, "softmax")], lambda: lw.SGD(0.1, momentum=0.9),
                 x, y, batch_size=20, epochs=2)
    assert not np.allclose(plain.get_weights()[0], b.get_weights()[0])  # its own forward ran


@pytest.mark.parametrize("layer, why", [(NumpyScale, r"its step does not trace \(\w+ at test_xla.py:\d+ in forward"),
                                        (NoisyInput, r"it draws from the model's generator inside the step, where a "
                                                     r"draw would be one constant for every step "
                                                     r"\(test_xla.py:\d+ in forward\)")])
def test_a_users_layer_that_cannot_trace_runs_on_numpy_and_says_why(layer, why):
    x, y = _data()
    model = lw.Sequential([layer(), lw.Dense(16, "relu"), lw.Dense(4, "softmax")], seed=0)
    model.compile(lw.SGD(0.1), "sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="engine='xla': this fit runs on NumPy because " + why):
        model.fit(x, y, epochs=2, batch_size=20, verbose=0, engine="xla")
    ref = lw.Sequential([layer(), lw.Dense(16, "relu"), lw.Dense(4, "softmax")], seed=0)
    ref.compile(lw.SGD(0.1), "sparse_categorical_crossentropy")
    ref.fit(x, y, epochs=2, batch_size=20, verbose=0, engine="numpy")
    for p, q in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(q, p)  # the same engine, the same bits: nothing was left on the model


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_engine_reports_a_nan_loss_once_per_epoch():
    x, y = _data()
    model = lw.Sequential([lw.Dense(4, "softmax")], seed=0)
    model.compile(lw.SGD(1e30), "sparse_categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no fallback: the epoch ran on the engine
        model.fit(x * 1e30, y, epochs=2, batch_size=16, verbose=0, engine="xla")
    assert model.nonfinite_report is not None and "the XLA engine checks once per epoch" in model.nonfinite_report
    assert "epoch 1" in model.nonfinite_report


def test_device_cpu_runs_the_engine_on_the_cpu_and_cuda_without_a_gpu_says_so():
    import jax
    x, y = _data()
    layers = lambda: [lw.Dense(16, "relu"), lw.Dense(4, "softmax")]  # noqa: E731
    a = _fit("xla", layers, lambda: lw.Adam(1e-2), x, y, batch_size=20, epochs=2)
    b = _fit("xla", layers, lambda: lw.Adam(1e-2), x, y, batch_size=20, epochs=2, device="cpu")
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(q, p)  # one engine, one machine: the same bits
    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("this machine has a GPU")
    model = lw.Sequential(layers(), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(lw.BackendError, match=r"device='cuda': JAX sees no CUDA GPU here \(its devices: cpu\); "
                                              r"install JAX's CUDA build"):
        model.fit(x, y, verbose=0, device="cuda")
    with pytest.raises(lw.errors.ConfigError, match="device='gpu' runs on the XLA engine, and this fit cannot: "
                                                    "the callback EveryBatch reads every batch"):
        model.fit(x, y, verbose=0, device="gpu", callbacks=[EveryBatch()])


def _has_gpu() -> bool:
    import jax
    return any(d.platform == "gpu" for d in jax.devices())


@pytest.mark.gpu
@pytest.mark.skipif(not _has_gpu(), reason="needs JAX with a CUDA GPU")
@pytest.mark.parametrize("case", ["adam_float32", "sgd_float64", "batchnorm_dropout"])
def test_a_fit_on_the_gpu_equals_the_cpu_engine_to_rounding(case):
    """float32 products at full precision on the GPU (precision="highest", not TF32)."""
    x, y = _data(n=256)
    layers = lambda: [lw.Dense(64, "relu"), lw.Dense(4, "softmax")]  # noqa: E731
    opt, dtype, rtol = (lambda: lw.Adam(1e-3)), None, 1e-4
    if case == "sgd_float64":
        opt, dtype, rtol = (lambda: lw.SGD(0.1)), "float64", 1e-10
    elif case == "batchnorm_dropout":
        layers = lambda: [lw.Dense(64, "relu"), lw.BatchNorm(), lw.Dropout(0.3), lw.Dense(4, "softmax")]  # noqa: E731
    a = _fit("xla", layers, opt, x, y, batch_size=64, dtype=dtype, device="cpu")
    b = _fit("xla", layers, opt, x, y, batch_size=64, dtype=dtype, device="gpu")
    _same(a, b, rtol=rtol, atol=rtol)


def test_the_engines_chunked_forward_equals_predict():
    """The book's monitors run the engine's forward pass over whole data sets, a chunk at a time
    (full chunks in one lax.map, then the rest); it equals NumPy's predict to rounding."""
    import jax

    from layerwise.training import step, xla
    from layerwise.training.batches import ArrayBatches
    x, y = _data(n=300)
    model = _fit("numpy", lambda: [lw.Dense(16, "relu"), lw.BatchNorm(), lw.Dense(4, "softmax")],
                 lambda: lw.Adam(1e-2), x, y, batch_size=32, epochs=2)
    engine = xla.Engine(model, step.plan_for(model), ArrayBatches(x, y, y, 32))
    want = model.predict(x)
    np.testing.assert_allclose(engine.outputs(engine.put(x)), want, rtol=1e-5, atol=1e-6)
    with engine._precision():
        params, _, _, states = engine._carry(slots=False)
        for chunk in (64, 100, 300, 512):  # 4 chunks and a rest of 44, 3 and no rest, one, none full
            got = jax.jit(engine._forward, static_argnames="chunk")(params, states, engine.data[0], chunk=chunk)
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_the_engines_summed_forward_equals_sums_on_the_host():
    """``Engine.summed``: per-row values of the outputs and the targets, summed on the device (the
    book's cost and correct count) equal the same sums of NumPy's predict, chunked or not."""
    import jax

    from layerwise.compat.nielsen import CrossEntropyCost
    from layerwise.training import step, xla
    from layerwise.training.batches import ArrayBatches
    x, y = _data(n=300)
    onehot = np.eye(4)[y]
    model = _fit("numpy", lambda: [lw.Dense(16, "relu"), lw.Dense(4, "sigmoid")], lambda: lw.Adam(1e-2), x, y,
                 batch_size=32, epochs=2, dtype="float64")
    engine = xla.Engine(model, step.plan_for(model), ArrayBatches(x, y, y, 32))
    out = model.predict(x)
    want = [CrossEntropyCost.per_input(out, onehot).sum(), (out.argmax(axis=1) == y).sum()]

    def per_row(a, t, labels):
        return CrossEntropyCost.per_input(a, t), a.argmax(axis=1) == labels

    np.testing.assert_allclose(engine.summed(engine.put(x), per_row, engine.put(onehot), engine.put(y)), want,
                               rtol=1e-10)
    with engine._precision():
        params, _, _, states = engine._carry(slots=False)
        for chunk in (64, 300, 512):
            got = jax.jit(engine._forward, static_argnames=("per_row", "chunk"))(
                params, states, engine.data[0], per_row, (engine.put(onehot), engine.put(y)), chunk=chunk)
            np.testing.assert_allclose(np.asarray(got).sum(axis=0), want, rtol=1e-10)
