"""The Keras namespace's misuse corpus: what a tf.keras user writes that layerwise cannot do must end,
where they write it, in one layerwise error that names the construct and the way out (or a warning,
where Keras itself would train and only the result is wrong). Runs without real Keras."""
from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

import layerwise.compat.keras as keras
from helpers.api_corpus import Case, Raises, Warns, Works, parametrize, run_case
from layerwise.errors import ConfigError, ModelFileError
from layerwise.formats.model_file import save_model

RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(30, 4)), np.arange(30) % 3


def _model(*layers, loss="sparse_categorical_crossentropy", compile=True):
    model = keras.Sequential([keras.Input(shape=(4,)), *(layers or [keras.layers.Dense(3, activation="softmax")])])
    if compile:
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _subclass_model():
    class MyModel(keras.Model):  # refused here, at the class statement
        def call(self, x):
            return x
    return MyModel


def _layer_on_arrays():
    model = _model()
    model.build()
    return model.layers[0](X.astype(np.float32))  # eager, as in Keras


def _subclass_pydataset():
    class Batches(keras.utils.PyDataset):
        def __getitem__(self, i):
            return X, Y
    return Batches


def _batches():
    for i in range(0, 30, 10):
        yield X[i:i + 10], Y[i:i + 10]


def _fake_tf_dataset():
    cls = type("DatasetV2", (), {"__module__": "tensorflow.python.data.ops.dataset_ops",
                                 "__iter__": lambda self: iter([(X, Y)])})
    return cls()


def _in_tmp(fn):
    with tempfile.TemporaryDirectory() as tmp:
        return fn(Path(tmp))


def _keras_archive(tmp: Path) -> Path:
    path = tmp / "model.keras"
    with zipfile.ZipFile(path, "w") as z:  # what Keras 3's model.save("model.keras") writes: a zip
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", "{}")
    return path


def _keras_h5(tmp: Path) -> Path:
    path = tmp / "model.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(504))  # an HDF5 file's signature
    return path


def _old_layerwise_file_named_keras(tmp: Path):
    """Earlier versions wrote layerwise files under a .keras name: they still load."""
    model = _model()
    model.fit(X, Y, epochs=1, verbose=0)
    save_model(model, tmp / "old.keras")  # what model.save("old.keras") wrote before it was refused
    return np.array_equal(keras.models.load_model(tmp / "old.keras").predict(X), model.predict(X))


def _caught(fn):
    """The warnings ``fn`` emits (for the cases that must not warn)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught]


def _fit(model, **kwargs):
    return lambda: model.fit(X, Y, epochs=1, verbose=0, **kwargs)


def _compile_then_add():
    model = keras.Sequential()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.add(keras.layers.Dense(3, activation="softmax", input_shape=(4,)))
    model.fit(X, Y, epochs=1, verbose=0)


CASES = [
    # the functional API and subclassing: refused at the line that uses them
    Case("functional_dense_on_input", lambda: keras.layers.Dense(8)(keras.Input(shape=(4,))),
         Raises(ConfigError, "functional API keras.Input keras.Sequential")),
    Case("functional_flatten_on_input", lambda: keras.layers.Flatten()(keras.Input(shape=(28, 28))),
         Raises(ConfigError, "functional API keras.Sequential")),
    Case("functional_dropout_on_input_list", lambda: keras.layers.Dropout(0.5)([keras.Input(shape=(4,))]),
         Raises(ConfigError, "functional API")),
    Case("functional_model_on_input", lambda: _model()(keras.Input(shape=(4,))),
         Raises(ConfigError, "functional API keras.Sequential")),
    Case("functional_model_inputs_outputs", lambda: keras.Model(inputs=None, outputs=None),
         Raises(ConfigError, "Model(inputs, outputs) functional API keras.Sequential")),
    Case("functional_models_model", lambda: keras.models.Model(inputs=None, outputs=None),
         Raises(ConfigError, "functional API")),
    Case("subclassing_keras_model", _subclass_model,
         Raises(ConfigError, "Model subclassing MyModel keras.Sequential")),
    Case("subclassing_keras_layer", lambda: type("MyLayer", (keras.layers.Layer,), {}),
         Raises(ConfigError, "layers.Layer outside layerwise's scope")),
    Case("layer_called_on_arrays_runs", _layer_on_arrays, Works(lambda out: out.shape == (30, 3))),
    Case("new_layer_called_on_arrays_builds", lambda: keras.layers.Dense(5, activation="relu")(X),
         Works(lambda out: out.shape == (30, 5) and (out >= 0).all())),
    Case("model_called_on_arrays_predicts", lambda: _model()(X), Works(lambda out: out.shape == (30, 3))),

    # from_logits=True on an output that is already probabilities (Keras's warning, and the fix)
    Case("from_logits_on_softmax_dense", lambda: _model(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        Warns(UserWarning, "SparseCategoricalCrossentropy from_logits=True softmax dense logits "
                           "keras.layers.Dense(3) from_logits=False")),
    Case("from_logits_on_softmax_layer", lambda: _model(
        keras.layers.Dense(3), keras.layers.Softmax(),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True)),
        Warns(UserWarning, "CategoricalCrossentropy softmax from_logits=False")),
    Case("from_logits_on_sigmoid", lambda: _model(
        keras.layers.Dense(1, activation="sigmoid"), loss=keras.losses.BinaryCrossentropy(from_logits=True)),
        Warns(UserWarning, "BinaryCrossentropy from_logits=True sigmoid keras.layers.Dense(1)")),
    Case("from_logits_on_softmax_then_dropout", lambda: _model(
        keras.layers.Dense(3, activation="softmax"), keras.layers.Dropout(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        Warns(UserWarning, "softmax from_logits")),
    Case("from_logits_compiled_before_layers_warns_at_fit", _compile_then_add,
         Warns(UserWarning, "softmax from_logits=True")),
    Case("from_logits_on_logits_is_quiet", lambda: _caught(lambda: _model(
        keras.layers.Dense(3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)).fit(
        X, Y, epochs=1, verbose=0)), Works(lambda messages: not any("from_logits" in m for m in messages))),
    Case("probabilities_without_from_logits_is_quiet", lambda: _caught(lambda: _model(
        loss=keras.losses.SparseCategoricalCrossentropy()).fit(X, Y, epochs=1, verbose=0)),
        Works(lambda messages: not any("from_logits" in m for m in messages))),

    # whole-model files under Keras's names: refused at save, with layerwise's two files named
    Case("save_dot_keras", lambda: _in_tmp(lambda t: _model().save(t / "m.keras")),
         Raises(ConfigError, "model.save m.keras .keras model.save('m.lwm') save_weights('m.weights.h5')")),
    Case("save_dot_h5", lambda: _in_tmp(lambda t: _model().save(str(t / "m.h5"))),
         Raises(ConfigError, "m.h5 .h5 m.lwm m.weights.h5")),
    Case("save_weights_name_to_save", lambda: _in_tmp(lambda t: _model().save(t / "m.weights.h5")),
         Raises(ConfigError, "save_weights('m.weights.h5')")),
    Case("checkpoint_dot_keras", lambda: keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True),
         Raises(ConfigError, "ModelCheckpoint best.keras best.lwm save_weights_only=True")),
    Case("checkpoint_weights_only_wrong_name", lambda: keras.callbacks.ModelCheckpoint(
        "best.h5", save_weights_only=True), Raises(ConfigError, ".weights.h5")),
    Case("save_lwm_round_trips", lambda: _in_tmp(lambda t: (_model().save(t / "m.lwm"),
                                                             keras.models.load_model(t / "m.lwm"))[1]),
         Works(lambda model: isinstance(model, keras.Sequential))),
    Case("load_model_keras_archive", lambda: _in_tmp(lambda t: keras.models.load_model(_keras_archive(t))),
         Raises(ModelFileError, ".keras archive written by Keras cannot read model.lwm load_weights")),
    Case("load_model_keras_h5", lambda: _in_tmp(lambda t: keras.models.load_model(str(_keras_h5(t)))),
         Raises(ModelFileError, "HDF5 Keras cannot read load_weights('model.weights.h5')")),
    Case("load_model_layerwise_file_named_keras", lambda: _in_tmp(_old_layerwise_file_named_keras),
         Works(lambda same: same is True)),

    # data that is not arrays: generators, tf.data, PyDataset
    Case("fit_generator", lambda: _model().fit(_batches(), epochs=1, verbose=0),
         Raises(ConfigError, "fit(x=...) generator tf.data PyDataset not supported arrays")),
    Case("fit_iterator", lambda: _model().fit(iter([X]), Y, epochs=1, verbose=0),
         Raises(ConfigError, "iterator arrays")),
    Case("fit_tf_dataset", lambda: _model().fit(_fake_tf_dataset(), epochs=1, verbose=0),
         Raises(ConfigError, "tf.data.Dataset arrays")),
    Case("fit_generator_as_validation_data", _fit(_model(), validation_data=_batches()),
         Raises(ConfigError, "fit(validation_data=...) generator")),
    Case("fit_steps_per_epoch", _fit(_model(), steps_per_epoch=3),
         Raises(ConfigError, "steps_per_epoch arrays")),
    Case("evaluate_generator", lambda: _model().evaluate(_batches(), verbose=0),
         Raises(ConfigError, "evaluate(x=...) generator")),
    Case("predict_generator", lambda: _model().predict(x[0] for x in _batches()),
         Raises(ConfigError, "predict(x=...) generator")),
    Case("subclassing_pydataset", _subclass_pydataset, Raises(ConfigError, "utils.PyDataset Batches arrays")),
    Case("keras_utils_sequence", lambda: keras.utils.Sequence(), Raises(ConfigError, "utils.Sequence arrays")),
    Case("unknown_utils_name", lambda: keras.utils.image_dataset_from_directory("x"),
         Raises(ConfigError, "utils.image_dataset_from_directory outside layerwise's scope")),
    Case("python_probes_get_attribute_error", lambda: (hasattr(keras, "__wrapped__"),
                                                      hasattr(keras.utils, "__wrapped__")),
         Works(lambda probes: probes == (False, False))),
]


@parametrize(CASES)
def test_keras_api_corpus(case):
    run_case(case)
