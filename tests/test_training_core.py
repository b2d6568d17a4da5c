"""The one training core: one model state behind every consumer, per-fit settings, and the registry."""
import json

import numpy as np
import pytest

import layerwise as lw
from layerwise.errors import ConfigError, ModelFileError

from conftest import make_blobs


# -- one model state --------------------------------------------------------------------------------
def _trained_ema_model(seed=0):
    x, y = make_blobs(n=300, seed=seed)
    model = lw.Sequential([lw.Dense(16, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], seed=seed)
    model.compile(lw.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"], ema=0.99)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    return model, x, y


def test_ema_model_save_load_predicts_exactly_like_the_saved_one(tmp_path):
    model, x, y = _trained_ema_model()
    raw = model.get_weights()
    with lw.core.state.averaged(model):
        averaged_out = model.forward(x)
    assert not np.allclose(model.predict(x), _no_ema_predict(model, x))  # the averages matter here
    np.testing.assert_array_equal(model.predict(x), averaged_out)
    model.save(tmp_path / "m.lwm")
    back = lw.load(tmp_path / "m.lwm")
    assert back.ema is not None and back.ema.num_updates == model.ema.num_updates
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.evaluate(x, y) == model.evaluate(x, y)
    for a, b in zip(back.get_weights(), raw):  # the trained (not averaged) weights travel too
        np.testing.assert_array_equal(a, b)


def _no_ema_predict(model, x):
    clone = lw.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    return clone.predict(x)


def test_onnx_export_uses_the_averaged_weights(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model, x, _ = _trained_ema_model(seed=1)
    lw.export.to_onnx(model, tmp_path / "m.onnx")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    out = sess.run(None, {"input": x})[0]
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-5, atol=1e-6)
    assert not np.allclose(out, _no_ema_predict(model, x), atol=1e-4)


def test_cli_evaluate_of_an_ema_run_reproduces_its_metrics(tmp_path, monkeypatch, capsys):
    from layerwise.cli import main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ema.toml").write_text('[data]\ndataset = "digits"\n[compile]\nema = 0.99\n[fit]\nepochs = 5\n[run]\nplots = false\nreport = false\n')
    assert main(["train", "--config", "ema.toml", "--quiet", "--runs-dir", "runs"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(run / "model.lwm"), "--dataset", "digits", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["accuracy"] == metrics["test_accuracy"]
    assert got["loss"] == pytest.approx(metrics["test_loss"], rel=1e-12)


def test_batchnorm_early_stopping_restores_the_best_validation_loss_exactly():
    x, y = make_blobs(n=400, seed=2, spread=1.5)
    model = lw.Sequential([lw.Dense(32, "relu"), lw.BatchNorm(momentum=0.5), lw.Dense(3, "softmax")], seed=2)
    model.compile(lw.SGD(0.5), "categorical_crossentropy")
    es = lw.EarlyStopping("val_loss", patience=2, restore_best_weights=True)
    hist = model.fit(x, y, epochs=40, batch_size=16, verbose=0, validation_split=0.25, callbacks=[es])
    assert es.stopped_epoch is not None, "the run should stop early for this test to mean anything"
    best = min(hist.history["val_loss"])
    assert hist.history["val_loss"][-1] > best
    n_val = 100
    assert model.evaluate(x[-n_val:], y[-n_val:])["loss"] == best


def test_get_weights_set_weights_clone_predicts_identically():
    model, x, _ = _trained_ema_model(seed=3)
    names = [n for n, _ in lw.core.state.named_arrays(model, ema=False)]
    assert names == ["dense_1/kernel", "dense_1/bias", "batch_norm_1/gamma", "batch_norm_1/beta",
                     "batch_norm_1/state/moving_mean", "batch_norm_1/state/moving_variance",
                     "dense_2/kernel", "dense_2/bias"]  # Keras's order: per layer, trainable then not
    clone = lw.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x), _no_ema_predict(model, x))
    with pytest.raises(ConfigError, match="set_weights got 6 arrays, the model has 8"):
        clone.set_weights(model.get_weights()[:6])


def test_train_on_batch_right_after_compile():
    x, y = make_blobs(n=64)
    model = lw.Sequential([lw.Dense(8, "relu", kernel_regularizer=lw.L2(1e-3)), lw.Dense(3, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", ema=0.9)
    losses = [model.train_on_batch(x, y) for _ in range(30)]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert model.optimizer.iterations == 30 and model.ema.num_updates == 30


def test_top_k_accuracy_is_computed_in_history_and_evaluate():
    x, y = make_blobs(n=200, n_classes=6, seed=1)
    model = lw.Sequential([lw.Dense(6, "softmax")], seed=0)
    model.compile(lw.SGD(0.05), "categorical_crossentropy", metrics=["accuracy", "top_5_accuracy",
                                                                     {"name": "top_k_accuracy", "k": 2}])
    hist = model.fit(x, y, epochs=2, verbose=0)
    assert {"accuracy", "top_5_accuracy", "top_2_accuracy"} <= set(hist.history)
    result = model.evaluate(x, y)
    p = model.predict(x)
    rank = (p > p[np.arange(len(y)), y][:, None]).sum(axis=1)  # how many outputs beat the true class
    assert result["top_5_accuracy"] == pytest.approx((rank < 5).mean())
    assert result["top_2_accuracy"] == pytest.approx((rank < 2).mean())
    assert result["accuracy"] == pytest.approx((rank < 1).mean())
    assert result["accuracy"] <= result["top_2_accuracy"] <= result["top_5_accuracy"]


def test_model_gradcheck_with_batchnorm_regularizers(rng):
    model = lw.Sequential([lw.Dense(5, "tanh"), lw.BatchNorm(beta_regularizer=lw.L2(0.1),
                                                             gamma_regularizer=lw.L1L2(0.05, 0.2)),
                           lw.Dense(3, "softmax")], input_shape=(4,), seed=0, dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    model.build()
    model.layers[1].params["gamma"][...] = rng.normal(1.0, 0.3, 5)
    model.layers[1].params["beta"][...] = rng.normal(0.0, 0.3, 5)
    y = rng.integers(0, 3, 6)
    assert lw.gradcheck(model, rng.normal(size=(6, 4)), y).max_error < 1e-6


# -- the registry -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lookup, match", [
    (lambda: lw.losses.get({"name": "mse", "bogus": 1}), "loss 'mse': unknown key 'bogus'"),
    (lambda: lw.initializers.get({"name": "he_normal", "scale": 3}), "initializer 'he_normal': unknown key 'scale'"),
    (lambda: lw.activations.get({"name": "leaky_relu", "beta": 1}), "unknown key 'beta'; valid keys: alpha"),
    (lambda: lw.optimizers.get({"name": "adam", "lr": 1}), "unknown key 'lr'"),
    (lambda: lw.regularizers.get({"name": "l2", "l3": 1}), "regularizer 'l2': unknown key 'l3'; valid keys: l2"),
    (lambda: lw.schedules.get({"name": "exponential", "rate": 1}), "schedule 'exponential': unknown key 'rate'"),
    (lambda: lw.regularizers.get_constraint("maxnorm"), "unknown constraint 'maxnorm'; valid: max_norm"),
    (lambda: lw.layers.from_config({"class_name": "Conv2D"}), "unknown layer type 'Conv2D'; valid: Activation"),
    (lambda: lw.metrics.get("cohen_kappa"), "unknown metric 'cohen_kappa'; valid: acc, accuracy"),
    (lambda: lw.initializers.get({"nam": "he"}), "lacks the key 'name'"),
    (lambda: lw.register("widget", object), "unknown registry kind 'widget'"),
])
def test_every_lookup_raises_config_error_naming_the_key(lookup, match):
    with pytest.raises(ConfigError, match=match):
        lookup()


class Scale(lw.Layer):
    """y = x ⊙ s with a learned per-feature scale s (a user layer)."""

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        self._add_param("scale", np.full(self.input_shape, 1.5))

    def forward(self, x, training=False):
        self._x = x
        return x * self.params["scale"]

    def backward(self, dy, need_input_grad=True):
        np.sum(dy * self._x, axis=0, out=self.grads["scale"])
        return dy * self.params["scale"]

    def onnx_nodes(self, helper, x, const):
        out = f"{self.name}/out"
        return [helper.make_node("Mul", [x, const("scale", self.params["scale"])], [out], name=self.name)], out


class Shift(lw.Layer):
    """y = x + 1: a user layer with no ONNX mapping."""

    def forward(self, x, training=False):
        return x + 1.0

    def backward(self, dy, need_input_grad=True):
        return dy


class HalfSquared(lw.losses.Loss):
    """L = (1/n) Σ ½‖a − y‖² written by a user (same as the quadratic cost)."""

    name = "half_squared"

    def value_array(self, y_pred, y_true):
        d = y_pred - y_true
        return 0.5 * (d * d).sum() / y_pred.shape[0]

    def grad(self, y_pred, y_true):
        return (y_pred - y_true) / y_pred.shape[0]


@pytest.fixture
def registered():
    lw.register("layer", Scale)
    lw.register("layer", Shift)
    lw.register("loss", HalfSquared)
    yield


def test_registered_layer_and_loss_train_save_load_rebuild_and_export(registered, tmp_path, rng):
    x, y = make_blobs(n=120)
    model = lw.Sequential([Scale(), lw.Dense(8, "tanh"), lw.Dense(3, "softmax")], seed=0, dtype="float64")
    model.compile(lw.SGD(0.2), "half_squared", metrics=["accuracy"])
    assert lw.gradcheck(model, x[:10].astype(np.float64), np.eye(3)[y[:10]]).max_error < 1e-6
    model.fit(x, np.eye(3)[y], epochs=5, verbose=0)
    assert not np.allclose(model.layers[0].params["scale"], 1.5)
    model.save(tmp_path / "m.lwm")
    back = lw.load(tmp_path / "m.lwm")
    assert isinstance(back.layers[0], Scale) and isinstance(back.loss, HalfSquared)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    rebuilt = lw.Sequential.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))
    ort = pytest.importorskip("onnxruntime")
    lw.export.to_onnx(model, tmp_path / "m.onnx")
    out = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"]).run(None, {"input": x.astype(np.float64)})[0]
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-9)
    other = lw.Sequential([Shift(), lw.Dense(3, "softmax")], input_shape=(8,), seed=0)
    other.build()
    other.save(tmp_path / "s.lwm")
    assert isinstance(lw.load(tmp_path / "s.lwm").layers[0], Shift)
    with pytest.raises(ConfigError, match="does not know layer type Shift.*onnx_nodes"):
        lw.export.to_onnx(other, tmp_path / "s.onnx")


def test_an_unregistered_user_layer_in_a_file_is_refused_by_name(tmp_path):
    class Local(Shift):
        pass

    model = lw.Sequential([Local(), lw.Dense(3, "softmax")], input_shape=(8,), seed=0)
    model.build()
    model.save(tmp_path / "l.lwm")
    with pytest.raises(ModelFileError, match="unknown layer type 'Local'"):
        lw.load(tmp_path / "l.lwm")


def test_old_module_paths_are_the_new_modules():
    import importlib
    import layerwise.callbacks
    import layerwise.datasets
    import layerwise.io
    import layerwise.optimizers
    assert layerwise.optimizers is importlib.import_module("layerwise.optim.optimizers")
    assert layerwise.callbacks is importlib.import_module("layerwise.training.callbacks")
    assert layerwise.datasets is lw.datasets
    assert layerwise.io.load_model is lw.load
