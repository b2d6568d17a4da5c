import csv

import numpy as np
import pytest

import layerwise as lw
from layerwise import (SGD, CSVLogger, Dense, EarlyStopping, LearningRateScheduler, ModelCheckpoint,
                       ReduceLROnPlateau, Sequential, TerminateOnNaN)
from layerwise.callbacks import Callback
from layerwise.errors import ConfigError, TrainingError

from conftest import make_blobs


class Scripted(Callback):
    """Feeds a scripted sequence of values for a monitored key into the logs."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def fresh(lr=0.1):
    model = Sequential([Dense(3, "softmax")], seed=0)
    model.compile(SGD(lr), "categorical_crossentropy", metrics=["accuracy"])
    return model


X, Y = make_blobs(n=60)


def test_early_stopping_patience_and_restore():
    model = fresh()
    seen = []

    class Snap(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.model.get_weights())

    # the scripted callback runs first, so EarlyStopping sees its values
    es = EarlyStopping("score", patience=2, mode="min", restore_best_weights=True)
    hist = model.fit(X, Y, epochs=10, verbose=0,
                     callbacks=[Scripted("score", [5, 4, 3, 3.5, 3.2, 1, 1, 1, 1, 1]), Snap(), es])
    assert len(hist.history["loss"]) == 5 and es.stopped_epoch == 4 and es.best_epoch == 2
    for got, want in zip(model.get_weights(), seen[2]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_min_delta_and_mode_auto():
    es = EarlyStopping("val_accuracy", patience=1, min_delta=0.05)
    assert es.mode == "max"
    model = fresh()
    model.fit(X, Y, epochs=10, verbose=0, callbacks=[Scripted("val_accuracy", [0.5, 0.52, 0.9] + [0.9] * 7), es])
    assert es.stopped_epoch == 1


def test_reduce_lr_on_plateau_and_book_mode():
    model = fresh(0.8)
    plateau = ReduceLROnPlateau("score", factor=0.5, patience=2, min_delta=0.0, mode="min")
    hist = model.fit(X, Y, epochs=6, verbose=0, callbacks=[Scripted("score", [3, 3, 3, 3, 3, 3]), plateau])
    # no improvement after epoch 0: halved after epochs 2 and 4 (logged lr is read before the callback)
    assert hist.history["lr"] == pytest.approx([0.8, 0.8, 0.8, 0.4, 0.4, 0.2])
    assert model.optimizer.lr == pytest.approx(0.2)

    book = ReduceLROnPlateau.book(monitor="score", patience=1)
    model = fresh(1.0)
    hist = model.fit(X, Y, epochs=100, verbose=0, callbacks=[Scripted("score", [0.5] * 100), book])
    # halved once per plateau epoch until η = η0/1024, then training stops
    assert model.optimizer.lr == pytest.approx(1 / 1024)
    assert len(hist.history["loss"]) == 11


def test_learning_rate_scheduler_per_epoch():
    model = fresh(0.1)
    hist = model.fit(X, Y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 0.1 / (e + 1))])
    assert hist.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    with pytest.raises(ConfigError, match="expected a rate > 0"):
        fresh().fit(X, Y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: -1)])


def test_model_checkpoint_best_only_and_atomic(tmp_path):
    model = fresh()
    ck = ModelCheckpoint(str(tmp_path / "best.lwm"), monitor="score", save_best_only=True, mode="min")
    saves = []

    class Spy(Callback):
        def on_epoch_end(self, epoch, logs=None):
            saves.append(len(ck.saved))

    model.fit(X, Y, epochs=4, verbose=0, callbacks=[Scripted("score", [3, 2, 2.5, 1]), ck, Spy()])
    assert saves == [1, 2, 2, 3]
    assert [p.name for p in tmp_path.iterdir()] == ["best.lwm"]  # no temporary files left
    restored = lw.load(tmp_path / "best.lwm")
    np.testing.assert_allclose(restored.predict(X), model.predict(X), rtol=1e-6)
    every = ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.lwm"))
    fresh().fit(X, Y, epochs=2, verbose=0, callbacks=[every])
    assert (tmp_path / "ep01.lwm").is_file() and (tmp_path / "ep02.lwm").is_file()


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    fresh().fit(X, Y, epochs=3, verbose=0, validation_split=0.2, callbacks=[CSVLogger(str(path))])
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(rows[0])


def test_terminate_on_nan_names_step_layer_and_array():
    x, y = make_blobs(n=64)
    model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], seed=0)
    model.compile(SGD(0.1), "categorical_crossentropy")
    model.build((8,))
    model.layers[1].params["kernel"][0, 0] = np.nan
    stop = TerminateOnNaN()
    model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[stop])
    assert stop.message == "step 0: layer 'dense_2' parameter 'kernel' holds NaN/inf"
    assert model.optimizer.iterations == 0  # the bad step was not applied
    assert np.isfinite(model.layers[0].params["kernel"]).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_from_divergence_raises_when_asked():
    x, y = make_blobs(n=64)
    model = Sequential([Dense(32, "relu"), Dense(32, "relu"), Dense(3)], seed=0)
    model.compile(SGD(10.0), "mse")
    with pytest.raises(TrainingError, match=r"non-finite loss at step \d+: layer '.*' (parameter|output)"):
        model.fit(x, y, epochs=50, batch_size=16, verbose=0, callbacks=[TerminateOnNaN(raise_error=True)])


def test_monitor_that_is_not_logged_is_a_clear_error():
    with pytest.raises(ConfigError, match="monitors 'val_loss', which is not logged.*val_\\* needs validation"):
        fresh().fit(X, Y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    with pytest.raises(ConfigError, match="patience must be an integer >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(ConfigError, match=r"factor must be in \(0, 1\)"):
        ReduceLROnPlateau(factor=2)


def test_progress_output(capsys):
    fresh().fit(X, Y, epochs=2, verbose=2, validation_split=0.2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "val_accuracy" in out and "lr 0.1" in out


def test_ema_follows_the_notes_formula_and_is_used_for_evaluation():
    x, y = make_blobs(n=64)
    model = Sequential([Dense(3, "softmax")], seed=0, dtype="float64")
    model.compile(SGD(0.5), "categorical_crossentropy", ema=0.9)
    model.build((8,))
    model.collect_params()
    w = model.layers[0].params["kernel"]
    shadow = w.copy()
    for t in range(4):
        model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
        d = min(0.9, (1 + t) / (10 + t))
        shadow = d * shadow + (1 - d) * w
        with model.ema.swapped_in(model.flat_params):
            np.testing.assert_allclose(model.layers[0].params["kernel"], shadow, rtol=1e-12)
    trained = w.copy()
    with model.ema.swapped_in(model.flat_params):
        np.testing.assert_allclose(model.layers[0].params["kernel"], shadow)
        averaged_out = model.forward(x)
    np.testing.assert_array_equal(model.layers[0].params["kernel"], trained)  # swapped back
    np.testing.assert_allclose(model.predict(x), averaged_out)
