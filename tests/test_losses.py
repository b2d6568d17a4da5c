import numpy as np
import pytest

from layerwise import (BinaryCrossentropy, CategoricalCrossentropy, CustomLoss, LogLikelihood,
                       MeanSquaredError, QuadraticCost, gradcheck, losses)
from layerwise.errors import ConfigError


def probs(rng, n=6, k=4):
    z = rng.normal(size=(n, k))
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def test_mse_and_quadratic_values_and_gradcheck(rng):
    a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert np.isclose(MeanSquaredError().value(a, y), ((a - y) ** 2).mean())
    assert np.isclose(QuadraticCost().value(a, y), 0.5 * ((a - y) ** 2).sum() / 5)
    assert gradcheck(MeanSquaredError(), a, y).max_error < 1e-6
    assert gradcheck(QuadraticCost(), a, y).max_error < 1e-6


@pytest.mark.parametrize("sum_over_outputs", [False, True])
def test_binary_crossentropy(rng, sum_over_outputs):
    a = rng.uniform(0.05, 0.95, size=(6, 3))
    y = rng.integers(0, 2, size=(6, 3)).astype(float)
    loss = BinaryCrossentropy(sum_over_outputs=sum_over_outputs)
    per = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    expected = per.sum() / 6 if sum_over_outputs else per.mean()
    assert np.isclose(loss.value(a, y), expected)
    assert gradcheck(loss, a, y).max_error < 1e-6  # checks grad and the fused sigmoid δ


def test_binary_crossentropy_from_logits_is_stable(rng):
    z = np.array([[-1e4, -30.0, 0.0, 30.0, 1e4]])
    y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    loss = BinaryCrossentropy(from_logits=True)
    value = loss.value(z, y)
    assert np.isfinite(value)
    assert np.isclose(value, np.mean([0, 30, np.log(2), 30, 0]), rtol=1e-6)
    zs = rng.normal(size=(4, 3))
    assert gradcheck(loss, zs, rng.integers(0, 2, (4, 3)).astype(float)).max_error < 1e-6


def test_binary_crossentropy_clips_like_the_notes():
    assert np.isclose(BinaryCrossentropy().value(np.array([[0.0]]), np.array([[1.0]])), -np.log(1e-12))


@pytest.mark.parametrize("sparse", [False, True])
def test_categorical_crossentropy(rng, sparse):
    p = probs(rng)
    labels = rng.integers(0, 4, size=6)
    onehot = np.eye(4)[labels]
    y = labels if sparse else onehot
    loss = CategoricalCrossentropy()
    assert np.isclose(loss.value(p, y), -np.log(p[np.arange(6), labels]).mean())
    assert gradcheck(loss, p, y).max_error < 1e-6
    # the fused δ is (p - y)/n
    np.testing.assert_allclose(loss.grad_z(p, y), (p - onehot) / 6)


@pytest.mark.parametrize("sparse", [False, True])
def test_categorical_from_logits_stable_and_correct(rng, sparse):
    z = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    y = labels if sparse else np.eye(4)[labels]
    loss = CategoricalCrossentropy(from_logits=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert np.isclose(loss.value(z, y), -logp[np.arange(5), labels].mean())
    assert gradcheck(loss, z, y).max_error < 1e-6
    extreme = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    assert np.isfinite(loss.value(extreme, np.array([1, 0])))
    assert np.isfinite(loss.grad(extreme, np.array([1, 0]))).all()


def test_log_likelihood_is_minus_log_a_y(rng):
    p = probs(rng)
    labels = rng.integers(0, 4, size=6)
    assert np.isclose(LogLikelihood().value(p, labels), -np.log(p[np.arange(6), labels]).mean())
    assert gradcheck(LogLikelihood(), p, labels).max_error < 1e-6


def test_custom_loss(rng):
    # the notes' example: over-prediction costs 1, under-prediction costs 9 (smoothed by squaring)
    def value(a, y):
        d = a - y
        return float((np.where(d > 0, 1.0, 9.0) * d * d).mean())

    def grad(a, y):
        d = a - y
        return np.where(d > 0, 1.0, 9.0) * 2 * d / d.size

    loss = CustomLoss(value, grad, name="asymmetric")
    a, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    assert gradcheck(loss, a, y).max_error < 1e-6
    bad = CustomLoss(value, lambda a, y: np.zeros(3))
    with pytest.raises(ConfigError, match="grad_fn returned shape"):
        bad.grad(a, y)


def test_loss_lookup():
    assert isinstance(losses.get("sparse_categorical_crossentropy"), CategoricalCrossentropy)
    with pytest.raises(ConfigError, match="unknown loss 'focal'.*valid:.*mse"):  # (hinge is known now)
        losses.get("focal")


def test_binary_crossentropy_stays_finite_on_saturated_float32_outputs():
    """In float32 1 − 1e-12 == 1.0: the clip must use the dtype's ε or ln(1 − a) is −inf."""
    bce = BinaryCrossentropy()
    a = np.array([[1.0, 0.0, 1.0]], dtype=np.float32)  # a sigmoid saturated both ways
    y = np.array([[0.0, 1.0, 1.0]], dtype=np.float32)
    value = bce.value(a, y)
    assert np.isfinite(value) and value == pytest.approx(2 * -np.log(np.finfo(np.float32).eps) / 3, rel=1e-3)
    assert np.isfinite(bce.grad(a, y)).all()
    a64, y64 = a.astype(np.float64), y.astype(np.float64)
    assert bce.value(a64, y64) == pytest.approx(2 * -np.log(1e-12) / 3, rel=1e-6)  # float64: the notes' clip


def test_huber_mae_and_hinges_follow_their_formulas_and_gradcheck(rng):
    a = rng.normal(size=(6, 3)) * 2
    y = rng.normal(size=(6, 3))
    d = a - y
    huber = losses.get({"name": "huber", "delta": 1.5})
    want = np.where(abs(d) <= 1.5, 0.5 * d * d, 1.5 * (abs(d) - 0.75)).mean()
    assert huber.value(a, y) == pytest.approx(want, rel=1e-12)
    assert losses.get("mae").value(a, y) == pytest.approx(abs(d).mean(), rel=1e-12)
    labels = rng.integers(0, 2, size=(6, 3)).astype(float)
    signed = 2 * labels - 1  # Keras turns 0/1 labels into -1/1 for the hinges
    assert losses.get("hinge").value(a, labels) == pytest.approx(np.maximum(0, 1 - signed * a).mean(), rel=1e-12)
    assert losses.get("squared_hinge").value(a, signed) == pytest.approx(
        (np.maximum(0, 1 - signed * a) ** 2).mean(), rel=1e-12)
    a = a[np.all(abs(d) > 0.05, axis=1) & np.all(abs(abs(d) - 1.5) > 0.05, axis=1)]  # away from the kinks
    y, labels = y[:len(a)], labels[:len(a)]
    a = np.where(abs(1 - (2 * labels - 1) * a) < 0.05, a + 0.2, a)
    for loss, target in ((huber, y), (losses.get("mae"), y), (losses.get("hinge"), labels),
                         (losses.get("squared_hinge"), labels)):
        assert gradcheck(loss, a, target).max_error < 1e-6, loss.name


@pytest.mark.parametrize("sparse", [False, True])
def test_label_smoothing(rng, sparse):
    p = rng.dirichlet(np.ones(4), size=5)
    labels = rng.integers(0, 4, 5)
    y = labels if sparse else np.eye(4)[labels]
    loss = CategoricalCrossentropy(label_smoothing=0.2)
    smooth = np.eye(4)[labels] * 0.8 + 0.05
    assert loss.value(p, y) == pytest.approx(-(smooth * np.log(p)).sum() / 5, rel=1e-12)
    assert gradcheck(loss, p, y).max_error < 1e-6  # the gradient and the fused softmax δ = (a − y_s)/n
    assert losses.get(loss.get_config()).label_smoothing == 0.2
    with pytest.raises(ConfigError, match="label_smoothing must be in"):
        CategoricalCrossentropy(label_smoothing=1.0)
