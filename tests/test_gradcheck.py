"""gradcheck itself: it must FAIL on a wrong backward, not only pass on right ones.

Every other file asserts ``gradcheck(...).max_error < 1e-6``, which a gradcheck that always
reports 0 would satisfy. Here each deliberately wrong layer, loss, activation, regularizer and model
is paired with its correct counterpart: the wrong one must give a large error and ``passed`` False
(the errors quoted are the measured ones), the right one a tiny error and ``passed`` True.
Also: layers with weight penalties (the penalty is part of the differentiated objective), and the
README's custom-layer example run exactly as printed.
"""
import re
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import registry
from layerwise.core import activations
from layerwise.inspect.gradcheck import GradcheckResult, relative_error

ROOT = Path(__file__).resolve().parents[1]


def inputs(rng, shape=(6, 5)):
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-2] = 0.3
    return x


def assert_fails(result, wrong: set[str], at_least: float):
    """Exactly the arrays in ``wrong`` fail, each by at least ``at_least``; the rest are right."""
    assert not result.passed, result
    assert set(result.failures) == wrong, result
    assert all(result.errors[k] >= at_least for k in wrong), result
    assert result.max_error >= at_least, result
    assert "FAILED" in repr(result)
    assert all(v < 1e-6 for k, v in result.errors.items() if k not in wrong), result


def assert_passes(result):
    assert result.passed, result
    assert result.max_error < 1e-6, result
    assert result.failures == {}
    assert "passed" in repr(result)


# -- the error measure ----------------------------------------------------------------------------------

def test_relative_error_values():
    g = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert relative_error(g, g) == 0.0
    assert relative_error(2 * g, g) == pytest.approx(1 / 3)          # ‖g‖ / 3‖g‖
    assert relative_error(-g, g) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.full(3, 1e-12), np.zeros(3)) < 1e-8      # below the 1e-3 floor: absolute
    assert relative_error(g[:1], g) == np.inf                         # a broadcastable wrong shape


def test_result_says_failed_and_keeps_nan():
    assert GradcheckResult({"a": 1e-9, "b": 2e-10}).passed
    res = GradcheckResult({"a": 1e-9, "b": 0.2})
    assert not res.passed and res.failures == {"b": 0.2} and res.max_error == 0.2
    res = GradcheckResult({"a": 1e-9, "b": float("nan")})   # max() alone would say 1e-9
    assert not res.passed and np.isnan(res.max_error) and not res.max_error < 1e-6
    assert GradcheckResult({"a": 1e-5}, tolerance=1e-4).passed


def test_gradcheck_takes_a_tolerance(rng):
    z = rng.normal(size=(6, 4))
    assert lw.gradcheck(activations.Tanh(), z, tolerance=1e-12).tolerance == 1e-12
    wrong = lw.gradcheck(TanhDerivativeMissingSquare(), z, tolerance=0.9)
    assert wrong.passed and wrong.max_error > 0.2   # a loose tolerance is the caller's choice


# -- layers ---------------------------------------------------------------------------------------------

class KernelGradTimes1_5(lw.Dense):
    """∂L/∂W off by a factor 1.5."""

    def backward_from_z(self, delta, need_input_grad=True):
        dx = super().backward_from_z(delta, need_input_grad)
        self.grads["kernel"] *= 1.5
        return dx


class InputGradTimes2(lw.Dense):
    """∂L/∂x off by a factor 2."""

    def backward_from_z(self, delta, need_input_grad=True):
        return 2.0 * super().backward_from_z(delta, need_input_grad)


class Quadratic(lw.Layer):
    """y = x ⊙ w + x²: ∂y/∂x = w + 2x, ∂y/∂w = x."""

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        self._add_param("w", rng.normal(size=self.input_shape))

    def forward(self, x, training=False):
        self._x = x
        return x * self.params["w"] + x * x

    def backward(self, dy, need_input_grad=True):
        np.sum(dy * self._x, axis=0, out=self.grads["w"])
        return dy * (self.params["w"] + 2 * self._x)


class QuadraticMissingTerm(Quadratic):
    """dx forgets the 2x term."""

    def backward(self, dy, need_input_grad=True):
        super().backward(dy, need_input_grad)
        return dy * self.params["w"]


class QuadraticAccumulating(Quadratic):
    """grads["w"] += ... instead of filling it: every step after the first double-counts."""

    def backward(self, dy, need_input_grad=True):
        self.grads["w"] += np.sum(dy * self._x, axis=0)
        return dy * (self.params["w"] + 2 * self._x)


class QuadraticNaN(Quadratic):
    def backward(self, dy, need_input_grad=True):
        dx = super().backward(dy, need_input_grad)
        dx[-1, -1] = np.nan
        return dx


class QuadraticReducedDx(Quadratic):
    """dx of shape (features,) — it broadcasts against x, so only a shape check catches it."""

    def backward(self, dy, need_input_grad=True):
        return super().backward(dy, need_input_grad).sum(axis=0)


class BatchNormMissingProjection(lw.BatchNorm):
    """dx without the −x̂·Σ(dx̂·x̂) term."""

    def backward(self, dy, need_input_grad=True):
        dx = super().backward(dy, need_input_grad)
        xhat, inv_std, _ = self._cache
        dxhat = dy * self.params["gamma"]
        return dx + xhat * (dxhat * xhat).sum(axis=0) * inv_std / len(dy)


def batchnorm(cls=lw.BatchNorm):
    layer = cls()
    layer.build((5,), np.random.default_rng(5), np.float64, np)
    layer.params["gamma"][...] = np.linspace(0.5, 2.0, 5)
    layer.params["beta"][...] = np.linspace(-1.0, 1.0, 5)
    return layer


def dense(cls=lw.Dense, **kw):
    return cls(4, "tanh", kernel_initializer="glorot_normal", bias_initializer="normal", **kw)


@pytest.mark.parametrize("wrong, right, failing, at_least", [
    # measured (rng seed 1234): kernel 2.0e-1 (= 0.5/2.5), x 3.3e-1 (= 1/3), x 9.2e-1, w 3.3e-1, x 2.0e-1
    (lambda: dense(KernelGradTimes1_5), lambda: dense(), {"kernel"}, 0.19),
    (lambda: dense(InputGradTimes2), lambda: dense(), {"x"}, 0.33),
    (QuadraticMissingTerm, Quadratic, {"x"}, 0.1),
    (QuadraticAccumulating, Quadratic, {"w"}, 0.33),
    (lambda: batchnorm(BatchNormMissingProjection), batchnorm, {"x"}, 0.1),
])
def test_layer_gradcheck_fails_on_a_wrong_backward(wrong, right, failing, at_least, rng):
    x = inputs(rng) * 2 + 0.5
    assert_fails(lw.gradcheck(wrong(), x), failing, at_least)
    assert_passes(lw.gradcheck(right(), x))


def test_layer_gradcheck_fails_on_nan_and_on_a_wrong_shape(rng):
    x = inputs(rng)
    res = lw.gradcheck(QuadraticNaN(), x)
    assert not res.passed and np.isnan(res.max_error) and set(res.failures) == {"x"}, res
    res = lw.gradcheck(QuadraticReducedDx(), x)
    assert not res.passed and res.errors["x"] == np.inf, res


# -- losses and activations -----------------------------------------------------------------------------

class MSEMissingFactor2(lw.MeanSquaredError):
    def grad(self, y_pred, y_true):
        return (y_pred - y_true) / y_pred.size


class CrossentropyGradZNotAveraged(lw.CategoricalCrossentropy):
    """The fused δ = a − y without the 1/n (the unfused grad is right)."""

    def grad_z(self, a, y_true):
        return super().grad_z(a, y_true) * a.shape[0]


class SigmoidDerivativeA(activations.Sigmoid):
    """σ' taken as a instead of a(1 − a)."""

    def backward(self, dy, a, out=None):
        return np.multiply(dy, a, out=out)


class TanhDerivativeMissingSquare(activations.Tanh):
    """tanh' taken as 1 − a instead of 1 − a²."""

    def backward(self, dy, a, out=None):
        return np.multiply(dy, 1.0 - a, out=out)


def probs(rng, n=6, k=4):
    p = np.exp(rng.normal(size=(n, k)))
    return p / p.sum(1, keepdims=True)


def test_loss_gradcheck_fails_on_a_wrong_grad(rng):
    a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert_fails(lw.gradcheck(MSEMissingFactor2(), a, y), {"y_pred"}, 0.33)     # measured 3.3e-1
    assert_passes(lw.gradcheck(lw.MeanSquaredError(), a, y))
    p, labels = probs(rng), rng.integers(0, 4, 6)
    assert_fails(lw.gradcheck(CrossentropyGradZNotAveraged(), p, labels), {"z (softmax fused)"}, 0.7)  # 7.1e-1
    assert_passes(lw.gradcheck(lw.CategoricalCrossentropy(), p, labels))


@pytest.mark.parametrize("wrong, right", [(SigmoidDerivativeA, activations.Sigmoid),
                                          (TanhDerivativeMissingSquare, activations.Tanh)])
def test_activation_gradcheck_fails_on_a_wrong_derivative(wrong, right, rng):
    z = rng.normal(size=(6, 4))
    assert_fails(lw.gradcheck(wrong(), z), {"z"}, 0.2)   # measured 5.2e-1 and 5.0e-1
    assert_passes(lw.gradcheck(right(), z))


def test_wrong_activation_inside_a_dense_layer_fails(rng):
    res = lw.gradcheck(lw.Dense(4, SigmoidDerivativeA()), inputs(rng))
    assert_fails(res, {"kernel", "bias", "x"}, 0.2)   # measured 4.8e-1, 4.0e-1, 4.7e-1


# -- weight penalties -----------------------------------------------------------------------------------

class HalfL2(lw.L2):
    """adds l·w to the gradient where the penalty l·Σw² needs 2l·w."""

    def add_gradient(self, w, grad):
        grad += self.l2 * w


def test_layer_gradcheck_includes_the_penalty(rng):
    # before: the penalty's gradient was in grads but not in the differentiated f: kernel 6.3e-2
    x = inputs(rng)
    for layer in (dense(kernel_regularizer=lw.L1(0.1), bias_regularizer=lw.L2(0.3)),
                  dense(kernel_regularizer=lw.L1L2(0.05, 0.2), use_bias=False),
                  lw.BatchNorm(beta_regularizer=lw.L2(0.1), gamma_regularizer=lw.L1L2(0.05, 0.2))):
        assert_passes(lw.gradcheck(layer, x))
    # a strong penalty dominates the gradient: the check is about the penalty, and it still passes
    strong = dense(kernel_regularizer=lw.L2(10.0))
    res = lw.gradcheck(strong, x)
    assert_passes(res)
    # ... and a penalty whose gradient is wrong fails, on exactly the penalised array
    assert_fails(lw.gradcheck(dense(kernel_regularizer=HalfL2(1.0)), x), {"kernel"}, 0.1)   # measured 2.1e-1


def regularized_model(kernel_regularizer=None):
    kernel_regularizer = kernel_regularizer or lw.L2(0.05)
    model = lw.Sequential([
        lw.Dense(6, "tanh", kernel_regularizer=kernel_regularizer, bias_regularizer=lw.L1(0.02),
                 bias_initializer="normal"),
        lw.BatchNorm(beta_regularizer=lw.L2(0.1), gamma_regularizer=lw.L1L2(0.05, 0.2)),
        lw.Dense(3, "softmax", kernel_regularizer=lw.L1L2(0.01, 0.02)),
    ], input_shape=(4,), seed=0, dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    model.build()
    model.layers[1].params["beta"][...] = np.linspace(-0.5, 0.5, 6)
    return model


def test_model_gradcheck_with_regularized_layers(rng):
    x, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    res = lw.gradcheck(regularized_model(), x, y)
    assert_passes(res)
    assert len(res.errors) == 6
    wrong = regularized_model(HalfL2(0.5))
    assert_fails(lw.gradcheck(wrong, x, y), {f"{wrong.layers[0].name}/kernel"}, 0.1)   # measured 3.0e-1


def test_model_gradcheck_fails_on_a_wrong_layer(rng):
    model = lw.Sequential([lw.Dense(5, "tanh"), KernelGradTimes1_5(4, "elu"), lw.Dense(3, "softmax")],
                          input_shape=(4,), seed=0, dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    res = lw.gradcheck(model, rng.normal(size=(6, 4)), rng.integers(0, 3, 6))
    assert_fails(res, {f"{model.layers[1].name}/kernel"}, 0.19)


# -- the README's custom layer, exactly as printed --------------------------------------------------------

def readme_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (block,) = [b for b in blocks if marker in b]
    return block


@pytest.fixture
def scratch_registry(monkeypatch):
    """The README registers ``Scale``: keep it out of the registry the other tests see."""
    for table in (registry._entries, registry._canonical):
        monkeypatch.setitem(table, "layer", dict(table["layer"]))


def test_readme_custom_layer_gradchecks(scratch_registry, rng):
    namespace = {"lw": lw, "np": np}
    exec(compile(readme_block("class Scale(lw.Layer)"), "README.md", "exec"), namespace)  # noqa: S102 (our README)
    Scale = namespace["Scale"]
    assert registry.lookup("layer", "Scale") is Scale
    x = rng.normal(size=(6, 4))
    assert_passes(lw.gradcheck(Scale(), x))          # builds it as Sequential does (xp included)
    layer = Scale()
    layer.build((4,), np.random.default_rng(0), np.float64, np)
    layer.params["scale"][...] = rng.normal(size=4)
    assert_passes(lw.gradcheck(layer, x))
    model = lw.Sequential([Scale(), lw.Dense(3, "softmax")], input_shape=(4,), seed=0, dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    assert_passes(lw.gradcheck(model, x, rng.integers(0, 3, 6)))
    assert_passes(lw.gradcheck(lw.Sequential.from_config(model.get_config()).layers[0], x))
