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
