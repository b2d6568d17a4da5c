"""The CuPy backend: the same models on a GPU. Skips cleanly without CuPy or a CUDA device."""
import numpy as np
import pytest

import layerwise as lw
from layerwise import backend

from conftest import make_blobs


def _gpu_available():
    try:
        backend.get_array_module("cupy")
        return True
    except lw.BackendError:
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _gpu_available(), reason="needs CuPy and a CUDA GPU")]


def _model(backend_name, dropout=0.0):
    layers = [lw.Dense(32, "relu"), lw.BatchNorm()]
    if dropout:
        layers.append(lw.Dropout(dropout))
    layers += [lw.Dense(16, "tanh", kernel_regularizer=lw.L2(1e-3)), lw.Dense(3, "softmax")]
    return lw.Sequential(layers, seed=0, backend_name=backend_name, dtype="float64")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam", "adamw", "adagrad"])
def test_gpu_training_matches_cpu(optimizer):
    x, y = make_blobs(n=256)
    weights = {}
    for name in ("numpy", "cupy"):
        model = _model(name)
        model.compile(lw.optimizers.get(optimizer, learning_rate=0.01), "categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=3, batch_size=32, verbose=0)
        weights[name] = model.get_weights()
        assert all(isinstance(w, np.ndarray) for w in weights[name])
    for a, b in zip(weights["numpy"], weights["cupy"]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_gpu_dropout_predict_evaluate_and_save(tmp_path):
    x, y = make_blobs(n=512)
    model = _model("cupy", dropout=0.3)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"], ema=0.99)
    model.fit(x, y, epochs=5, batch_size=64, verbose=0, validation_split=0.1)
    assert model.evaluate(x, y)["accuracy"] > 0.9
    p = model.predict(x)
    assert isinstance(p, np.ndarray) and p.shape == (512, 3)
    model.save(tmp_path / "gpu.lwm")
    back = lw.load(tmp_path / "gpu.lwm")  # loads on the default (CPU) backend
    assert back.predict(x).shape == (512, 3)
