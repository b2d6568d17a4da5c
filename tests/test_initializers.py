import math

import numpy as np
import pytest

from layerwise import initializers
from layerwise.errors import ConfigError

SHAPE = (400, 300)  # fan_in 400, fan_out 300


@pytest.mark.parametrize("name, std", [
    ("normal", 1.0),
    ("scaled_normal", 1 / math.sqrt(400)),
    ("lecun_normal", 1 / math.sqrt(400)),
    ("glorot_normal", math.sqrt(2 / 700)),
    ("he_normal", math.sqrt(2 / 400)),
    ("glorot_uniform", math.sqrt(6 / 700) / math.sqrt(3)),
    ("he_uniform", math.sqrt(6 / 400) / math.sqrt(3)),
])
def test_variance_of_each_initializer(name, std):
    w = initializers.get(name)(SHAPE, np.random.default_rng(0))
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.02 * max(std, 0.05)
    assert abs(w.std() - std) / std < 0.02


@pytest.mark.parametrize("name, limit", [("glorot_uniform", math.sqrt(6 / 700)), ("he_uniform", math.sqrt(6 / 400))])
def test_uniform_limits(name, limit):
    w = initializers.get(name)(SHAPE, np.random.default_rng(0))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


def test_constant_zeros_and_aliases():
    assert (initializers.get("zeros")((3, 2), None) == 0).all()
    assert (initializers.Constant(0.5)((3,), None) == 0.5).all()
    assert isinstance(initializers.get("xavier_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("kaiming_normal"), initializers.HeNormal)
    assert initializers.get({"name": "normal", "stddev": 0.1}).stddev == 0.1
    with pytest.raises(ConfigError, match="unknown initializer 'sparse'"):  # (orthogonal exists now)
        initializers.get("sparse")


def test_same_seed_same_weights():
    a = initializers.get("he_normal")((5, 5), np.random.default_rng(3))
    b = initializers.get("he_normal")((5, 5), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_lecun_uniform_and_truncated_normals(rng):
    w = initializers.get("lecun_uniform")(SHAPE, rng)
    limit = math.sqrt(3 / 400)
    assert np.abs(w).max() <= limit and abs(w.std() - 1 / math.sqrt(400)) < 0.01 / math.sqrt(400) * 10
    t = initializers.get({"name": "truncated_normal", "stddev": 0.05})(SHAPE, rng, np.float64)
    assert np.abs(t).max() <= 0.1 and abs(t.std() - 0.05 * 0.8796) < 0.002  # truncation at 2σ narrows it
    v = initializers.get("he_normal").__class__()
    v.distribution = "truncated_normal"
    s = v(SHAPE, rng, np.float64)
    assert abs(s.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)  # Keras's rescaled truncation


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30)])
def test_orthogonal(rng, shape):
    w = initializers.get({"name": "orthogonal", "gain": 2.0})(shape, rng, np.float64)
    small = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)  # orthonormal columns (or rows), × gain²
    with pytest.raises(ConfigError, match="needs a matrix"):
        initializers.get("orthogonal")((5,), rng)
