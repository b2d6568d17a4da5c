"""The notes' tf.keras six-step programs, unchanged apart from the import line, on layerwise."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris

import layerwise.compat.keras as keras
from layerwise.compat import keras as keras2
from layerwise.errors import ConfigError


def test_both_import_forms_are_the_same_module():
    assert keras is keras2


def test_iris_six_steps_softmax_l2_sgd():
    # import → data → Sequential → compile → fit → summary, as the notes write it (tf.keras names)
    x_train, y_train = load_iris(return_X_y=True)
    keras.utils.set_random_seed(116)  # the notes: tf.random.set_seed(116)
    np.random.seed(116)
    np.random.shuffle(x_train)
    np.random.seed(116)
    np.random.shuffle(y_train)

    model = keras.models.Sequential([
        keras.layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2())
    ])
    model.compile(optimizer=keras.optimizers.SGD(lr=0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=500, validation_split=0.2, validation_freq=20,
                        verbose=0)
    model.summary()
    # Keras's keys; validation every 20th epoch only
    assert set(history.history) == {"loss", "sparse_categorical_accuracy", "val_loss",
                                    "val_sparse_categorical_accuracy"}
    assert len(history.history["loss"]) == 500 and len(history.history["val_loss"]) == 25
    assert history.history["sparse_categorical_accuracy"][-1] > 0.8
    loss, acc = model.evaluate(x_train, y_train, verbose=0)
    assert acc > 0.8 and loss == pytest.approx(model.evaluate(x_train, y_train, return_dict=True)["loss"])


def test_fashion_mnist_program_with_flatten_dropout_logits_and_callbacks(tmp_path):
    from layerwise.data import datasets
    if datasets.locate("fashion-mnist") is None:  # only missing files skip: a loader error must fail
        pytest.skip("Fashion-MNIST files not installed (searched: "
                    + ", ".join(map(str, datasets.search_dirs("fashion-mnist"))) + ")")
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    assert x_train.dtype == np.uint8 and x_train.shape == (60000, 28, 28)
    keras.utils.set_random_seed(0)
    x_train, y_train = x_train[:6000] / 255.0, y_train[:6000]
    x_test = x_test[:1000] / 255.0

    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    ckpt = tmp_path / "best.lwm"
    history = model.fit(x_train, y_train, epochs=3, validation_split=0.2, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                                   keras.callbacks.ModelCheckpoint(str(ckpt), save_best_only=True)])
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values()) and history.history["val_accuracy"][-1] > 0.75
    test_loss, test_acc = model.evaluate(x_test, y_test[:1000], verbose=2)
    assert test_acc > 0.75
    probability_model = keras.Sequential([model, keras.layers.Softmax()])  # the tutorial's wrapper
    p = probability_model.predict(x_test[:5])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(p.argmax(1), model.predict(x_test[:5]).argmax(1))
    reloaded = keras.models.load_model(str(ckpt))
    assert isinstance(reloaded.evaluate(x_test, y_test[:1000], verbose=0), list)


def test_regression_program_with_mse_and_mae():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0, validation_data=(x[:64], y[:64]))
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    loss, mae = model.evaluate(x, y, verbose=0)
    assert mae < 0.3 and model.predict(x[:4]).shape == (4, 1)


def test_binary_classifier_program():
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = keras.Sequential()
    model.add(keras.layers.Dense(8, activation="relu", input_shape=(4,)))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Precision(), keras.metrics.Recall()])
    history = model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "precision", "recall"}
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["accuracy"] > 0.85


def test_keras_arguments_and_defaults_map():
    assert keras.optimizers.SGD(lr=0.3).learning_rate(0) == 0.3
    adam = keras.optimizers.Adam()
    assert adam.epsilon == 1e-7 and adam.learning_rate(0) == 0.001
    assert keras.optimizers.RMSprop().rho == 0.9
    assert keras.regularizers.l2().l2 == 0.01
    onehot = keras.utils.to_categorical([0, 2, 1], num_classes=3)
    np.testing.assert_array_equal(onehot, np.eye(3)[[0, 2, 1]])
    bn = keras.layers.BatchNormalization()
    assert bn.momentum == 0.99 and bn.epsilon == 1e-3


@pytest.mark.parametrize("make, what", [
    (lambda: keras.layers.Conv2D(32, 3), "layers.Conv2D"),
    (lambda: keras.layers.LSTM(8), "layers.LSTM"),
    (lambda: keras.Model(inputs=None, outputs=None), "functional API"),
    (lambda: keras.optimizers.Adam(amsgrad=True), "amsgrad"),
])
def test_what_cannot_map_fails_at_once_naming_it(make, what):
    with pytest.raises(ConfigError, match=f"{what}.*outside layerwise's scope"):
        make()


def test_datasets_load_data_returns_keras_uint8_tuples(tmp_path, monkeypatch):
    from layerwise.data import idx
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for part, n in (("train", 12), ("t10k", 5)):
        idx.write_idx(folder / f"{part}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)).astype(np.uint8))
        idx.write_idx(folder / f"{part}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    monkeypatch.setenv("LAYERWISE_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    assert x_train.dtype == np.uint8 and x_train.shape == (12, 28, 28) and y_test.shape == (5,)


KERAS_SIDE = r"""
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras
mode, path, xfile, out = sys.argv[1:5]
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
                          keras.layers.Dense(3, activation="softmax")])
x = np.load(xfile)
if mode == "load":
    model.load_weights(path)
else:
    rng = np.random.default_rng(5)
    bn = model.layers[1]
    bn.moving_mean.assign(rng.normal(size=8).astype("float32"))
    bn.moving_variance.assign((rng.random(8) + 0.5).astype("float32"))
    model.save_weights(path)
np.save(out, np.asarray(model.predict(x, verbose=0)))
"""


def _keras_side(tmp_path, mode, weights, x):
    import os
    import subprocess
    import sys
    pytest.importorskip("h5py")
    script = tmp_path / "keras_side.py"
    script.write_text(KERAS_SIDE)
    np.save(tmp_path / "x.npy", x)
    env = {**os.environ, "KERAS_BACKEND": "torch"}  # Keras 3 on PyTorch (pip install torch==2.13.0 keras)
    proc = subprocess.run([sys.executable, str(script), mode, str(weights), str(tmp_path / "x.npy"),
                           str(tmp_path / "out.npy")], capture_output=True, text=True, env=env)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip("Keras 3 with a backend is not installed (pip install torch==2.13.0 keras h5py)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return np.load(tmp_path / "out.npy")


def _layerwise_twin():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_weights_h5_written_by_layerwise_load_into_keras(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    model = _layerwise_twin()
    model.fit(x, rng.integers(0, 3, 40), epochs=3, verbose=0)  # moves BatchNorm's statistics too
    model.save_weights(str(tmp_path / "lw.weights.h5"))
    theirs = _keras_side(tmp_path, "load", tmp_path / "lw.weights.h5", x)
    np.testing.assert_allclose(theirs, model.predict(x), rtol=1e-4, atol=1e-6)


def test_weights_h5_written_by_keras_load_into_layerwise(tmp_path):
    x = np.random.default_rng(4).normal(size=(40, 4)).astype(np.float32)
    theirs = _keras_side(tmp_path, "save", tmp_path / "k.weights.h5", x)
    model = _layerwise_twin()
    model.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(model.predict(x), theirs, rtol=1e-4, atol=1e-6)


def test_checkpoint_saves_weights_only_in_keras_layout(tmp_path):
    pytest.importorskip("h5py")
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    model = _layerwise_twin()
    path = tmp_path / "best.weights.h5"

    class Snapshots(keras.callbacks.Callback):  # the weights and val_loss at every epoch's end
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append((logs["val_loss"], [w.copy() for w in self.model.get_weights()]))

    snapshots = Snapshots()
    model.fit(x, y, epochs=4, verbose=0, validation_split=0.2,
              callbacks=[keras.callbacks.ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True),
                         snapshots])
    other = _layerwise_twin()
    other.load_weights(str(path))
    assert path.exists() and other.predict(x).shape == (60, 3)
    # the file holds the best epoch's weights (BatchNorm's moving statistics included), in Keras's layout
    best = min(range(len(snapshots.seen)), key=lambda i: snapshots.seen[i][0])
    for got, want in zip(other.get_weights(), snapshots.seen[best][1], strict=True):
        np.testing.assert_array_equal(got, want)
    assert _h5_layout(path) == KERAS_FIXTURE["layout"]


# -- Keras's weights layout checked without Keras: a file Keras 3 wrote and its predictions --------
# (tests/fixtures/make_keras_weights.py regenerates them with real Keras; the model is the twin above)
FIXTURES = Path(__file__).parent / "fixtures"
KERAS_FIXTURE = json.loads((FIXTURES / "keras_dense_bn.json").read_text())


def _keras_file(tmp_path) -> Path:
    """The file Keras's save_weights wrote (committed gzipped), unpacked byte for byte."""
    pytest.importorskip("h5py")  # in the test extra, so CI runs these
    path = tmp_path / "keras_dense_bn.weights.h5"
    path.write_bytes(gzip.decompress((FIXTURES / "keras_dense_bn.weights.h5.gz").read_bytes()))
    return path


def _h5_layout(path) -> list:
    """Every group and dataset in h5py's visiting order: [path, kind, shape, dtype, attributes]."""
    h5py = pytest.importorskip("h5py")
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                out.append([name, "dataset", list(obj.shape), str(obj.dtype), attrs])
            else:
                out.append([name, "group", None, None, attrs])
        f.visititems(visit)
    return out


def _h5_arrays(path) -> dict:
    h5py = pytest.importorskip("h5py")
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def test_keras_fixture_is_what_keras_wrote(tmp_path):
    assert _h5_layout(_keras_file(tmp_path)) == KERAS_FIXTURE["layout"]
    bn = _h5_arrays(_keras_file(tmp_path))
    mean, var = bn["layers/batch_normalization/vars/2"], bn["layers/batch_normalization/vars/3"]
    assert np.all(var > 1.5) and np.all((0 < mean) & (mean < 1))  # apart, positive: a swap is finite, wrong


def test_weights_h5_written_by_keras_predict_as_keras_predicted(tmp_path):
    x = np.asarray(KERAS_FIXTURE["x"], dtype=np.float32)
    model = _layerwise_twin()
    model.load_weights(str(_keras_file(tmp_path)))
    # predict runs BatchNorm in inference mode: gamma (x - moving_mean) / sqrt(moving_var + eps) + beta
    np.testing.assert_allclose(model.predict(x), KERAS_FIXTURE["predictions"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("corrupt", ["swap BatchNorm mean and variance", "swap BatchNorm gamma and beta",
                                     "skip BatchNorm's statistics", "load nothing"])
def test_the_keras_fixture_catches_a_wrong_loader(tmp_path, corrupt):
    # the comparison above is sharp enough: each of these wrong loaders misses Keras's predictions
    h5py = pytest.importorskip("h5py")
    path = _keras_file(tmp_path)
    pairs = {"swap BatchNorm mean and variance": ("layers/batch_normalization/vars/2",
                                                  "layers/batch_normalization/vars/3"),
             "swap BatchNorm gamma and beta": ("layers/batch_normalization/vars/0",
                                               "layers/batch_normalization/vars/1")}
    model = _layerwise_twin()
    if corrupt in pairs:
        with h5py.File(path, "r+") as f:
            a, b = (f[p][()] for p in pairs[corrupt])
            f[pairs[corrupt][0]][...], f[pairs[corrupt][1]][...] = b, a
        model.load_weights(str(path))
    elif corrupt == "skip BatchNorm's statistics":  # a loader that reads only the trainable variables
        model.load_weights(str(path))
        model.layers[1].state["moving_mean"][...] = 0.0
        model.layers[1].state["moving_variance"][...] = 1.0
    else:
        model.build()
    p = model.predict(np.asarray(KERAS_FIXTURE["x"], dtype=np.float32))
    assert np.isfinite(p).all() and not np.allclose(p, KERAS_FIXTURE["predictions"], rtol=1e-3, atol=1e-3)


def test_weights_h5_written_by_layerwise_have_keras_layout_and_values(tmp_path):
    keras_path, ours = _keras_file(tmp_path), tmp_path / "ours.weights.h5"
    model = _layerwise_twin()
    model.load_weights(str(keras_path))
    model.save_weights(str(ours))
    # the same groups, datasets, shapes, dtypes, names and order as Keras's own file ...
    assert _h5_layout(ours) == _h5_layout(keras_path) == KERAS_FIXTURE["layout"]
    # ... holding the same numbers, variable by variable
    theirs, mine = _h5_arrays(keras_path), _h5_arrays(ours)
    assert list(mine) == list(theirs)
    for name in theirs:
        np.testing.assert_array_equal(mine[name], theirs[name], err_msg=name)


def test_weights_h5_round_trip_a_trained_model(tmp_path):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    model = _layerwise_twin()
    model.fit(x, rng.integers(0, 3, 50), epochs=3, verbose=0)  # moves BatchNorm's statistics too
    model.save_weights(str(tmp_path / "m.weights.h5"))
    assert _h5_layout(tmp_path / "m.weights.h5") == KERAS_FIXTURE["layout"]
    other = _layerwise_twin()
    other.load_weights(str(tmp_path / "m.weights.h5"))
    for got, want in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
