import numpy as np
import pytest

from layerwise import activations, gradcheck
from layerwise.errors import ConfigError

ALL = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]


@pytest.mark.parametrize("name", ALL)
def test_gradcheck_each_activation(name, rng):
    z = rng.normal(0, 2.0, size=(5, 7))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu-family functions
    assert gradcheck(activations.get(name), z).max_error < 1e-6


def test_values_match_formulas(rng):
    z = rng.normal(size=(4, 3))
    np.testing.assert_allclose(activations.get("sigmoid").value(z.copy()), 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(activations.get("tanh").value(z), np.tanh(z))
    np.testing.assert_allclose(activations.get("relu").value(z), np.maximum(z, 0))
    np.testing.assert_allclose(activations.get("leaky_relu").value(z), np.where(z > 0, z, 0.01 * z))
    np.testing.assert_allclose(activations.get("elu").value(z), np.where(z > 0, z, np.exp(z) - 1))
    sm = activations.get("softmax").value(z.copy())
    np.testing.assert_allclose(sm, np.exp(z) / np.exp(z).sum(1, keepdims=True))


def test_overflow_safe_for_huge_inputs():
    z = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.get("sigmoid").value(z.copy())
        e = activations.get("elu").value(z)
        p = activations.get("softmax").value(z.copy())
    assert np.isfinite(s).all() and s[0, 0] == 0.0 and s[0, -1] == 1.0
    assert np.isfinite(e).all()
    np.testing.assert_allclose(p.sum(), 1.0)


def test_parameters_and_errors():
    assert activations.get("leaky_relu").alpha == 0.01
    assert activations.get("elu").alpha == 1.0
    assert activations.get("leaky_relu", alpha=0.2).alpha == 0.2
    with pytest.raises(ConfigError, match="unknown activation 'swishy'.*valid:.*relu"):
        activations.get("swishy")
    with pytest.raises(ConfigError, match="alpha"):
        activations.get("elu", alpha=-1)


# -- the vocabulary beyond the notes: compared with PyTorch (tests/fixtures/activation_reference.json)
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import layerwise as lw  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "activation_reference.json").read_text())
NEW = ["gelu", "gelu_tanh", "selu", "swish", "softplus", "hard_sigmoid"]


@pytest.mark.parametrize("name", sorted(REFERENCE["cases"]))
def test_value_and_derivative_equal_pytorch(name):
    z = np.array(REFERENCE["z"])[None, :]
    ref = REFERENCE["cases"][name]
    act = activations.get(name)
    a = act.value(z.copy())
    dy = np.ones_like(z)
    grad = act.backward(dy, a, out=dy.copy(), z=z) if act.needs_input else act.backward(dy, a, out=dy.copy())
    # gelu_tanh: PyTorch's ½z(1 + tanh u) cancels in the negative tail (relative error up to ~1e-8
    # at z = −6); layerwise's z·σ(2u) does not, so the two agree to that error there
    # (and below z ≈ −9 PyTorch returns 0 where layerwise returns the true value, under 1e-40).
    # hard_sigmoid: PyTorch's derivative is float32's 1/6 even in float64 (0.16666667163); ours is 1/6.
    rtol = 1e-7 if name in ("gelu_tanh", "hard_sigmoid") else 1e-12
    atol = 1e-15 if name == "gelu_tanh" else 1e-300
    np.testing.assert_allclose(a[0], ref["value"], rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad[0], ref["derivative"], rtol=max(rtol, 1e-9), atol=1e-14)


@pytest.mark.parametrize("name", NEW)
def test_gradcheck_new_activations_alone_and_inside_dense(name, rng):
    z = rng.normal(0, 2.0, size=(5, 7))
    z[np.abs(np.abs(z) - 3) < 1e-3] = 1.0  # away from hard_sigmoid's kinks
    assert gradcheck(activations.get(name), z).max_error < 1e-6
    layer_check = gradcheck(lw.Dense(4, name), rng.normal(size=(6, 3)))
    assert layer_check.max_error < 1e-6


def test_new_activations_by_name_and_object_round_trip_and_train(tmp_path, rng):
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = lw.Sequential([lw.Dense(8, "gelu"), lw.Dense(8, activations.GELU(approximate=True)),
                           lw.Dense(8, "silu"), lw.Activation("selu"), lw.Dense(8, "softplus"),
                           lw.Dense(8, "hard_sigmoid"), lw.Dense(3, "softmax")], input_shape=(5,), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    model.save(tmp_path / "m.lwm")
    loaded = lw.load(tmp_path / "m.lwm")
    assert [getattr(l, "activation").get_config() for l in loaded.layers] == \
        [getattr(l, "activation").get_config() for l in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert activations.get("silu").name == "swish" and activations.get("gelu_tanh").approximate


def test_new_activations_export_to_onnx(tmp_path, rng):
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort
    x = rng.normal(size=(10, 5)).astype(np.float32)
    model = lw.Sequential([lw.Dense(8, "gelu"), lw.Dense(8, "gelu_tanh"), lw.Dense(8, "swish"),
                           lw.Dense(8, "selu"), lw.Dense(8, "softplus"), lw.Dense(8, "hard_sigmoid"),
                           lw.Dense(3, "softmax")], input_shape=(5,), seed=0)
    lw.export.to_onnx(model, tmp_path / "m.onnx")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], model.predict(x), rtol=1e-5, atol=1e-6)


def test_float32_tails_of_the_new_activations_are_finite():
    z = np.array([[-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        for name in NEW:
            act = activations.get(name)
            a = act.value(z.copy())
            assert a.dtype == np.float32 and np.isfinite(a).all(), name
