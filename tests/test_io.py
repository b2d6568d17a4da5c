import os

import numpy as np
import pytest

import layerwise as lw
from layerwise import io
from layerwise.errors import ModelFileError

from conftest import make_blobs


def every_layer_model(dtype="float32"):
    return lw.Sequential([
        lw.Flatten(input_shape=(2, 4)),
        lw.Dense(12, "relu", kernel_regularizer=lw.L2(1e-3), kernel_constraint=lw.MaxNorm(3.0)),
        lw.BatchNorm(momentum=0.9),
        lw.Dropout(0.1),
        lw.Dense(10, "leaky_relu"),
        lw.Dense(9, "elu", use_bias=False),
        lw.Dense(8, "tanh"),
        lw.Dense(7, "sigmoid"),
        lw.Dense(6),
        lw.Activation("softmax"),
    ], seed=0, dtype=dtype)


@pytest.fixture
def trained(tmp_path):
    x, y = make_blobs(n=120, n_classes=6)
    x = x.reshape(-1, 2, 4)
    model = every_layer_model()
    model.compile(lw.Adam(1e-2), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.lwm"
    model.save(path)
    return model, path, x, y


def test_save_load_identical_predictions_for_every_layer_type(trained):
    model, path, x, y = trained
    back = lw.load(path)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in model.layers]
    assert back.layers[1].kernel_constraint.max_value == 3.0
    assert back.evaluate(x, y)["accuracy"] == model.evaluate(x, y)["accuracy"]  # compile restored
    assert isinstance(back.optimizer, lw.Adam) and back.optimizer.lr == pytest.approx(1e-2)


def test_float64_models_round_trip(tmp_path):
    model = lw.Sequential([lw.Dense(3, "softmax")], input_shape=(4,), dtype="float64", seed=0)
    model.save(tmp_path / "m.lwm")
    back = lw.load(tmp_path / "m.lwm")
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back.get_weights()[0], model.get_weights()[0])


def test_no_pickle_in_model_files(trained):
    _, path, _, _ = trained
    raw = path.read_bytes()
    assert b"\x80\x04" not in raw[:64]  # not a pickle stream
    tensors, meta = io.unpack(raw)
    assert meta["format"] == "layerwise-model" and meta["format_version"] == io.FORMAT_VERSION


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.01, 0.3, 0.5, 0.9, 0.999])
def test_truncated_files_raise_model_file_error(trained, tmp_path, fraction):
    _, path, _, _ = trained
    raw = path.read_bytes()
    bad = tmp_path / "t.lwm"
    bad.write_bytes(raw[:int(len(raw) * fraction)])
    with pytest.raises(ModelFileError):
        lw.load(bad)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_raise_model_file_error(tmp_path, seed):
    bad = tmp_path / "r.lwm"
    bad.write_bytes(np.random.default_rng(seed).bytes(2000))
    with pytest.raises(ModelFileError):
        lw.load(bad)


def _rewrite(path, tmp_path, edit_meta=None, edit_tensors=None):
    tensors, meta = io.unpack(path.read_bytes())
    if edit_meta:
        edit_meta(meta)
    if edit_tensors:
        edit_tensors(tensors)
    out = tmp_path / "edited.lwm"
    out.write_bytes(io.pack(tensors, meta))
    return out


@pytest.mark.parametrize("edit_meta, edit_tensors, message", [
    (lambda m: m.update(format_version=99), None, "format version 99 is newer"),
    (lambda m: m.update(format="something-else"), None, "not a layerwise-model file"),
    (lambda m: m["config"]["layers"][1].update(class_name="Conv2D"), None, "unknown layer type 'Conv2D'"),
    (lambda m: m["config"]["layers"][1].update(units=10**12), None, "has shape .* needs"),
    (lambda m: m["config"]["layers"][1].update(activation="mish"), None, "unknown activation"),
    (lambda m: m["config"].update(input_shape=[-3]), None, "invalid input_shape"),
    (lambda m: m.pop("config"), None, "no model config"),
    (None, lambda t: t.pop("dense_1/kernel"), r"missing tensors \['dense_1/kernel'\]"),
    (None, lambda t: t.update({"intruder/kernel": np.zeros(3, np.float32)}), "unexpected tensors"),
    (None, lambda t: t.update({"dense_2/kernel": np.zeros((3, 3), np.float32)}), "'dense_2/kernel' has shape"),
    (None, lambda t: t.update({"dense_2/bias": np.zeros(10, np.float64)}), "dtype float64"),
    (None, lambda t: t["dense_3/kernel"].__setitem__((0, 0), np.nan), "NaN or inf"),
])
def test_edited_files_are_refused_by_name(trained, tmp_path, edit_meta, edit_tensors, message):
    _, path, _, _ = trained
    with pytest.raises(ModelFileError, match=message):
        lw.load(_rewrite(path, tmp_path, edit_meta, edit_tensors))


def test_not_a_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        lw.load(tmp_path / "nope.lwm")
    with pytest.raises(ModelFileError, match="is a directory"):
        lw.load(tmp_path)


def test_a_failed_write_keeps_the_previous_file(trained, tmp_path, monkeypatch):
    model, path, x, _ = trained
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    model.layers[1].params["kernel"] += 1.0
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lwm"]
