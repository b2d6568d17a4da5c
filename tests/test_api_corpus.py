"""The Python-API misuse corpus, core part: calls a user makes by mistake in their second hour
(bad shapes, seeds, callbacks, configs, diverged models, overflowing values, labels that do not
suit the loss, generators, sparse matrices, pandas frames, feature names, class weights, epochs),
each ending in one clear error, a warning, or the right result (see tests/helpers/api_corpus.py).
Deeper behaviour (sparse equals dense bit for bit, feature names through save/load, one warning per
fit) is tested below the corpus."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise.errors import ConfigError, DataError, TrainingError
from helpers.api_corpus import Case, Raises, Warns, Works, parametrize, run_case

pd = pytest.importorskip("pandas")
sp = pytest.importorskip("scipy.sparse")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4))
X[X < 0.2] = 0.0  # mostly zeros: a natural sparse matrix
Y = (X[:, 0] > 0.3).astype(np.int64)
Y3 = np.arange(24) % 3
FRAME = pd.DataFrame(X, columns=["a", "b", "c", "d"])


def model(out=2, act="softmax", loss="categorical_crossentropy", seed=0, **kw):
    m = lw.Sequential([lw.Dense(3, "relu"), lw.Dense(out, act)], seed=seed, **kw)
    m.compile(lw.SGD(0.1), loss)
    return m


def compiled(layers, optimizer="sgd", loss="categorical_crossentropy"):
    m = lw.Sequential(layers, seed=0)
    m.compile(optimizer, loss)
    return m


def bce(out=1, act="sigmoid"):
    return model(out, act, "binary_crossentropy")


def fitted(x=X, y=Y, **kw):
    m = model(**kw)
    m.fit(x, y, epochs=1, verbose=0)
    return m


def diverged():
    """SGD with a rate of 1e6 blows the weights up; then save."""
    m = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(1)], seed=0)
    m.compile(lw.SGD(1e6), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X, X[:, 0] * 100, epochs=2, batch_size=8, verbose=0)
    return m


def _save_diverged():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        diverged().save(f"{tmp}/d.lwm")


def _set_weights_with(value):
    m = fitted()
    w = m.get_weights()
    w[0] = w[0].astype(np.float64)  # 1e300 fits in float64, not in the model's float32
    w[0][1, 2] = value
    m.set_weights(w)


def _frame_with_na():
    return pd.DataFrame({"age": pd.array([31, 40, None, 22] * 6, dtype="Int64"), "height": np.arange(24.0)})


def _predict_big_in_float64():
    m = model(dtype="float64")
    m.build((4,))
    return m.predict(np.full((2, 4), 1e39))


CASES = [
    # 1. zero features / zero-size dimensions
    Case("zero-features-fit", lambda: model().fit(np.zeros((60, 0)), np.zeros(60, int), verbose=0),
         Raises(DataError, "x shape (60, 0) zero features")),
    Case("zero-size-sample-dim-fit", lambda: compiled([lw.Flatten(), lw.Dense(2, "softmax")]).fit(
        np.zeros((5, 3, 0)), np.zeros(5, int), verbose=0), Raises(DataError, "x shape (5, 3, 0) zero size")),
    Case("zero-features-predict", lambda: fitted().predict(np.zeros((3, 0))), Raises(DataError, "x shape (3, 0)")),
    Case("zero-features-sparse", lambda: model().fit(sp.csr_matrix((10, 0)), np.zeros(10, int), verbose=0),
         Raises(DataError, "x shape (10, 0) zero features")),

    # 2. seeds
    Case("seed-string", lambda: lw.Sequential(seed="abc"), Raises(ConfigError, "seed 'abc'")),
    Case("seed-bool", lambda: lw.Sequential(seed=True), Raises(ConfigError, "seed True")),
    Case("seed-negative", lambda: lw.Sequential(seed=-1), Raises(ConfigError, "seed -1 >= 0")),
    Case("seed-float", lambda: lw.Sequential(seed=1.5), Raises(ConfigError, "seed 1.5")),
    Case("seed-numpy-int", lambda: lw.Sequential([lw.Dense(2)], seed=np.int64(3)), Works(lambda m: m.seed == 3)),
    Case("seed-from-config", lambda: lw.Sequential.from_config(fitted().get_config(), seed="x"),
         Raises(ConfigError, "seed")),

    # 3. callbacks
    Case("callback-not-in-a-list", lambda: model().fit(X, Y, epochs=5, verbose=0,
                                                       callbacks=lw.EarlyStopping("loss", patience=0, min_delta=10.0)),
         Works(lambda h: len(h.epoch) == 2)),
    Case("callbacks-nested-list", lambda: model().fit(X, Y, epochs=2, verbose=0, callbacks=[[lw.TerminateOnNaN()]]),
         Works(lambda h: len(h.epoch) == 2)),
    Case("callbacks-holds-a-number", lambda: model().fit(X, Y, verbose=0, callbacks=[3]),
         Raises(TypeError, "callbacks 3")),
    Case("callbacks-holds-a-class", lambda: model().fit(X, Y, verbose=0, callbacks=[lw.EarlyStopping]),
         Raises(TypeError, "callbacks EarlyStopping instantiate")),
    Case("callbacks-a-string", lambda: model().fit(X, Y, verbose=0, callbacks="early_stopping"),
         Raises(TypeError, "callbacks str")),

    # 4. from_config
    Case("from-config-string", lambda: lw.Sequential.from_config("hello"), Raises(ConfigError, "config dict 'hello'")),
    Case("from-config-layers-not-list", lambda: lw.Sequential.from_config({"layers": "dense"}),
         Raises(ConfigError, "layers list")),
    Case("from-config-round-trip", lambda: lw.Sequential.from_config(fitted().get_config()),
         Works(lambda m: len(m.layers) == 2)),

    # 5. ragged lists
    Case("ragged-x", lambda: model().fit([[1, 2], [3]], [0, 1], verbose=0), Raises(DataError, "x ragged row 0 row 1")),
    Case("ragged-x-predict", lambda: fitted().predict([[1, 2, 3, 4], [1, 2]]), Raises(DataError, "x ragged row 1")),
    Case("ragged-x-row-is-a-number", lambda: model().fit([[1, 2], 3], [0, 1], verbose=0),
         Raises(DataError, "ragged single value")),
    Case("ragged-y", lambda: model().fit(X[:2], [[0, 1], [1]], verbose=0), Raises(DataError, "y ragged")),

    # 6. input_shape
    Case("input-shape-negative", lambda: lw.Sequential([lw.Dense(2)], input_shape=(-4,)),
         Raises(ConfigError, "input_shape -4")),
    Case("input-shape-zero-in-layer", lambda: lw.Dense(2, input_shape=(0,)), Raises(ConfigError, "input_shape 0")),
    Case("input-shape-float", lambda: lw.Sequential([lw.Dense(2)], input_shape=(3.5,)),
         Raises(ConfigError, "input_shape 3.5")),
    Case("input-shape-none-dim", lambda: lw.Sequential([lw.Dense(2)], input_shape=(None, 3)),
         Raises(ConfigError, "input_shape None")),
    Case("input-shape-build", lambda: lw.Sequential([lw.Dense(2)]).build((-1,)),
         Raises(ConfigError, "input_shape -1")),
    Case("input-shape-int", lambda: lw.Sequential([lw.Dense(2)], input_shape=4),
         Works(lambda m: m.input_shape == (4,))),

    # 7. diverged models, NaN weights
    Case("save-diverged", _save_diverged,
         Raises(TrainingError, "dense_1/kernel NaN epoch step RollbackOnNaN learning rate checkpoint")),
    Case("set-weights-nan", lambda: _set_weights_with(np.nan),
         Raises(DataError, "set_weights dense_1/kernel nan (1, 2)")),
    Case("set-weights-inf", lambda: _set_weights_with(-np.inf), Raises(DataError, "set_weights dense_1/kernel inf")),
    Case("set-weights-overflow", lambda: _set_weights_with(1e300), Raises(DataError, "set_weights dense_1/kernel")),
    Case("verbose-0-nonfinite-warns", lambda: compiled([lw.Dense(4, "relu"), lw.Dense(1)], lw.SGD(1e6), "mse").fit(
        X, X[:, 0] * 100, epochs=2, batch_size=8, verbose=0), Warns(RuntimeWarning, "loss non-finite epoch 1 batch")),

    # 8. values that overflow float32
    Case("overflow-fit", lambda: model().fit(np.full((6, 4), 1e39), Y[:6], verbose=0),
         Raises(DataError, "x 1e+39 overflows float32")),
    Case("overflow-evaluate", lambda: fitted().evaluate(np.full((6, 4), -1e39), Y[:6]),
         Raises(DataError, "x -1e+39 overflows float32")),
    Case("overflow-predict", lambda: fitted().predict(np.full((6, 4), 1e39)), Raises(DataError, "x overflows float32")),
    Case("overflow-validation-data",
         lambda: model().fit(X, Y, verbose=0, validation_data=(np.full((6, 4), 1e39), Y[:6])),
         Raises(DataError, "validation x overflows float32")),
    Case("overflow-sparse", lambda: model().fit(sp.csr_matrix(np.where(X > 0, 1e39, 0.0)), Y, verbose=0),
         Raises(DataError, "x overflows float32")),
    Case("overflow-y", lambda: model(1, "linear", "mse").fit(X, np.full(24, 1e39), verbose=0),
         Raises(DataError, "y overflows float32")),
    Case("no-overflow-in-float64", _predict_big_in_float64, Works(lambda p: p.shape == (2, 2))),

    # 9 and 14. labels that do not suit the loss; a softmax over one unit
    Case("bce-labels-0-1-2", lambda: bce().fit(X, Y3, verbose=0),
         Raises(DataError, "y value 2 binary_crossentropy {0, 1} softmax")),
    Case("bce-negative", lambda: bce().fit(X, -Y, verbose=0),
         Raises(DataError, "y -1 binary_crossentropy")),
    Case("bce-evaluate", lambda: fitted(y=Y, out=1, act="sigmoid", loss="binary_crossentropy").evaluate(X, Y3),
         Raises(DataError, "binary_crossentropy value 2")),
    Case("bce-soft-labels", lambda: bce().fit(X, np.linspace(0, 1, 24), verbose=0),
         Works()),
    Case("bce-from-logits-labels", lambda: model(1, "linear", lw.BinaryCrossentropy(from_logits=True)).fit(
        X, Y3, verbose=0), Raises(DataError, "binary_crossentropy 2")),
    Case("hinge-labels-2", lambda: model(1, "linear", "hinge").fit(X, Y3, verbose=0), Raises(DataError, "hinge 2")),
    Case("hinge-mixed", lambda: model(1, "linear", "squared_hinge").fit(X, np.array([-1, 0, 1] * 8), verbose=0),
         Raises(DataError, "squared_hinge -1 0")),
    Case("hinge-signed", lambda: model(1, "linear", "hinge").fit(X, 2 * Y - 1, verbose=0), Works()),
    Case("softmax-one-unit", lambda: bce(1, "softmax"),
         Raises(ConfigError, "softmax 1 unit sigmoid")),
    Case("softmax-one-unit-activation-layer", lambda: compiled([lw.Dense(1), lw.Activation("softmax")],
                                                               loss="binary_crossentropy").fit(X, Y, verbose=0),
         Raises(ConfigError, "softmax 1 unit sigmoid")),

    # 10. generators, sparse matrices, pandas missing values
    Case("generator-x", lambda: model().fit((row for row in X), Y, verbose=0),
         Raises(DataError, "x generator not supported numpy arrays")),
    Case("iterator-x", lambda: fitted().predict(iter(X)), Raises(DataError, "x not supported numpy arrays")),
    Case("generator-y", lambda: model().fit(X, (v for v in Y), verbose=0), Raises(DataError, "y generator")),
    Case("sparse-fit", lambda: model().fit(sp.csr_matrix(X), Y, epochs=2, verbose=0),
         Works(lambda h: len(h.epoch) == 2)),
    Case("sparse-predict", lambda: fitted().predict(sp.csc_matrix(X)), Works(lambda p: p.shape == (24, 2))),
    Case("sparse-y", lambda: model().fit(X, sp.csr_matrix(np.eye(2)[Y]), verbose=0), Raises(DataError, "y sparse")),
    Case("pandas-na", lambda: model().fit(_frame_with_na(), Y, verbose=0),
         Raises(DataError, "x column 'age' missing row 2")),
    Case("pandas-string-column", lambda: model().fit(pd.DataFrame({"a": X[:, 0], "b": ["x"] * 24}), Y, verbose=0),
         Raises(DataError, "column 'b' dtype")),
    Case("pandas-na-in-y", lambda: model().fit(X, pd.Series(pd.array([0, 1, None] * 8, dtype="Int64")), verbose=0),
         Raises(DataError, "y missing row 2")),
    Case("object-entry", lambda: model().fit(np.array([[1.0, "a"], [2.0, 3.0]], dtype=object), [0, 1], verbose=0),
         Raises(DataError, "x non-numeric 'a' (0, 1)")),
    Case("string-entries", lambda: model().fit([[1.0, "a"], [2.0, 3.0]], [0, 1], verbose=0),
         Raises(DataError, "x dtype expected numbers")),
    Case("none-entry", lambda: model().fit([[1.0, None], [2.0, 3.0]], [0, 1], verbose=0),
         Raises(DataError, "x nan (0, 1)")),

    # 11. feature names
    Case("frame-reordered-predict", lambda: fitted(FRAME).predict(FRAME[["b", "a", "c", "d"]]),
         Raises(DataError, "different order 'a' 'b'")),
    Case("frame-renamed-predict", lambda: fitted(FRAME).predict(FRAME.rename(columns={"d": "z"})),
         Raises(DataError, "unseen 'z' missing 'd'")),
    Case("frame-reordered-evaluate", lambda: fitted(FRAME).evaluate(FRAME[["d", "c", "b", "a"]], Y),
         Raises(DataError, "different order")),
    Case("frame-reordered-validation", lambda: model().fit(FRAME, Y, verbose=0,
                                                           validation_data=(FRAME[["b", "a", "c", "d"]], Y)),
         Raises(DataError, "validation x different order")),
    Case("frame-reordered-refit", lambda: fitted(FRAME).fit(FRAME[["a", "c", "b", "d"]], Y, verbose=0),
         Raises(DataError, "different order 'b' 'c'")),
    Case("frame-same-order", lambda: fitted(FRAME).predict(FRAME.copy()), Works(lambda p: p.shape == (24, 2))),
    Case("frame-then-array", lambda: fitted(FRAME).predict(X), Warns(UserWarning, "no feature names fitted 'a'")),
    Case("array-then-frame", lambda: fitted(X).predict(FRAME),
         Warns(UserWarning, "has feature names fitted without")),

    # 12. class weights
    Case("class-weight-missing-class", lambda: model().fit(X, Y, verbose=0, class_weight={7: 3}),
         Raises(DataError, "class_weight class 7 0..1")),
    Case("class-weight-sigmoid", lambda: bce().fit(X, Y, verbose=0,
                                                                                        class_weight={2: 1.0}),
         Raises(DataError, "class_weight class 2 0..1")),
    Case("class-weight-absent-but-valid", lambda: model(3).fit(X, Y, verbose=0, class_weight={2: 3.0}), Works()),

    # 13. initial_epoch
    Case("initial-epoch-beyond", lambda: model().fit(X, Y, epochs=2, initial_epoch=5, verbose=0),
         Raises(ConfigError, "initial_epoch=5 epochs=2")),
    Case("initial-epoch-negative", lambda: model().fit(X, Y, initial_epoch=-1, verbose=0),
         Raises(ConfigError, "initial_epoch -1")),
    Case("initial-epoch-equal", lambda: model().fit(X, Y, epochs=2, initial_epoch=2, verbose=0),
         Works(lambda h: h.epoch == [])),
    Case("initial-epoch-continues", lambda: model().fit(X, Y, epochs=3, initial_epoch=1, verbose=0),
         Works(lambda h: h.epoch == [1, 2])),
]


@parametrize(CASES)
def test_api_corpus(case):
    run_case(case)


# -- deeper behaviour ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["csr", "csc", "coo"])
def test_sparse_fit_equals_dense_fit_bit_for_bit(kind):
    def run(x):
        m = lw.Sequential([lw.Dense(5, "relu"), lw.Dense(3, "softmax")], seed=7)
        m.compile(lw.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
        h = m.fit(x, Y3, epochs=3, batch_size=5, verbose=0, validation_split=0.25)
        return m, h
    dense, hd = run(X)
    sparse, hs = run(getattr(sp, f"{kind}_matrix")(X))
    for a, b in zip(dense.get_weights(), sparse.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert {k: v for k, v in hd.history.items() if k != "time"} == {k: v for k, v in hs.history.items() if k != "time"}
    np.testing.assert_array_equal(dense.predict(X), sparse.predict(sp.csr_matrix(X)))
    assert dense.evaluate(X, Y3) == sparse.evaluate(sp.csr_matrix(X), Y3)
    np.testing.assert_array_equal(dense.features(X, 1), sparse.features(sp.csr_matrix(X), 1))


def test_sparse_matrix_is_densified_one_batch_at_a_time(monkeypatch):
    rows_densified = []
    original = sp.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        rows_densified.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", spy)
    x = sp.csr_matrix(np.repeat(X, 5, axis=0))  # 120 rows
    m = model()
    m.fit(x, np.repeat(Y, 5), epochs=1, batch_size=16, verbose=0)
    m.predict(x, batch_size=32)
    m.evaluate(x, np.repeat(Y, 5), batch_size=32)
    assert rows_densified and max(rows_densified) <= 32


def test_feature_names_survive_save_and_load(tmp_path):
    m = fitted(FRAME)
    assert m.feature_names == ["a", "b", "c", "d"]
    m.save(tmp_path / "m.lwm")
    loaded = lw.load(tmp_path / "m.lwm")
    assert loaded.feature_names == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(loaded.predict(FRAME), m.predict(FRAME))
    with pytest.raises(DataError, match="different order"):
        loaded.predict(FRAME[["d", "c", "b", "a"]])
    with pytest.warns(UserWarning, match="no feature names"):
        loaded.predict(X)


def _our_nonfinite_warnings(m, verbose):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(X, X[:, 0] * 100, epochs=3, batch_size=8, verbose=verbose)
    return [str(w.message) for w in caught if "loss became non-finite" in str(w.message)]


def test_nonfinite_loss_warns_once_per_fit_at_verbose_0(capsys):
    m = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(1)], seed=0)
    m.compile(lw.SGD(1e6), "mse")
    for _ in range(2):  # once per fit, for each fit
        ours = _our_nonfinite_warnings(m, verbose=0)
        assert len(ours) == 1 and "epoch " in ours[0] and "batch " in ours[0], ours
    assert _our_nonfinite_warnings(m, verbose=2) == []  # the progress line says it there
    assert "non-finite loss" in capsys.readouterr().out


def test_save_of_a_diverged_model_names_the_first_bad_step_and_writes_nothing(tmp_path):
    m = diverged()
    report = m.nonfinite_report
    assert report is not None and report.startswith("step ")
    with pytest.raises(TrainingError) as info:
        m.save(tmp_path / "d.lwm")
    assert report in str(info.value) and "epoch " in str(info.value)
    assert not (tmp_path / "d.lwm").exists()


def test_model_checkpoint_keeps_the_last_good_file_when_the_model_diverges(tmp_path):
    m = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(1)], seed=0)
    m.compile(lw.SGD(1e6), "mse")
    ckpt = lw.ModelCheckpoint(str(tmp_path / "ep{epoch}.lwm"), save_best_only=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(X, X[:, 0] * 100, epochs=3, batch_size=8, verbose=0, callbacks=[ckpt])
    skipped = [w for w in caught if "ModelCheckpoint did not write" in str(w.message)]
    assert len(skipped) == 1 and "RollbackOnNaN" in str(skipped[0].message)  # once per fit
    for path in ckpt.saved:  # whatever was written loads
        lw.load(path)
