"""The Keras namespace builds on the core (issue 23): Keras's names are the registry's, the core
``fit`` honours ``validation_freq``, ``save_weights_only`` is an option of the core
``ModelCheckpoint``, and ``compat/`` neither swaps classes nor patches other objects' methods."""
from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
import layerwise.compat.keras as keras
from layerwise import registry
from layerwise.core import initializers as I
from layerwise.core import losses as LS
from layerwise.core import metrics as M
from layerwise.errors import ConfigError
from layerwise.optim import optimizers as O

COMPAT = Path(__file__).resolve().parents[1] / "src" / "layerwise" / "compat"
RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
Y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)  # three classes


def _core_model(*layers, seed=0, **compile_args):
    model = lw.Sequential(list(layers) or [lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")],
                          input_shape=(4,), seed=seed)
    model.compile(**{"optimizer": "adam", "loss": "sparse_categorical_crossentropy", **compile_args})
    return model


def _keras_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- 1. Keras's names are registry names ----------------------------------------------------------
@pytest.mark.parametrize("kind, name, core", [
    ("optimizer", "SGD", O.SGD), ("optimizer", "sgd", O.SGD), ("optimizer", "Adam", O.Adam),
    ("optimizer", "AdamW", O.AdamW), ("optimizer", "RMSprop", O.RMSProp), ("optimizer", "rmsprop", O.RMSProp),
    ("optimizer", "Adagrad", O.AdaGrad), ("optimizer", "Nadam", O.Nadam), ("optimizer", "Adamax", O.Adamax),
    ("loss", "sparse_categorical_crossentropy", LS.CategoricalCrossentropy),
    ("loss", "categorical_crossentropy", LS.CategoricalCrossentropy),
    ("loss", "binary_crossentropy", LS.BinaryCrossentropy), ("loss", "mean_squared_error", LS.MeanSquaredError),
    ("loss", "mse", LS.MeanSquaredError), ("loss", "mae", LS.MeanAbsoluteError),
    ("loss", "mean_absolute_error", LS.MeanAbsoluteError), ("loss", "huber", LS.Huber),
    ("loss", "hinge", LS.Hinge), ("loss", "squared_hinge", LS.SquaredHinge),
    ("initializer", "glorot_uniform", I.GlorotUniform), ("initializer", "he_normal", I.HeNormal),
    ("initializer", "random_normal", I.Normal), ("initializer", "truncated_normal", I.TruncatedNormal),
])
def test_a_keras_name_resolves_through_the_registry_to_the_core_class(kind, name, core):
    assert registry.lookup(kind, name) is core


@pytest.mark.parametrize("name, core, key", [
    ("accuracy", M.Accuracy, "accuracy"), ("acc", M.Accuracy, "accuracy"),
    ("sparse_categorical_accuracy", M.Accuracy, "sparse_categorical_accuracy"),
    ("categorical_accuracy", M.Accuracy, "categorical_accuracy"),
    ("top_k_categorical_accuracy", M.TopKAccuracy, "top_k_categorical_accuracy"),
    ("sparse_top_k_categorical_accuracy", M.TopKAccuracy, "sparse_top_k_categorical_accuracy"),
    ("binary_accuracy", M.BinaryAccuracy, "binary_accuracy"), ("auc", M.AUC, "auc"),
    ("mae", M.MeanAbsoluteError, "mae"), ("mean_squared_error", M.MeanSquaredError, "mse"),
    ("root_mean_squared_error", M.RootMeanSquaredError, "rmse"),
])
def test_a_keras_metric_name_is_a_registry_metric(name, core, key):
    metric = M.get(name)
    assert isinstance(metric, core) and metric.name == key


def test_compile_resolves_names_through_the_registry_with_keras_defaults():
    model = _keras_model()
    for name, core, checks in [("rmsprop", O.RMSProp, {"rho": 0.9, "epsilon": 1e-7}),
                               ("Adam", O.Adam, {"epsilon": 1e-7}),
                               ("adagrad", O.AdaGrad, {"epsilon": 1e-7, "initial_accumulator_value": 0.1}),
                               ("nadam", O.Nadam, {"epsilon": 1e-7}), ("adamax", O.Adamax, {"epsilon": 1e-7}),
                               ("adamw", O.AdamW, {"weight_decay": 0.004})]:
        model.compile(optimizer=name, loss="sparse_categorical_crossentropy")
        assert type(model.optimizer) is core, name
        assert model.optimizer.learning_rate(0) == 0.001, name  # Keras's rate (the core's is 0.01/0.002)
        for attr, value in checks.items():
            assert getattr(model.optimizer, attr) == value, (name, attr)
    model.compile(optimizer="momentum", loss="mse")  # a core name the registry holds works here too
    assert type(model.optimizer) is O.SGD and model.optimizer.momentum == 0.9
    assert type(model.loss) is LS.MeanSquaredError


def test_keras_class_names_resolve_by_their_function_names():
    assert isinstance(keras.layers.Dense(3, kernel_initializer="HeNormal").kernel_initializer, I.HeNormal)
    assert isinstance(keras.layers.Dense(3, kernel_initializer="RandomNormal").kernel_initializer, I.Normal)
    model = _keras_model()
    model.compile("adam", loss="MeanSquaredError", metrics=["MeanAbsoluteError"])
    assert type(model.loss) is LS.MeanSquaredError and model.metrics == ["mae"]


def test_an_unknown_name_is_refused_by_the_registry_listing_its_names():
    with pytest.raises(ConfigError, match="unknown optimizer 'adadelta'; valid: .*momentum.*rmsprop"):
        _keras_model().compile(optimizer="adadelta", loss="mse")
    with pytest.raises(ConfigError, match="unknown loss 'poisson'; valid: .*sparse_categorical_crossentropy"):
        _keras_model().compile(optimizer="adam", loss="poisson")


def test_the_keras_namespace_keeps_no_table_of_names():
    """No dict literal in compat/keras/ keyed by registry names (optimizers, losses, metrics,
    initializers): the registry is the one table."""
    known = {n for kind in ("optimizer", "loss", "metric", "initializer") for n in registry.names(kind)}
    found = []
    for path in sorted((COMPAT / "keras").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                named = [k for k in keys if k.lower() in known or
                         "".join("_" + c.lower() if c.isupper() else c for c in k).lstrip("_") in known]
                if len(named) >= 2:
                    found.append(f"{path.name}:{node.lineno} {named}")
    assert not found, found


# -- 2. validation_freq is honoured by the core fit ---------------------------------------------
# (these need ``Sequential.fit(..., validation_freq=1)`` in model.py, passed on to the loop)
@pytest.mark.parametrize("freq, initial_epoch, epochs, validated", [
    (1, 0, 5, [0, 1, 2, 3, 4]), (2, 0, 5, [1, 3]), (3, 0, 7, [2, 5]), ([1, 4, 7], 0, 7, [0, 3, 6]),
    ((2, 3), 0, 4, [1, 2]), (2, 2, 6, [3, 5]), ([], 0, 3, []), (10, 0, 3, []),
])
def test_core_fit_validates_on_keras_epochs_only(freq, initial_epoch, epochs, validated):
    model = _core_model()
    history = model.fit(X, Y, epochs=epochs, initial_epoch=initial_epoch, validation_split=0.25, verbose=0,
                        validation_freq=freq)
    assert history.epoch == list(range(initial_epoch, epochs))
    assert len(history.history["loss"]) == epochs - initial_epoch
    assert len(history.history.get("val_loss", [])) == len(validated)
    # the values are those of a validation run after exactly those epochs
    every = _core_model().fit(X, Y, epochs=epochs, initial_epoch=initial_epoch, validation_split=0.25, verbose=0)
    want = [every.history["val_loss"][every.epoch.index(e)] for e in validated]
    np.testing.assert_allclose(history.history.get("val_loss", []), want, rtol=1e-6)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "2", None, [0, 2], [1, "a"], [1.5], {1: 2}])
def test_validation_freq_is_checked(bad):
    with pytest.raises(ConfigError, match="validation_freq"):
        _core_model().fit(X, Y, epochs=1, validation_split=0.25, verbose=0, validation_freq=bad)


def test_monitors_skip_the_epochs_that_do_not_validate(tmp_path):
    model = _core_model()
    stop = lw.EarlyStopping(monitor="val_loss", patience=100)
    plateau = lw.ReduceLROnPlateau(monitor="val_loss", patience=100)
    best = lw.ModelCheckpoint(str(tmp_path / "best-{epoch}.lwm"), monitor="val_loss", save_best_only=True)
    history = model.fit(X, Y, epochs=6, validation_split=0.25, verbose=0, validation_freq=3,
                        callbacks=[stop, plateau, best])
    assert len(history.history["val_loss"]) == 2 and history.params["validation_freq"] == 3
    assert stop.best == min(history.history["val_loss"]) and stop.best_epoch in (2, 5)
    assert all(Path(p).name in ("best-3.lwm", "best-6.lwm") for p in best.saved) and best.saved
    # without validation data a val_* monitor is still refused at once, naming the key
    with pytest.raises(ConfigError, match="val_loss.*not logged"):
        _core_model().fit(X, Y, epochs=3, verbose=0, validation_freq=2,
                          callbacks=[lw.EarlyStopping(monitor="val_loss")])


def test_keras_fit_passes_validation_freq_to_the_core():
    keras.utils.set_random_seed(3)
    model = _keras_model()
    history = model.fit(X, Y, epochs=6, batch_size=16, validation_split=0.25, validation_freq=[2, 5], verbose=0)
    assert len(history.history["loss"]) == 6 and len(history.history["val_loss"]) == 2
    assert len(history.history["val_accuracy"]) == 2


# -- 3. save_weights_only is an option of the core ModelCheckpoint -------------------------------
def test_core_checkpoint_writes_the_weights_file_that_load_weights_reads(tmp_path):
    pytest.importorskip("h5py")
    from layerwise.formats import keras_weights
    path = tmp_path / "best.weights.h5"
    model = _core_model()
    seen = []

    class Snap(lw.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], model.get_weights()))

    ckpt = lw.ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True)
    model.fit(X, Y, epochs=4, validation_split=0.25, verbose=0, callbacks=[ckpt, Snap()])
    assert path.is_file() and ckpt.saved
    best = min(seen, key=lambda s: s[0])[1]
    other = _core_model(seed=1)
    keras_weights.load_weights(other, path)  # the core reads it back ...
    for got, want in zip(other.get_weights(), best, strict=True):
        np.testing.assert_array_equal(got, want)
    twin = _keras_model()
    twin.load_weights(str(path))  # ... and so does the Keras namespace (Keras 3's layout)
    for got, want in zip(twin.get_weights(), best, strict=True):
        np.testing.assert_array_equal(got, want)


def test_core_checkpoint_weights_only_needs_keras_file_name():
    with pytest.raises(ConfigError, match=r"\.weights\.h5"):
        lw.ModelCheckpoint("best.lwm", save_weights_only=True)


def test_keras_checkpoint_is_the_core_one_with_keras_arguments():
    cls = keras.callbacks.ModelCheckpoint
    assert issubclass(cls, lw.ModelCheckpoint)
    assert [name for name, value in vars(cls).items() if callable(value)] == ["__init__"]  # Keras's arguments only
    assert cls("w.weights.h5", save_weights_only=True).save_weights_only is True


# -- 4. no class swapping, no patched methods ----------------------------------------------------
def _methods() -> set[str]:
    """Names of the methods of the core's objects (models, layers, callbacks, losses, metrics,
    optimizers): assigning one of them on another object is monkeypatching."""
    names = set()
    for cls in (lw.Sequential, lw.Layer, lw.callbacks.Callback, LS.Loss, M.Metric, O.Optimizer):
        names |= {n for n, v in inspect.getmembers(cls) if callable(v) and not n.startswith("__")}
    return names


def test_compat_never_swaps_a_class_nor_patches_another_objects_method():
    methods, found = _methods(), []
    for path in sorted(COMPAT.rglob("*.py")):
        rel = path.relative_to(COMPAT)
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant):
                targets = [ast.Attribute(value=node.args[0], attr=node.args[1].value, lineno=node.lineno)]
            for t in [e for target in targets for e in (target.elts if isinstance(target, ast.Tuple) else [target])]:
                if not isinstance(t, ast.Attribute):
                    continue
                own = isinstance(t.value, ast.Name) and t.value.id in ("self", "cls")
                if t.attr == "__class__" or (t.attr in methods and not own):
                    found.append(f"{rel}:{node.lineno} {ast.unparse(t)} = ...")
    assert not found, found


def test_load_model_builds_a_keras_sequential_of_keras_layers(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.lwm")
    loaded = keras.models.load_model(tmp_path / "m.lwm")
    assert type(loaded) is keras.Sequential
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert isinstance(loaded.evaluate(X, Y, verbose=0), list)  # Keras's return values
    assert type(loaded.optimizer) is type(model.optimizer) and loaded.metrics == model.metrics
    with pytest.raises(ConfigError, match="functional API"):
        loaded.layers[0](keras.Input(shape=(4,)))  # Keras's layer class: refused by name


def test_load_model_keeps_dtype_weight_averages_and_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    model = lw.Sequential([lw.Dense(6, "tanh"), lw.Dense(3, "softmax")], input_shape=(4,), seed=2, dtype="float64")
    model.compile("adam", "sparse_categorical_crossentropy", ema=0.9)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model.fit(frame, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.lwm")
    loaded = keras.models.load_model(tmp_path / "m.lwm")
    assert type(loaded) is keras.Sequential and loaded.dtype == np.float64
    assert loaded.feature_names == ["a", "b", "c", "d"] and loaded.ema is not None
    assert loaded.ema.num_updates == model.ema.num_updates
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))  # the averaged weights


# -- 5. rows are counted without copying the input -----------------------------------------------
def test_compat_never_copies_an_input_to_count_its_rows():
    for path in sorted((COMPAT / "keras").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "len" and node.args:
                inner = node.args[0]
                assert not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                            and inner.func.attr in ("asarray", "array")), f"{path.name}:{node.lineno}"


@pytest.mark.parametrize("as_input", [np.asarray, lambda a: a.tolist(), lambda a: a.astype(np.float32)])
def test_keras_history_params_count_the_steps_the_loop_ran(as_input):
    model = _keras_model()
    history = model.fit(as_input(X), Y, epochs=1, batch_size=16, validation_split=0.25, verbose=0)
    n_train = len(X) - round(len(X) * 0.25)
    assert history.params == {"verbose": 0, "epochs": 1, "steps": math.ceil(n_train / 16)}


def test_compile_takes_one_metric_name_as_keras_does():
    from layerwise.compat import keras
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics="accuracy")
    x = np.random.default_rng(0).random((12, 4)).astype("float32")
    history = model.fit(x, np.arange(12) % 3, epochs=1, verbose=0)
    assert "accuracy" in history.history


def test_an_unknown_keras_name_is_a_named_error_and_an_attribute_error():
    from layerwise.compat import keras
    from layerwise.errors import ConfigError
    for module, name in ((keras, "Functional"), (keras.layers, "Conv2D"), (keras.utils, "plot_model")):
        assert not hasattr(module, name)
        with pytest.raises(ConfigError, match="outside layerwise's scope"):
            getattr(module, name)


def test_one_callback_not_in_a_list_and_a_bad_seed():
    """Keras takes ``callbacks=cb`` for one callback; ``set_random_seed`` wants an integer."""
    x = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)
    model.fit(x, y, epochs=2, verbose=0, callbacks=Count())
    assert seen == [0, 1]
    for bad in ("abc", -1, 1.5, None):
        with pytest.raises(ConfigError, match="set_random_seed: seed must be an integer >= 0"):
            keras.utils.set_random_seed(bad)
