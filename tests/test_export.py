import numpy as np
import pytest

import layerwise as lw
from layerwise.cli import main
from layerwise.data import datasets as ds_mod

onnx = pytest.importorskip("onnx", reason="ONNX export tests need: pip install 'layerwise[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="ONNX parity tests need onnxruntime")


def run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x.astype(np.float32)})[0]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear"])
def test_every_layer_and_activation_matches_onnxruntime_on_digits(tmp_path, activation):
    ds = lw.datasets.load("digits")
    model = lw.Sequential([
        lw.Flatten(input_shape=(64,)),
        lw.Dense(48, activation),
        lw.BatchNorm(center=activation != "tanh", scale=activation != "elu"),
        lw.Dropout(0.2),
        lw.Dense(32, "leaky_relu" if activation == "linear" else activation, use_bias=False),
        lw.Dense(10),
        lw.layers.Activation("softmax"),
    ], seed=0)
    model.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds.x_train, ds.y_train, epochs=5, verbose=0)
    path = tmp_path / "m.onnx"
    lw.export.to_onnx(model, path)
    got = run_onnx(path, ds.x_test)
    assert np.abs(got - model.predict(ds.x_test)).max() < 1e-5


def test_cli_export(tmp_path, capsys):
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(3, "softmax")], input_shape=(5,), seed=0)
    model.save(tmp_path / "m.lwm")
    assert main(["export", str(tmp_path / "m.lwm"), str(tmp_path / "m.onnx")]) == 0
    x = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    assert np.abs(run_onnx(tmp_path / "m.onnx", x) - model.predict(x)).max() < 1e-5
    assert main(["export", str(tmp_path / "missing.lwm"), str(tmp_path / "x.onnx")]) == 2
    assert "no such model file" in capsys.readouterr().err


@pytest.mark.skipif(ds_mod.locate("fashion-mnist") is None, reason="Fashion-MNIST files not found")
def test_parity_on_fashion_mnist_test_set(tmp_path):
    ds = lw.datasets.load("fashion-mnist")
    model = lw.Sequential([lw.Dense(128, "relu"), lw.BatchNorm(), lw.Dense(10, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy")
    model.fit(ds.x_train[:5000], ds.y_train[:5000], epochs=1, batch_size=64, verbose=0)
    lw.export.to_onnx(model, tmp_path / "f.onnx")
    assert np.abs(run_onnx(tmp_path / "f.onnx", ds.x_test) - model.predict(ds.x_test)).max() < 1e-5
